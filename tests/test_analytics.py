"""Leads see where customers struggle: the figures (kb.analytics.figures joined with the votes and
tickets in kb.app.insights), the page /lead/questions, its CSV tables and `kb analytics`."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, time, timedelta

import pytest

from tests.conftest import fake_embed, sign_in

D1, D2 = date(2025, 3, 10), date(2025, 3, 11)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def seed(database, d1: date, d2: date) -> dict:
    """Five questions over two days (help, console, API; two unanswered), votes and two tickets."""
    from kb.analytics.log import QueryLog
    from kb.desk.desk import Desk
    from kb.desk.rules import TicketRules
    from kb.analytics.votes import Votes

    log, votes, desk = QueryLog(database), Votes(database), Desk(database, TicketRules(), embed=fake_embed)

    def ask(visitor, text, source="help", no_match=False, results=(("track", 0.8),), when=None):
        log.asked(visitor=visitor, qid="q1", text=text, source=source, lang="en", results=[] if no_match else results,
                  no_match=no_match, confidence=0.1 if no_match else 0.8, now=when)

    ask("v1", "where is my parcel?", when=at(d1, 10))
    ask("v2", "Where is my parcel", when=at(d1, 11))
    ask("v3", "gift wrapping", no_match=True, when=at(d1, 12))
    ask("v4", "gift wrapping?", source="console", no_match=True, when=at(d2, 9))
    ask("v5", "refund", source="api", results=(("refund", 0.9),), when=at(d2, 10))
    ask("v6", "the day after", when=at(d2 + timedelta(days=1), 1))  # outside the range
    first = desk.create_ticket("Where is my parcel?", email="a@example.com", now=at(d1, 10, 10))
    desk.escalate_overdue(now=at(d1, 10) + timedelta(days=10))  # the first goes to tier 2
    desk.create_ticket("Gift wrapping?", email="b@example.com", now=at(d2, 9, 5))
    log.opened(visitor="v1", qid="q1", article_id="track", now=at(d1, 10, 1))
    log.voted(visitor="v1", qid="q1", article_id="track", helpful=False, now=at(d1, 10, 2))
    log.ticket(visitor="v1", qid="q1", number=first["number"], now=at(d1, 10, 10))
    log.opened(visitor="v2", qid="q1", article_id="track", now=at(d1, 11, 1))
    log.voted(visitor="v2", qid="q1", article_id="track", helpful=True, now=at(d1, 11, 2))
    votes.record("track", False, question="where is my parcel?", now=at(d1, 10, 2))
    votes.record("track", True, question="Where is my parcel", now=at(d1, 11, 2))
    votes.record("refund", True, now=at(d2, 12))  # came by a link
    assert log.flush()
    return {"first": first["number"]}


def test_figures_from_the_log_votes_and_tickets(database):
    from kb.app.insights import insights

    seed(database, D1, D2)
    report = insights(database, D1, D2)
    t = report["totals"]
    # v1's answer was voted "not helpful" and followed by a ticket: answered are v2's and the API's
    assert (t["asked"], t["answered"], t["no_match"], t["opened"]) == (5, 2, 2, 2)
    assert (t["answered_share"], t["no_match_rate"], t["click_through"], t["helpful_share"]) == (0.4, 0.4, 0.4, 0.5)
    assert report["sources"] == {"help": 3, "console": 1, "api": 1}
    assert [(d["day"], d["help"], d["console"], d["api"]) for d in report["days"]] == [(D1, 3, 0, 0), (D2, 0, 1, 1)]
    # one question however it is written; ties go to the newest
    assert [(q["text"], q["asked"], q["no_match"]) for q in report["top_questions"]] == [
        ("gift wrapping?", 2, 2), ("Where is my parcel", 2, 0), ("refund", 1, 0)]
    assert [(q["text"], q["asked"]) for q in report["top_unanswered"]] == [("gift wrapping?", 2)]
    articles = {a["article_id"]: a for a in report["articles"]}
    assert (articles["track"]["opened"], articles["track"]["helpful"], articles["track"]["not_helpful"],
            articles["track"]["tickets"], articles["track"]["helpful_share"]) == (2, 1, 1, 1, 0.5)
    assert (articles["refund"]["opened"], articles["refund"]["helpful"], articles["refund"]["helpful_share"]) == (0, 1, 1.0)
    assert [a["article_id"] for a in report["weakest"]] == ["track"]
    assert set(report["weakest"][0]["questions"]) == {"where is my parcel?", "Where is my parcel"}
    tickets = report["tickets"]
    assert tickets["total"] == 2 and tickets["tiers"] == {1: 1, 2: 1, 3: 0}
    assert [(d["day"], d["tier_1"], d["tier_2"]) for d in tickets["days"]] == [(D1, 0, 1), (D2, 1, 0)]
    # an empty range: zeros and no shares, never a division by zero
    empty = insights(database, date(2024, 1, 1), date(2024, 1, 3))
    assert empty["totals"]["asked"] == 0 and empty["totals"]["no_match_rate"] is None and len(empty["days"]) == 3


def test_answered_leaves_out_answers_voted_down_or_followed_by_a_ticket(database):
    """A confidently wrong answer is not an answer: a question the search answered counts as answered
    unless the visitor voted the article "not helpful" or asked a person after it; the same in the
    totals, the days, the top questions and the counts kept for pruned days."""
    from kb.analytics.log import QueryLog
    from kb.app.insights import insights

    log = QueryLog(database)
    for visitor, hour in (("took", 9), ("voted-no", 10), ("asked-a-person", 11), ("voted-yes", 12)):
        log.asked(visitor=visitor, qid="q1", text="my promo code fails", source="help", lang="en",
                  results=[("promo", 0.9)], no_match=False, confidence=0.9, now=at(D1, hour))
    log.voted(visitor="voted-no", qid="q1", article_id="promo", helpful=False, now=at(D1, 10, 1))
    log.ticket(visitor="asked-a-person", qid="q1", number=7, now=at(D1, 11, 5))
    log.voted(visitor="voted-yes", qid="q1", article_id="promo", helpful=True, now=at(D1, 12, 1))
    assert log.flush()

    def figures():
        report = insights(database, D1, D1)
        return report["totals"]["answered"], report["totals"]["answered_share"], report["days"][0]["answered"]

    assert figures() == (2, 0.5, 2)
    [top] = insights(database, D1, D1)["top_questions"]
    assert (top["asked"], top["answered"], top["no_match"]) == (4, 2, 0)
    assert log.prune(0, now=at(D2, 12)) == 4  # the rows go; the day's kept counts agree
    assert figures() == (2, 0.5, 2)


def test_pruned_days_still_count(database):
    from kb.analytics.log import QueryLog
    from kb.app.insights import insights

    seed(database, D1, D2)
    assert QueryLog(database).prune(0, now=at(D2, 12)) == 3  # D1's rows go, their counts stay
    report = insights(database, D1, D2)
    assert report["totals"]["asked"] == 5 and report["days"][0]["help"] == 3
    assert [q["text"] for q in report["top_questions"]] == ["refund", "gift wrapping?"]  # one each, newest first


def test_date_range_rules():
    from kb.errors import InvalidInput
    from kb.app.insights import date_range

    today = date(2025, 3, 31)
    assert date_range(None, None, today) == (date(2025, 3, 2), today)
    assert date_range("2025-03-01", "", today) == (date(2025, 3, 1), today)
    for since, until in (("2025-3-1", None), ("2025-02-30", None), ("x" * 500, None), ("2025-03-05", "2025-03-01"),
                         ("2020-01-01", "2025-01-01"), ("０２０２５-03-01", None), ("2025-W01-1", None), ("1999-12-31", None)):
        with pytest.raises(InvalidInput):
            date_range(since, until, today)


@pytest.fixture
def busy_app(ticket_app):
    today = datetime.utcnow().date()
    seed(ticket_app.extensions["kb"].database, today - timedelta(days=1), today)
    return ticket_app


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_page_for_a_lead(busy_app, lang):
    lead = sign_in(busy_app, "lena", role="lead")
    page = lead.get("/lead/questions", headers={"Accept-Language": lang})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<svg class=\"chart\"") == 2 and 'class="s-help"' in html and 'class="s-tier2"' in html
    assert ' style=' not in html and "<script" not in html
    assert re.search(r'id="asked">5<', html) and "gift wrapping?" in html
    assert re.search(r'id="no-match-rate">40(\s|&nbsp;|\u00a0)?%<', html)
    assert 'href="/lead/questions"' in html and 'aria-current="page"' in html  # the nav link
    assert f'<html lang="{lang}">' in html
    from flask_babel import gettext

    with busy_app.test_request_context(headers={"Accept-Language": lang}):
        words = [gettext("Top unanswered"), gettext("Weakest articles"), gettext("Sign out")]
    assert all(word in html for word in words)
    if lang == "ru":
        assert "Выйти" in html  # the Russian catalogue is in use


def test_operators_may_not_see_it(busy_app):
    anna = sign_in(busy_app, "anna")
    assert anna.get("/lead/questions").status_code == 403
    assert anna.get("/lead/questions/days.csv").status_code == 403


def test_csv_tables(busy_app):
    from kb.app.insights import TABLES

    today = datetime.utcnow().date()
    lead = sign_in(busy_app, "lena", role="lead")
    span = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    tables = {}
    for name in TABLES:
        answer = lead.get(f"/lead/questions/{name}.csv", query_string=span)
        assert answer.status_code == 200 and answer.mimetype == "text/csv", name
        assert answer.headers["Content-Disposition"] == \
            f'attachment; filename="questions-{name}-{span["from"]}-{span["to"]}.csv"'
        header, *rows = csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig")))
        assert len(header) == len(TABLES[name]) and rows, name  # the seeded days fill every table
        tables[name] = [dict(zip(TABLES[name], row)) for row in rows]
    assert [(r["day"], r["help"], r["console"], r["api"]) for r in tables["days"]] == [
        (span["from"], "3", "0", "0"), (span["to"], "0", "1", "1")]
    assert [(r["question"], r["asked"]) for r in tables["unanswered"]] == [("gift wrapping?", "2")]
    assert [r["article_id"] for r in tables["weakest"]] == ["track"] and tables["weakest"][0]["helpful_share"] == "0.5"
    assert [(r["tier_1"], r["tier_2"], r["total"]) for r in tables["tickets"]] == [("0", "1", "1"), ("1", "0", "1")]
    assert len(tables["top"]) == 3 and {r["article_id"] for r in tables["articles"]} == {"track", "refund"}
    assert lead.get("/lead/questions/nope.csv").status_code == 404


def test_bad_dates_are_a_400_page(busy_app):
    lead = sign_in(busy_app, "lena", role="lead")
    for query in ({"from": "2025-13-01"}, {"to": "yesterday"}, {"from": "2025-03-05", "to": "2025-03-01"},
                  {"from": "x" * 5000}, {"from": "2000-01-01", "to": "2999-12-31"}, {"to": "0000-01-01"}):
        for path in ("/lead/questions", "/lead/questions/days.csv"):
            answer = lead.get(path, query_string=query)
            assert answer.status_code == 400, (path, query)
            assert "<html" in answer.get_data(as_text=True)
    assert lead.get("/lead/questions", query_string={"from": "2000-01-01", "to": "2000-12-31"}).status_code == 200


def test_kb_analytics_json(db_url, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from kb.cli import main
    from kb.db.engine import open_database

    seed(open_database(db_url), D1, D2)
    monkeypatch.setenv("KB_DATABASE_URL", db_url)
    monkeypatch.setenv("KB_INDEX", str(tmp_path / "no-index"))
    runner = CliRunner()
    outcome = runner.invoke(main, ["analytics", "--from", "2025-03-10", "--to", "2025-03-11", "--json"])
    assert outcome.exit_code == 0, outcome.output
    report = json.loads(outcome.output)
    assert report["totals"]["asked"] == 5 and report["totals"]["no_match_rate"] == 0.4
    assert report["days"][0]["day"] == "2025-03-10" and report["tickets"]["total"] == 2
    assert report["weakest"][0]["article_id"] == "track"
    text = runner.invoke(main, ["analytics", "--from", "2025-03-10", "--to", "2025-03-11"])
    assert text.exit_code == 0 and "5 questions" in text.output and "no match 40.0%" in text.output
    bad = runner.invoke(main, ["analytics", "--from", "10.03.2025"])
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.output


def test_chart_axes_are_round_and_bars_stack():
    from webapp.staff.charts import nice_top, stacked_days

    assert nice_top(0) == (4, 1) and nice_top(7) == (8, 2) and nice_top(56) == (60, 20) and nice_top(969) == (1000, 500)
    chart = stacked_days([{"day": D1, "a": 3, "b": 1}, {"day": D2, "a": 0, "b": 0}], [("a", "s-a"), ("b", "s-b")])
    first, second = chart["bars"]
    assert [s["css"] for s in first["segments"]] == ["s-a", "s-b"] and second["segments"] == []
    assert first["segments"][1]["y"] == pytest.approx(chart["ticks"][-1]["y"])  # 4 of 4: the top tick
    assert [t["value"] for t in chart["ticks"]] == [0, 1, 2, 3, 4] and not chart["empty"]
