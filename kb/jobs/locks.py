"""The locks that make exactly one worker run each job, however many run on however many hosts:
before each run a worker must hold the job's lock.

* PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its own,
  kept open for as long as this worker is the job's runner. The server drops the lock when that
  connection ends: the worker stops, dies, or loses the network. Before each run the worker checks
  the connection; if it is gone, so is the leadership, and the worker tries to take it again.
* SQLite: an exclusive `flock` on a file beside the database file (`kb.sqlite.escalation.lock`);
  the kernel drops it when the process dies. (Plain `fcntl.flock`, not the `filelock` package,
  whose "soft" fallback would leave a stale lock behind a killed worker.)
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from kb.config import Settings


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a job name."""
    # "kb.jobs:" is only a namespace: changing it would let an old and a new worker both hold a job.
    digest = hashlib.blake2b(f"kb.jobs:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresLock:
    """`pg_try_advisory_lock` on a dedicated connection; held while that connection lives."""

    def __init__(self, url: str, name: str):
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        self.key = lock_key(name)
        # Not the services' pooled engine: closing this connection must really end the session,
        # and keepalives make a dead server or network show up as an error, not a hang.
        self.engine = create_engine(url, poolclass=NullPool, connect_args={
            "connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
            "keepalives_count": 3, "application_name": f"kb worker {os.getpid()} lock"})
        self.connection = None

    def try_acquire(self) -> bool:
        from sqlalchemy import text

        self.release()
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            held = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
        except Exception:
            connection.close()
            raise
        if held:
            self.connection = connection
        else:
            connection.close()
        return bool(held)

    def still_held(self) -> bool:
        """Is the lock's connection alive (and so the lock still ours)?"""
        from sqlalchemy import text

        if self.connection is None:
            return False
        try:
            self.connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 (any failure means the session, and the lock, is gone)
            self._drop()
            return False

    def release(self) -> None:
        if self.connection is None:
            return
        from sqlalchemy import text

        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except Exception:  # noqa: BLE001, S110 (a dead connection holds nothing any more)
            pass
        self._drop()

    def _drop(self):
        connection, self.connection = self.connection, None
        try:
            connection.close()
        except Exception:  # noqa: BLE001, S110 (closing a broken connection may fail; it is dropped anyway)
            pass

    def dispose(self):
        self.release()
        self.engine.dispose()


class FileLock:
    """An exclusive `flock` on a file; the kernel releases it when the process dies."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.handle = None

    def try_acquire(self) -> bool:
        import fcntl

        self.release()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 (kept open: the open descriptor is the lock)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")  # who holds it, for a curious operator
        handle.flush()
        self.handle = handle
        return True

    def still_held(self) -> bool:
        """Ours while the file we locked is still the one at the path (nobody deleted it)."""
        if self.handle is None:
            return False
        try:
            same = os.fstat(self.handle.fileno()).st_ino == os.stat(self.path).st_ino
        except OSError:
            same = False
        if not same:
            self.release()
        return same

    def release(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            handle.close()  # closing the descriptor drops the flock

    dispose = release


class LocalLock:
    """For an in-memory SQLite database: every process has its own, so there is nothing to share."""

    def __init__(self):
        self.held = False

    def try_acquire(self) -> bool:
        self.held = True
        return True

    def still_held(self) -> bool:
        return self.held

    def release(self) -> None:
        self.held = False

    dispose = release


def lock_for(settings: Settings, name: str):
    """The lock that makes one worker the runner of job `name` for this database."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
            return LocalLock()
        database = Path(url.database).resolve()
        return FileLock(database.with_name(f"{database.name}.{name}.lock"))
    return PostgresLock(settings.database_url, name)
