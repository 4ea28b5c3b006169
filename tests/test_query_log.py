"""The query log: every question from the help centre, the console and the API recorded once (not
once per keystroke), masked before it is written, written off the request, with the article opened,
the vote and the ticket; retention keeps the daily counts."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import csrf_of, sign_in
from sqlalchemy import select

from kb.analytics.log import QueryLog
from kb.gaps.tables import GapQuestion

NOW = datetime(2026, 11, 20, 12, 0)


def ask(log, qid, text, *, visitor="v1", source="help", no_match=False, now=NOW, results=(("a", 0.9),)):
    log.asked(visitor=visitor, qid=qid, text=text, source=source, lang="en", results=results, no_match=no_match,
              confidence=0.9 if not no_match else 0.2, now=now)


# --- the log on the database (SQLite and PostgreSQL) ----------------------------------------------

def test_keystrokes_of_one_question_are_one_row_and_the_last_text_wins(database):
    log = QueryLog(database)
    question = "how do I return a parcel"
    for n in range(1, 21):
        ask(log, "q1", question[: max(1, len(question) * n // 20)], now=NOW + timedelta(milliseconds=150 * n))
        if n % 7 == 0:
            assert log.flush()  # some keystrokes land in separate batches
    ask(log, "q2", "refund", now=NOW + timedelta(seconds=10))  # after a pause: a new question
    assert log.flush()
    rows = list(log.between())
    assert [r["text"] for r in rows] == [question, "refund"]
    first = rows[0]
    assert first["asked_at"] == NOW + timedelta(milliseconds=150)  # the first keystroke's time
    assert first["results"] == [("a", 0.9)] and first["source"] == "help" and first["lang"] == "en"


def test_half_typed_text_never_reaches_the_database_file(tmp_path):
    """The first digits of a phone number are not personal data the masker can recognise; the
    writer holds a question until it settles, so they are never written, not even to the WAL."""
    from kb.db.engine import Database

    database = Database(f"sqlite:///{tmp_path / 'kb.sqlite'}")
    database.upgrade()
    log = QueryLog(database)
    typed = "перезвоните мне на 8 912 345 67 89 по заказу"
    for n in range(8, len(typed) + 1):
        ask(log, "q1", typed[:n], now=NOW + timedelta(milliseconds=120 * n))
        time.sleep(0.02)  # a person's pace: the writer wakes up between keystrokes
    assert log.flush()
    assert [r["text"] for r in log.between()] == ["перезвоните мне на [phone] по заказу"]
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("kb.sqlite*"))
    for prefix in ("8 912 345", "8 912 34", "перезвоните мне на 8 9"):
        assert prefix.encode() not in raw, prefix
    database.dispose()


def test_open_vote_and_ticket_attach_to_the_question(database):
    log = QueryLog(database)
    ask(log, "q1", "where is my order", results=[("track", 0.8), ("delivery", 0.6)])
    ask(log, "q2", "where is my order", visitor="v2")
    log.opened(visitor="v1", qid="q1", article_id="delivery")
    log.voted(visitor="v1", text="where is my order", article_id="delivery", helpful=False)
    log.ticket(visitor="v1", text="where  is my order", number=17)  # found by its text
    log.opened(visitor="v3", text="where is my order", article_id="track")  # nobody's question: ignored
    log.opened(visitor="v2", qid="unknown", text="where is my order", article_id="track")  # by its text
    assert log.flush()
    one, two = log.between()
    assert (one["opened"], one["opened_pos"], one["vote"], one["ticket"]) == ("delivery", 2, False, 17)
    assert (two["opened"], two["opened_pos"], two["vote"], two["ticket"]) == ("track", None, None, None)


def test_text_is_masked_before_it_is_queued(database):
    log = QueryLog(database)
    ask(log, "q1", "card 4111 1111 1111 1111 and mail ivan@mail.ru")
    assert log.flush()
    assert [r["text"] for r in log.between()] == ["card [card] and mail [email]"]


def test_between_and_retention_keep_daily_counts(database):
    log = QueryLog(database)
    old, recent = NOW - timedelta(days=100), NOW - timedelta(days=3)
    ask(log, "a", "old answered", now=old)
    ask(log, "b", "old unanswered", no_match=True, now=old + timedelta(hours=1))
    log.voted(visitor="v1", qid="a", article_id="a", helpful=True)
    ask(log, "c", "old console", visitor="op", source="console", now=old)
    ask(log, "d", "recent", now=recent)
    assert log.flush()
    assert [r["text"] for r in log.between(since=NOW - timedelta(days=10))] == ["recent"]
    assert [r["text"] for r in log.between(until=NOW - timedelta(days=10))] == ["old answered", "old console",
                                                                                "old unanswered"]
    before = log.daily()
    assert log.prune(90, now=NOW) == 3
    assert log.prune(90, now=NOW) == 0  # nothing twice
    assert [r["text"] for r in log.between()] == ["recent"]
    assert log.daily() == before  # the figures survive the rows
    help_day = next(d for d in log.daily() if d["day"] == old.date() and d["source"] == "help")
    assert help_day == {"day": old.date(), "source": "help", "lang": "en", "asked": 2, "answered": 1,
                        "no_match": 1, "opened": 1, "helpful": 1, "not_helpful": 0}
    assert log.daily(since=date(2026, 11, 1)) == [d for d in before if d["day"] >= date(2026, 11, 1)]
    # A later prune of the same day adds to its counts.
    ask(log, "e", "late", now=old + timedelta(hours=2))
    assert log.flush()
    log.prune(90, now=NOW)
    help_day = next(d for d in log.daily() if d["day"] == old.date() and d["source"] == "help")
    assert help_day["asked"] == 3


def test_retention_job_uses_the_setting(db_url, tmp_path):
    from conftest import make_settings

    from kb.app.services import Services
    from kb.jobs.registry import JOBS

    services = Services(make_settings(database_url=db_url, query_log_days=30, index_dir=tmp_path))
    log = services.questions
    ask(log, "a", "forty days ago", now=datetime.utcnow() - timedelta(days=40))
    ask(log, "b", "today")
    assert log.flush()
    services.database.run(lambda session: session.add_all(gap_copy(text, at) for text, at in (
        ("forty days ago", datetime.utcnow() - timedelta(days=40)), ("today", datetime.utcnow()))))
    assert "1 question(s)" in JOBS["query-log-retention"].run(services)
    assert [r["text"] for r in log.between()] == ["today"]
    assert [r.text for r in services.gaps.db.run(lambda s: s.scalars(select(GapQuestion)).all())] == ["today"]


def gap_copy(text, at):
    """The gap finder's copy of a failed question (kb.gaps.tables), as its worker stores it."""
    return GapQuestion(source="question", ref=hash(text) % 10_000, text=text, lang="en", asked_at=at, visitor="v",
                       no_match=True, confidence=0.1, results=[], vector=b"", folded_at=at)


