"""The database engine: set-up for SQLite and PostgreSQL, transactions, applying the migrations
(kb/db/migrations), and the one declarative `Base` whose metadata holds the tables of every part
(kb.desk.tables, kb.analytics.tables, kb.gaps.tables).

A database that cannot be reached (PostgreSQL stopped, a wrong URL, an unwritable SQLite file) is
`Unavailable` (a 503 with a message to try again), never a 500: nothing is half-written, since each
unit of work is one transaction. A SQLite file removed or replaced under the running process, or
whose `-shm` file was truncated, is refused before any connection touches it (see `check`).
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from kb.errors import Unavailable

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
RETRY_MESSAGE = "the ticket database cannot be reached right now; please try again shortly"
# SQLite maps its `-shm` file (the WAL index) in 32 KiB regions; a shorter file under an open
# connection means someone truncated it, and touching the mapping would kill the process (SIGBUS).
SHM_REGION = 32768

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """The tables of every part hang on this one metadata (kb/db/migrations/env.py imports them all)."""

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
        self.file: tuple[str, tuple[int, int]] | None = None  # SQLite: the path and the (device, inode) opened
        self._shm_seen = 0  # SQLite: the longest its -shm file was seen, to give it back if cut short
        if self.is_sqlite:
            self.engine, self.file = _sqlite_engine(self.url)
            read_options = {"kb_read_only": True}
        else:
            # A server that does not answer fails a request in seconds, not at the TCP timeout.
            self.engine = create_engine(self.url, pool_pre_ping=True, pool_size=10, max_overflow=50,
                                        connect_args={"connect_timeout": 5})
            read_options = {"kb_read_only": True, "postgresql_readonly": True}
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.engine.execution_options(**read_options), expire_on_commit=False)

    @contextmanager
    def transaction(self, write: bool = True):
        """One transaction; `write=False` for work that only reads (on SQLite a plain deferred BEGIN,
        which in WAL mode never waits for a writer; on PostgreSQL a READ ONLY transaction)."""
        self.check()
        with (self.sessions if write else self.read_sessions).begin() as session:
            yield session

    def run(self, work, *args, attempts: int = 5, write: bool = True, **kwargs):
        """Run `work(session, ...)` in one transaction, again if SQLite stayed locked too long;
        `write=False` for work that only reads. A database that cannot be reached is `Unavailable`."""
        for attempt in range(attempts):
            try:
                with self.transaction(write) as session:
                    return work(session, *args, **kwargs)
            except OperationalError as exc:
                if self.is_sqlite and "locked" in str(exc) and attempt < attempts - 1:
                    time.sleep(0.05 * (attempt + 1))
                    continue
                raise self.unavailable(exc) from exc
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                raise self.unavailable(exc) from exc

    def unavailable(self, exc: Exception) -> Unavailable:
        log.warning("database %s: %s", self.url.render_as_string(hide_password=True), str(exc).splitlines()[0])
        return Unavailable(RETRY_MESSAGE)

    def check(self) -> None:
        """SQLite: refuse work when the path no longer holds the file this process opened (removed or
        replaced: what is written would be lost), or when its `-shm` file was truncated under our
        open connections (touching the mapping would kill the process with SIGBUS; the length is
        given back when the file can be written, and work goes on with the next transaction)."""
        if self.file is None:
            return
        path, opened = self.file
        try:
            found = os.stat(path)
        except OSError:
            found = None
        if found is None or (found.st_dev, found.st_ino) != opened:
            log.error("database file %s was removed or replaced while the server ran: restart it", path)
            raise Unavailable(f"{RETRY_MESSAGE} (the database file was removed or replaced: restart the server)")
        pool = self.engine.pool
        if pool.checkedin() + pool.checkedout() == 0:
            return  # no connection maps the -shm: the next one sets it up afresh
        try:
            shm = os.stat(path + "-shm").st_size
        except OSError:
            return
        if shm >= SHM_REGION:
            self._shm_seen = max(self._shm_seen, shm)
            return
        try:
            # Its length back, zero-filled: SQLite finds the WAL index blank and rebuilds it from the
            # WAL (as after a crash), so the next transaction goes on; this one is refused.
            os.truncate(path + "-shm", max(self._shm_seen, SHM_REGION))
            log.error("database file %s-shm was truncated under the running server: length restored", path)
        except OSError as exc:
            log.error("database file %s-shm was truncated under the running server and cannot be restored "
                      "(%s): restart the server once it is writable", path, exc.strerror)
        raise Unavailable(f"{RETRY_MESSAGE} (the database's -shm file was truncated)")

    def ping(self) -> None:
        """Unavailable unless the database answers a read now (the health check)."""
        self.run(lambda session: session.execute(text("SELECT 1")), attempts=1, write=False)

    def upgrade(self, revision: str = "head"):
        """Apply the migrations shipped in kb/db/migrations (a no-op when already at the newest).

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
    # A long busy timeout makes concurrent writers queue instead of failing with "database is locked".
    options = {"timeout": 30, "check_same_thread": False}
    file = None
    if url.database and url.database != ":memory:":
        path = Path(url.database).absolute()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o644))  # an empty file is an empty database
            found = path.stat()
        except OSError as exc:
            raise Unavailable(f"{RETRY_MESSAGE} (cannot open {path}: {exc.strerror})") from exc
        file = (str(path), (found.st_dev, found.st_ino))
        # mode=rw: a connection opened after the file was removed fails instead of making an empty one.
        uri = f"{path.as_uri()}?mode=rw"
        engine = create_engine(url, creator=lambda: sqlite3.connect(uri, uri=True, **options))
    else:
        engine = create_engine(url, connect_args=options)

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
        # A transaction that reads and then writes takes the write lock at the start; one that only
        # reads (Database.run(write=False)) does not, so it never waits behind a writer.
        read_only = connection.get_execution_options().get("kb_read_only")
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine, file


_databases: dict[str, Database] = {}
_MIGRATING = threading.RLock()


def open_database(url: str, upgrade: bool = True) -> Database:
    """The process-wide Database for `url`, migrated to the newest schema on first use (once, even
    when a request and the query log's writer thread ask for it at the same moment)."""
    with _MIGRATING:
        if url not in _databases:
            database = Database(url)
            if upgrade:
                try:
                    database.upgrade()
                except OperationalError as exc:
                    database.dispose()
                    raise database.unavailable(exc) from exc
            _databases[url] = database
        return _databases[url]

