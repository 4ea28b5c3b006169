"""The gap finder as the worker runs it: questions read from the query log and the desk, folded
into clusters kept in the database, with the real e5 and USE encoders over the sample knowledge
base. Every test runs on SQLite and on PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from kb.analytics.log import QueryLog
from kb.errors import Conflict

NOW = datetime(2026, 11, 30, 12, 0)

# A topic the sample shop has no article for, asked in English and in Russian.
GIFT_WRAP = [("v1", "can you gift wrap my order"), ("v2", "упакуйте, пожалуйста, как подарок"),
             ("v3", "I'd like my purchase packed as a gift"), ("v1", "is gift wrapping available"),
             ("v2", "можно ли заказать подарочную упаковку")]
CHATTER = [("v4", "what's the weather tomorrow"), ("v5", "who won the football match"), ("v6", "tell me a joke")]


@pytest.fixture(scope="module")
def joint():
    """One set of question vectors for the module: e5 and USE encode each text once."""
    from kb.gaps.vectors import JointVectors

    return JointVectors.of(("e5", "use"))


@pytest.fixture
def gaps(database, searcher, joint):
    from kb.gaps.finder import GapFinder
    from kb.gaps.store import GapStore

    def store():
        return GapStore(database, lambda: searcher.articles, lambda articles: GapFinder(articles, joint))

    log = QueryLog(database)
    counter = iter(range(1, 10_000))

    def ask(visitor, text, at=NOW, network=None):
        response = searcher.search(text)
        log.asked(visitor=visitor, qid=f"q{next(counter)}", text=text, source="help", lang=response.lang,
                  results=[(r.id, r.confidence) for r in response.results], no_match=response.no_match,
                  confidence=response.confidence, network=network, now=at)
        assert log.flush()
        return response

    yield store, ask
    log.close()


def open_suggestions(store, **kwargs):
    return store.suggestions(now=NOW + timedelta(hours=1), **kwargs)


def test_a_topic_asked_in_both_languages_is_one_suggestion_and_a_new_question_joins_it(gaps):
    store, ask = gaps
    for n, (visitor, text) in enumerate(GIFT_WRAP + CHATTER):
        ask(visitor, text, NOW - timedelta(hours=len(GIFT_WRAP) + 3 - n))
    work = store()
    first = work.refresh(NOW)
    assert first.folded >= 6  # every unanswered question is kept, chatter too (it waits in the pool)
    [suggestion] = open_suggestions(work)
    assert suggestion["kind"] == "missing" and suggestion["article"] is None
    assert {"ru", "en"} <= set(suggestion["examples"])
    assert suggestion["count"] >= 3 and suggestion["visitors"] >= 2
    assert not set(suggestion["questions"]) & {text for _, text in CHATTER}

    assert work.refresh(NOW).folded == 0  # nothing new: nothing folded again

    ask("v7", "would you wrap my gift", NOW)  # a new wording, a new visitor
    again = work.refresh(NOW + timedelta(minutes=5))
    assert again.folded == 1
    [grown] = open_suggestions(work)
    assert grown["id"] == suggestion["id"]
    assert grown["count"] == suggestion["count"] + 1
    assert "would you wrap my gift" in grown["questions"]


def test_the_state_is_in_the_database_and_a_restarted_worker_goes_on_from_it(gaps, database):
    from kb.gaps.tables import GapQuestion

    store, ask = gaps
    for visitor, text in GIFT_WRAP:
        ask(visitor, text)
    store().refresh(NOW)
    before = open_suggestions(store())

    restarted = store()  # a new process: nothing in memory
    assert open_suggestions(restarted) == before
    ask("v8", "can the parcel be wrapped as a present", NOW + timedelta(minutes=1))
    assert restarted.refresh(NOW + timedelta(minutes=10)).folded == 1
    [after] = open_suggestions(restarted)
    assert after["id"] == before[0]["id"] and after["count"] == before[0]["count"] + 1
    rows = database.run(lambda s: s.scalar(select(func.count()).select_from(GapQuestion)))
    assert rows == len(GIFT_WRAP) + 1  # each question stored once, however many runs


def test_a_dismissed_suggestion_stays_dismissed_and_swallows_its_new_questions(gaps, database):
    from kb.gaps.actions import dismiss

    store, ask = gaps
    for visitor, text in GIFT_WRAP:
        ask(visitor, text)
    work = store()
    work.refresh(NOW)
    [suggestion] = open_suggestions(work)
    dismiss(database, suggestion["id"], "erin")
    with pytest.raises(Conflict):
        dismiss(database, suggestion["id"], "erin")

    for visitor, text in [("v9", "would you wrap my gift"), ("v10", "gift wrap please"),
                          ("v11", "упакуйте как подарок, пожалуйста")]:
        ask(visitor, text, NOW + timedelta(minutes=1))
    work.refresh(NOW + timedelta(minutes=10))
    assert open_suggestions(work) == []  # the topic does not come back as a new suggestion
    [closed] = open_suggestions(work, status="dismissed")
    assert closed["id"] == suggestion["id"] and closed["count"] > suggestion["count"]
    assert closed["closed_by"] == "erin"


def test_since_counts_only_the_questions_asked_since(gaps):
    store, ask = gaps
    for n, (visitor, text) in enumerate(GIFT_WRAP):
        ask(visitor, text, NOW - timedelta(days=20 - n))  # the last one 16 days ago
    ask("v12", "can the parcel be wrapped as a present", NOW - timedelta(days=1))
    work = store()
    work.refresh(NOW)
    [everything] = open_suggestions(work)
    [recent] = open_suggestions(work, since=NOW - timedelta(days=7))
    assert recent["count"] == 1 and everything["count"] >= 4
    assert everything["trend"]["last_7"] == 1 and everything["trend"]["previous_30"] >= 3
    assert open_suggestions(work, since=NOW) == []


# What customers wrote, their addresses in it (the desk keeps them), and what the gap finder may store.
RAIN = {"the package arrived soggy and ruined by rain, mail me at anna.k@example.com":
        "the package arrived soggy and ruined by rain, mail me at [email]",
        "parcel got wet in the rain, item ruined, I am ivan@mail.ru":
        "parcel got wet in the rain, item ruined, I am [email]",
        "box left in the rain, everything soaked, reply to olga_p@example.org":
        "box left in the rain, everything soaked, reply to [email]"}


def test_tickets_solved_with_an_article_suggest_their_wordings_for_it(gaps, database, desk):
    from kb.desk.operators import add_operator

    store, _ = gaps
    add_operator(database, "olga", "Olga", "a-long-password-1", tier=1)
    for n, question in enumerate(RAIN):
        ticket = desk.create_ticket(question, email=f"c{n}@example.com", language="en")
        desk.take(ticket["number"], "olga")
        desk.solve(ticket["number"], "olga", answer="Sorry, we will replace it.", article_id="en-damaged-item")
    work = store()
    assert work.refresh().folded == 3
    [suggestion] = work.suggestions()
    assert (suggestion["kind"], suggestion["article"]) == ("add", "en-damaged-item")
    assert sorted(suggestion["questions"]) == sorted(RAIN.values())  # masked before it was stored
    assert len(suggestion["tickets"]) == 3


PLANTED = "Staff notice: gift wrapping is now free, please publish this and send customers to evil.example"


def test_forty_cookies_from_one_address_make_one_person_and_no_suggestion(gaps):
    store, ask = gaps
    for n in range(40):  # hostile: 40 fresh cookies, one address, one phishing text
        ask(f"cookie{n}", PLANTED, NOW - timedelta(minutes=50 - n), network="attacker")
    work = store()
    work.refresh(NOW)
    assert open_suggestions(work) == []
    for n, (visitor, text) in enumerate(GIFT_WRAP):  # then real customers, each from their own address
        ask(visitor, text, NOW - timedelta(minutes=5 - n), network=f"home-{visitor}")
    work.refresh(NOW + timedelta(minutes=1))
    [first, *_] = open_suggestions(work)
    assert first["title"] != PLANTED and first["visitors"] <= 4  # three customers, and the address
    # The planted copies joined the topic, but count as one person asking PER_ORIGIN times at most.
    assert first["count"] <= len(GIFT_WRAP) + 3


def test_three_cookies_from_one_address_neither_suggest_nor_retitle(gaps):
    store, ask = gaps
    for n, (visitor, text) in enumerate(GIFT_WRAP):
        ask(visitor, text, NOW - timedelta(hours=3, minutes=-n), network=f"home-{visitor}")
    work = store()
    work.refresh(NOW - timedelta(hours=2))
    [before] = open_suggestions(work)
    for n in range(3):  # hostile: the same wording from three cookies of one address, twice over
        ask(f"cookie{n}", PLANTED, NOW - timedelta(minutes=30 - n), network="attacker")
        ask(f"cookie{n}x", "Staff notice: please publish this text as the new returns policy",
            NOW - timedelta(minutes=20 - n), network="attacker")
    work.refresh(NOW)
    after = open_suggestions(work)
    assert [s["id"] for s in after] == [before["id"]]
    assert after[0]["title"] == before["title"]
    assert after[0]["visitors"] - before["visitors"] in (0, 1)  # the address is one person at most


def test_a_wording_asked_from_two_addresses_may_name_the_topic():
    from kb.gaps.inputs import AskedQuestion
    from kb.gaps.suggestions import asked_count, people, title_of

    def q(text, visitor, network):
        return AskedQuestion(text=text, lang="en", asked_at=NOW, visitor=visitor, no_match=True, confidence=0.1,
                             network=network)

    planted = [q(PLANTED, f"c{n}", "attacker") for n in range(5)]
    real = [q("Can you gift wrap my order?", "a", "home-a"), q("can you gift-wrap my order", "b", "home-b"),
            q("gift wrap please", "c", "home-c")]
    assert title_of(planted + real, range(8)) == ("Can you gift wrap my order?", True)
    assert title_of(planted + real[2:], range(6)) == ("gift wrap please", False)  # the flood names nothing
    assert (people(planted), asked_count(planted)) == (1, 3)
    assert (people(planted + real), asked_count(planted + real)) == (4, 6)
