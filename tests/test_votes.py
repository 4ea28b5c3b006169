"""'Was this helpful?' votes in the database, on SQLite and PostgreSQL; the migration that adds them."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text

from conftest import fake_embed, make_settings
from kb.analytics.votes import Votes
from kb.db.engine import Base, Database, alembic_config
from kb.errors import InvalidInput

NOON = datetime(2026, 3, 2, 12, 0)


@pytest.fixture
def votes(database):
    # The PostgreSQL database lives for the whole session and the shared fixture empties only the
    # ticket tables: start each test with no votes.
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM votes"))
    return Votes(database)


def test_record_and_counts(votes):
    first = votes.record("cancel-order", True, question="How do I cancel an order?", lang="en", position=1)
    votes.record("cancel-order", False, question="cancel after shipping", lang="en", position=3)
    votes.record("cancel-order", True)
    votes.record("track-order", False, source="console")
    assert isinstance(first, int)
    assert votes.counts("cancel-order") == {"helpful": 2, "not_helpful": 1}
    assert votes.counts("track-order") == {"helpful": 0, "not_helpful": 1}
    assert votes.counts("never-voted") == {"helpful": 0, "not_helpful": 0}


def test_the_question_is_stored_as_given_after_stripping(votes):
    votes.record("reset-password", False, question="  Как сбросить\tпароль?\n", lang="ru", source="api",
                 position=2, now=NOON)
    votes.record("reset-password", True, question=" \n ", now=NOON + timedelta(minutes=1))  # nothing typed
    latest, first = votes.recent()
    assert first == {"id": first["id"], "article_id": "reset-password", "helpful": False,
                     "question": "Как сбросить\tпароль?", "lang": "ru", "source": "api", "position": 2,
                     "created_at": NOON}
    assert latest["question"] is None and latest["lang"] is None and latest["source"] == "help"
    assert latest["position"] is None and latest["helpful"] is True


def test_recent_is_newest_first_since_a_time_and_limited(votes):
    for minutes in range(5):
        votes.record(f"article-{minutes}", minutes % 2 == 0, now=NOON + timedelta(minutes=minutes))
    # An aware time is stored as naive UTC: 15:05 in Moscow is 12:05 UTC, the newest.
    votes.record("moscow", True, now=datetime(2026, 3, 2, 15, 5, tzinfo=timezone(timedelta(hours=3))))
    assert [v["article_id"] for v in votes.recent()] == ["moscow"] + [f"article-{m}" for m in (4, 3, 2, 1, 0)]
    assert votes.recent()[0]["created_at"] == datetime(2026, 3, 2, 12, 5)
    assert [v["article_id"] for v in votes.recent(since=NOON + timedelta(minutes=3))] == ["moscow", "article-4",
                                                                                        "article-3"]
    assert [v["article_id"] for v in votes.recent(limit=2)] == ["moscow", "article-4"]
    with pytest.raises(InvalidInput, match="limit"):
        votes.recent(limit=0)


@pytest.mark.parametrize(("article_id", "helpful", "options", "message"), [
    ("cancel-order", True, {"question": "where\x00 is it"}, r"the question contains a control character \(U\+0000\)"),
    ("cancel-order", True, {"question": "x" * 501}, "the question is longer than 500 characters"),
    ("cancel-order", True, {"source": "email"}, "the source must be one of help, console, api"),
    ("", True, {}, "the article id is required"),
    ("   ", True, {}, "the article id is required"),
    (None, True, {}, "the article id must be text"),
    ("a" * 201, True, {}, "the article id is longer than 200 characters"),
    ("cancel\norder", True, {}, r"the article id contains a character that cannot be printed \(U\+000A\)"),
    ("cancel-order", "yes", {}, "helpful must be true or false"),
    ("cancel-order", True, {"lang": "english"}, "the language must be two lower-case letters"),
    ("cancel-order", True, {"position": 0}, "the position must be a whole number"),
    ("cancel-order", True, {"position": True}, "the position must be a whole number"),
])
def test_bad_input_is_refused_with_a_clear_message(votes, article_id, helpful, options, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        votes.record(article_id, helpful, **options)
    assert "\n" not in caught.value.message
    assert votes.recent() == []


def test_every_problem_in_one_line_and_limits_are_inclusive(votes):
    with pytest.raises(InvalidInput) as caught:
        votes.record("", True, question="\x07", source="sms")
    assert caught.value.message == ("the article id is required; the question contains a control character "
                                    "(U+0007); the source must be one of help, console, api")
    # 500 characters after stripping are fine, and so are 200 in the article id.
    votes.record("a" * 200, True, question=" " + "q" * 500 + " ")
    assert votes.recent()[0]["question"] == "q" * 500
    assert votes.counts("a" * 200) == {"helpful": 1, "not_helpful": 0}


def test_services_build_votes_once(db_url):
    from kb.app.services import Services

    services = Services(make_settings(database_url=db_url))
    assert services.votes is services.votes
    assert services.votes.db is services.database


# --- the migration ------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/kb.sqlite"
    from sqlalchemy import create_engine

    from kb.db import engine as kb_db

    url = request.getfixturevalue("postgres_url")
    if url in kb_db._databases:  # the next open_database() migrates the emptied database again
        kb_db._databases.pop(url).dispose()
    engine = create_engine(url)
    with engine.begin() as connection:  # the session database, emptied completely
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


def _head():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _revision(database):
    from alembic.migration import MigrationContext

    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_migrations_from_empty_match_every_table(empty_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import kb.analytics.tables  # noqa: F401
    import kb.desk.tables  # noqa: F401  (the metadata with every part's tables, as kb/db/migrations/env.py)

    database = Database(empty_url)
    database.upgrade()
    try:
        assert _revision(database) == _head()
        assert "votes" in inspect(database.engine).get_table_names()
        with database.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == [], differences
        names = {index["name"] for index in inspect(database.engine).get_indexes("votes")}
        assert names == {"ix_votes_article_id", "ix_votes_created_at"}
        checks = {check["name"] for check in inspect(database.engine).get_check_constraints("votes")}
        assert "ck_votes_source" in checks
    finally:
        database.dispose()


def _tickets_as_0001_wrote_them(database) -> list[str]:
    """Two tickets written straight into the 0001 schema (today's models have columns it lacks)."""
    from datetime import datetime, timedelta

    from sqlalchemy import text

    now = datetime(2026, 11, 2, 10, 0)
    tokens = ["OldTokenNumberOne-aaaaaaaaaaaaaa", "OldTokenNumberTwo-bbbbbbbbbbbbbb"]
    with database.engine.begin() as connection:
        for n, (question, token) in enumerate(zip(["Where is my parcel?", "Как вернуть деньги за заказ?"], tokens),
                                              start=1):
            connection.execute(text("INSERT INTO customers (id, name, email, created_at) VALUES (:n, '', :email, :now)"),
                               {"n": n, "email": f"{n}@example.com", "now": now})
            connection.execute(text(
                "INSERT INTO tickets (number, token, customer_id, question, details, channel, language, status, tier, "
                "created_at, first_response_due, due_at, version) VALUES (:n, :token, :n, :question, '', 'web', 'en', "
                "'new', 1, :now, :due, :due, 1)"), {"n": n, "token": token, "question": question, "now": now,
                                                    "due": now + timedelta(hours=4)})
        connection.execute(text("UPDATE counters SET value = 2 WHERE name = 'ticket_number'"))
    return tokens


def test_migration_from_0001_keeps_the_tickets(empty_url):
    from alembic import command
    from sqlalchemy import text

    from kb.desk.desk import Desk
    from kb.desk.rules import TicketRules

    database = Database(empty_url)
    try:
        database.upgrade("0001")
        assert _revision(database) == "0001"
        assert "votes" not in inspect(database.engine).get_table_names()
        tokens = _tickets_as_0001_wrote_them(database)

        database.upgrade()
        assert _revision(database) == _head()
        desk = Desk(database, TicketRules(), embed=fake_embed)
        assert [desk.show(n)["question"] for n in (1, 2)] == ["Where is my parcel?", "Как вернуть деньги за заказ?"]
        assert [desk.status(token)["number"] for token in tokens] == [1, 2]  # their status links still work
        assert desk.create_ticket("A third question, after the migration", email="c@example.com")["number"] == 3
        votes = Votes(database)
        votes.record("cancel-order", False, question="Where is my parcel?")
        assert votes.counts("cancel-order") == {"helpful": 0, "not_helpful": 1}

        # And back: the downgrade drops the votes and the later tables, and keeps the tickets.
        with database.engine.begin() as connection:
            config = alembic_config(database.url.render_as_string(hide_password=False))
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        assert _revision(database) == "0001"
        assert "votes" not in inspect(database.engine).get_table_names()
        with database.engine.connect() as connection:
            kept = connection.execute(text("SELECT number, token FROM tickets ORDER BY number")).all()
        assert [tuple(row) for row in kept][:2] == [(1, tokens[0]), (2, tokens[1])] and len(kept) == 3
        database.upgrade()  # the session's PostgreSQL database is left at the newest schema
    finally:
        database.dispose()
