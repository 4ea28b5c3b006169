"""The database: engine set-up for SQLite and PostgreSQL, transactions, migrations, and the one
declarative `Base` whose metadata holds the tables of every part (kb.desk.tables, kb.feedback.tables)."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    """The tables of every part hang on this one metadata (kb/migrations/env.py imports them all)."""

    # Named constraints, so migrations can refer to them on every database.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s"})


class Database:
    """One engine and session factory per database URL; `transaction()` is the unit of work."""

    def __init__(self, url: str):
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = _sqlite_engine(self.url)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True, pool_size=10, max_overflow=50)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self):
        with self.sessions.begin() as session:
            yield session

    def run(self, work, *args, attempts: int = 5, **kwargs):
        """Run `work(session, ...)` in one transaction, again if SQLite stayed locked too long."""
        for attempt in range(attempts):
            try:
                with self.transaction() as session:
                    return work(session, *args, **kwargs)
            except OperationalError as exc:
                if not (self.is_sqlite and "locked" in str(exc)) or attempt == attempts - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def upgrade(self, revision: str = "head"):
        """Apply the migrations shipped in kb/migrations (a no-op when already at the newest).

        `revision` stops at an older one (tests start from there to check a later migration)."""
        from alembic import command

        # Alembic keeps the running migration in module globals (`alembic.context`): two threads
        # migrating at once, even two databases, trample each other's. One at a time per process.
        with _MIGRATING, self.engine.begin() as connection:
            if not self.is_sqlite:
                # Several servers may start at once: one migrates, the others wait for it.
                connection.execute(text("SELECT pg_advisory_xact_lock(7365123)"))
            config = alembic_config(str(self.url.render_as_string(hide_password=False)))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def dispose(self):
        self.engine.dispose()


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _sqlite_engine(url):
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # A long busy timeout makes concurrent writers queue instead of failing with "database is locked".
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, issue BEGIN (the driver's deferred BEGIN can deadlock
        # two writers that both read first); WAL lets readers go on while one process writes.
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        # Deleted and overwritten rows are zeroed, not left in free pages: masked query-log texts
        # and removed contacts are really gone from the file.
        dbapi_connection.execute("PRAGMA secure_delete=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Take the write lock at the start: every transaction here reads and then writes.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


_databases: dict[str, Database] = {}
_MIGRATING = threading.RLock()


def open_database(url: str, upgrade: bool = True) -> Database:
    """The process-wide Database for `url`, migrated to the newest schema on first use (once, even
    when a request and the query log's writer thread ask for it at the same moment)."""
    with _MIGRATING:
        if url not in _databases:
            database = Database(url)
            if upgrade:
                database.upgrade()
            _databases[url] = database
        return _databases[url]