def test_a_search_never_waits_for_the_database(tmp_path):
    """Queueing is instant even while the writer is stuck on a slow database."""
    import threading

    gate = threading.Event()

    class Slow:
        def run(self, work, *args):
            gate.wait(10)

    log = QueryLog(Slow())
    started = time.perf_counter()
    for n in range(200):
        ask(log, f"q{n}", "hello")
    assert time.perf_counter() - started < 0.5
    gate.set()
    assert log.flush()


# --- through the web app (the real sample index) ---------------------------------------------------

def rows(app):
    log = app.extensions["kb"].questions
    assert log.flush()
    return list(log.between())


def test_help_centre_keystrokes_are_one_question_and_a_pause_another(app):
    client = app.test_client()
    question = "how can I return an item"
    for n in range(1, 21):
        prefix = question[: max(1, round(len(question) * n / 20))]
        assert client.get("/search/results", query_string={"q": prefix, "qid": "k1"}).status_code == 200
    client.get("/search/results", query_string={"q": "delivery", "qid": "k2"})  # typed after a pause
    logged = rows(app)
    assert [r["text"] for r in logged] == [question, "delivery"]
    assert logged[0]["source"] == "help" and len(logged[0]["results"]) == 5
    assert logged[0]["visitor"] == logged[1]["visitor"] and len(logged[0]["visitor"]) == 32
    # Another browser is another visitor.
    app.test_client().get("/search/results", query_string={"q": "delivery", "qid": "k2"})
    assert len({r["visitor"] for r in rows(app)}) == 2


