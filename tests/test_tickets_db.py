"""The ticket database: migrations from empty match the models, on SQLite and PostgreSQL."""
import pytest
from sqlalchemy import inspect, select

from kb.db.engine import Database
from kb.desk.tables import Base, Counter, Ticket, TicketEvent
from kb.errors import NotFound


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/nested/folder/kb.sqlite"  # the folder is created as needed
    from sqlalchemy import create_engine, text

    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    with engine.begin() as connection:  # the session database, emptied completely
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    from kb.db import engine as kb_db

    if url in kb_db._databases:
        kb_db._databases.pop(url).dispose()
    return url


def test_migrations_from_empty_match_the_models(empty_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    import kb.analytics.tables  # noqa: F401  (every part's tables, as kb/db/migrations/env.py)
    import kb.gaps.tables  # noqa: F401
    from kb.db.engine import alembic_config

    database = Database(empty_url)
    assert inspect(database.engine).get_table_names() == []
    database.upgrade()
    database.upgrade()  # again: a no-op, as at every start
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == [], differences
        newest = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
        assert MigrationContext.configure(connection).get_current_revision() == newest
    with database.transaction() as session:
        assert session.scalar(select(Counter.value).where(Counter.name == "ticket_number")) == 0
    database.dispose()


def test_history_is_append_only(desk):
    ticket = desk.create_ticket("Where is my parcel?", email="ann@example.com")

    def edit(session):
        event = session.scalar(select(TicketEvent).limit(1))
        event.note = "rewritten"

    with pytest.raises(ValueError, match="append-only"):
        desk.db.run(edit)
    assert desk.show(ticket["number"])["events"][0]["params"] == {"channel": "web"}


def test_a_status_link_is_found_by_its_digest_also_for_tickets_from_before_the_digest(desk, db_url):
    """The database never compares the secret: a ticket is found by the token's SHA-256; tickets made
    before migration 0006 get theirs from it."""
    import hashlib

    from alembic import command

    from kb.db.engine import alembic_config

    ticket = desk.create_ticket("Where is my parcel?", email="digest@example.com")
    command.downgrade(alembic_config(db_url), "0005")  # as the database was before
    command.upgrade(alembic_config(db_url), "head")
    with desk.db.transaction() as session:
        row = session.scalar(select(Ticket).where(Ticket.number == ticket["number"]))
        assert row.token_digest == hashlib.sha256(row.token.encode()).hexdigest()
    assert desk.status(ticket["token"])["number"] == ticket["number"]
    with pytest.raises(NotFound):
        desk.status(ticket["token"][:-1] + ("A" if ticket["token"][-1] != "A" else "B"))