def test_opened_article_vote_and_ticket_from_the_help_centre(app):
    client = app.test_client()
    page = client.get("/search", query_string={"q": "how can I return an item"})
    assert page.status_code == 200
    row = rows(app)[0]
    first = row["results"][0][0]
    assert client.get(f"/articles/{first}", query_string={"q": "how can I return an item", "pos": 1}).status_code == 200
    token = csrf_of(client, f"/articles/{first}?q=x")
    client.post(f"/articles/{first}/vote", data={"helpful": "no", "q": "how can I return an item", "pos": "1",
                                                  "csrf_token": token})
    client.get("/search", query_string={"q": "my parrot ate the invoice"})
    token = csrf_of(client, "/ask")
    answer = client.post("/ask", data={"question": "my parrot ate the invoice", "email": "p@example.com",
                                       "search_query": "my parrot ate the invoice", "csrf_token": token})
    assert answer.status_code == 303
    one, two = rows(app)
    assert (one["opened"], one["opened_pos"], one["vote"]) == (first, 1, False)
    assert two["ticket"] == 1 and two["opened"] is None


def test_console_and_api_searches_are_recorded(app):
    operator = sign_in(app, "olga")
    for prefix in ("ret", "return", "return an item"):
        operator.get("/console/results", query_string={"q": prefix, "qid": "c1"})
    first = rows(app)[0]["results"][0][0]
    operator.get(f"/console/articles/{first}", query_string={"q": "return an item", "qid": "c1"})
    app.test_client().get("/api/v1/search", query_string={"q": "delivery times"})
    console, api = rows(app)
    assert (console["source"], console["text"], console["visitor"], console["opened"]) == (
        "console", "return an item", "operator:olga", first)
    assert api["source"] == "api" and api["text"] == "delivery times" and api["visitor"] == "anonymous"


SECRETS = {
    "email": "ivan.petrov@mail.ru",
    "phone": "+7 (912) 345-67-89",
    "phone2": "8 912 345 67 89",
    "phone3": "89123456789",
    "phone4": "+44 20 7946 0958",
    "card": "4111 1111 1111 1111",
    "card2": "5500000000000004",
    "passport": "4510 123456",
    "iban": "DE89 3704 0044 0532 0130 00",
}


def raw_forms(value: str) -> set[str]:
    digits = "".join(c for c in value if c.isdigit())
    return {value, digits} if len(digits) >= 10 else {value}


def test_no_personal_data_reaches_the_database_file(app, tmp_path):
    client, operator = app.test_client(), sign_in(app, "olga")
    templates = ["my email is {} and nothing came", "перезвоните мне {} пожалуйста", "возврат на карту {}",
                 "паспорт {} для таможни", "refund to {}"]
    for n, value in enumerate(SECRETS.values()):
        question = templates[n % len(templates)].format(value)
        client.get("/search", query_string={"q": question})
        client.get("/search/results", query_string={"q": question, "qid": f"s{n}"})
        operator.get("/console/results", query_string={"q": question, "qid": f"s{n}"})
        client.get("/api/v1/search", query_string={"q": question})
    results = rows(app)
    article = results[0]["results"][0][0]
    question = f"my card {SECRETS['card']} and {SECRETS['email']}"
    client.get("/search", query_string={"q": question})
    client.get(f"/articles/{article}", query_string={"q": question, "pos": 1})
    token = csrf_of(client, f"/articles/{article}")
    client.post(f"/articles/{article}/vote", data={"helpful": "yes", "q": question, "pos": "1", "csrf_token": token})
    logged = rows(app)
    assert len(logged) == 4 * len(SECRETS) + 1
    assert any("[card]" in r["text"] and "[email]" in r["text"] for r in logged)
    votes = app.extensions["kb"].votes.recent()
    assert votes and votes[0]["question"] == "my card [card] and [email]"
    path = Path(app.extensions["kb"].settings.database_url.removeprefix("sqlite:///"))
    files = [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
    data = b"".join(p.read_bytes() for p in files)
    assert b"[email]" in data  # the text is there, masked
    for value in SECRETS.values():
        for form in raw_forms(value):
            assert form.encode() not in data, f"{form!r} is in the database file"


@pytest.mark.parametrize("path", ["/search/results", "/console/results"])
def test_the_fragment_is_not_slower_for_the_log(app, path):
    """The log adds nothing measurable to a fragment: 200 requests with it against 200 without,
    interleaved (each question new, so no cache favours either)."""
    client = sign_in(app, "olga") if path.startswith("/console") else app.test_client()
    client.get(path, query_string={"q": "warm up"})
    log = app.extensions["kb"].questions
    original, spent = log.asked, {True: [], False: []}
    try:
        for n in range(400):
            logged = n % 2 == 0
            log.asked = original if logged else (lambda **_kw: None)
            started = time.perf_counter()
            assert client.get(path, query_string={"q": f"how do I return item {n}", "qid": f"t{n}"}).status_code == 200
            spent[logged].append(time.perf_counter() - started)
    finally:
        log.asked = original
    with_log, without = (sorted(spent[k])[len(spent[k]) // 2] for k in (True, False))
    print(f"{path}: median {with_log * 1000:.1f} ms with the log, {without * 1000:.1f} ms without")
    assert with_log < without * 1.3 + 0.002, (with_log, without)


def test_in_a_real_browser_typing_is_one_question_and_a_pause_starts_another(serve_sample, browser):
    """help.js: every keystroke of one question shares its id; after a 2 s pause the next one is new;
    the result opened and the vote attach to the question that led there."""
    from playwright.sync_api import expect

    base, app = serve_sample()
    page = browser.new_page(locale="en-GB")
    page.goto(base + "/?lang=en")
    page.locator("#q").click()
    page.keyboard.type("how do I return an item", delay=40)
    page.wait_for_function("() => decodeURIComponent(location.search).includes('return an item')")
    page.wait_for_timeout(2500)  # the visitor pauses, then asks something else
    page.locator("#q").select_text()
    page.keyboard.type("when will my parcel arrive", delay=40)
    page.wait_for_function("() => decodeURIComponent(location.search).includes('parcel arrive')")
    first = page.locator("#results .result h2 a").first
    article = first.get_attribute("href").split("?")[0].rsplit("/", 1)[1]
    first.click()
    expect(page.locator("article h1")).to_be_visible()
    page.locator("button[name=helpful][value=no]").click()
    expect(page.get_by_role("status")).to_be_visible()
    logged = rows(app)
    assert [r["text"] for r in logged] == ["how do I return an item", "when will my parcel arrive"]
    assert logged[0]["opened"] is None
    assert (logged[1]["opened"], logged[1]["opened_pos"], logged[1]["vote"]) == (article, 1, False)


def test_the_address_is_kept_hashed_beside_the_cookie_so_fresh_cookies_are_not_fresh_people(app):
    # Hostile: 40 fresh browsers (cookies) from one address, then one from another address.
    for n in range(40):
        app.test_client().get("/search/results", query_string={"q": "staff notice", "qid": f"c{n}"},
                              environ_base={"REMOTE_ADDR": "203.0.113.7"})
    app.test_client().get("/search/results", query_string={"q": "staff notice", "qid": "d1"},
                          environ_base={"REMOTE_ADDR": "198.51.100.2"})
    logged = rows(app)
    assert len({r["visitor"] for r in logged}) == 41
    assert len({r["network"] for r in logged}) == 2 and all(len(r["network"]) == 32 for r in logged)
    assert not any("203.0.113.7" in r["network"] or "198.51.100.2" in r["network"] for r in logged)


def test_an_ipv6_address_counts_by_its_64():
    from kb.analytics.log import network_ref

    same = {network_ref("s", "2001:db8:1:2::1"), network_ref("s", "2001:db8:1:2:ffff::9")}
    assert len(same) == 1 and network_ref("s", "2001:db8:1:3::1") not in same
    assert network_ref("s", "::ffff:203.0.113.7") == network_ref("s", "203.0.113.7") != network_ref("t", "203.0.113.7")
