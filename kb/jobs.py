"""Scheduled work, run by `kb worker` out of the web process: a small registry of named jobs
(name -> interval -> function(services)) and the loop that runs them.

Exactly one worker runs each job, however many run on however many hosts: before each run a
worker must hold the job's lock.

* PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its own,
  kept open for as long as this worker is the job's runner. The server drops the lock when that
  connection ends: the worker stops, dies, or loses the network. Before each run the worker checks
  the connection; if it is gone, so is the leadership, and the worker tries to take it again.
* SQLite: an exclusive `flock` on a file beside the database file (`kb.sqlite.escalation.lock`);
  the kernel drops it when the process dies. (Plain `fcntl.flock`, not the `filelock` package,
  whose "soft" fallback would leave a stale lock behind a killed worker.)

A worker that does not hold a job's lock stands by and tries again every interval, so a standby
takes over within one interval of the runner's death, and then runs the job at once. Each job has
its own thread and its own lock, so a slow job (clustering, say) never delays another, and
several workers may share the jobs between them. A failed run (a database hiccup) is logged and
the schedule goes on. The jobs themselves stay idempotent (escalation is), so even the moment
around a lost connection cannot do a thing twice.

Adding a job: a function of the services, registered with the setting that says how often:

    @job("mail", every=lambda settings: settings.mail_every)
    def poll_mail(services):
        ...
        return f"{n} message(s) turned into tickets"   # or None: nothing worth a line

A job touches only the parts it needs (`services.desk`, `services.searcher`), which load lazily:
the worker warms nothing else (escalation never loads a model).
"""
from __future__ import annotations

import hashlib
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kb.config import Settings
from kb.services import Services


@dataclass(frozen=True)
class Job:
    name: str
    every: Callable[[Settings], float]  # seconds between runs, from the settings; 0 turns it off
    run: Callable[[Services], str | None]  # does the work; returns a line to log, or None


JOBS: dict[str, Job] = {}


def job(name: str, every: Callable[[Settings], float]):
    """Register `function(services)` as the job `name`, run every `every(settings)` seconds."""
    def register(function):
        JOBS[name] = Job(name, every, function)
        return function

    return register


@job("escalation", every=lambda settings: settings.escalate_every)
def escalation(services: Services) -> str:
    moved = services.desk.escalate_overdue()
    return f"{len(moved)} ticket(s) escalated" if moved else None


@job("query-log-retention", every=lambda settings: settings.query_log_prune_every)
def query_log_retention(services: Services) -> str | None:
    """Questions older than KB_QUERY_LOG_DAYS go, from the log and from the gap finder's copies;
    their daily counts stay (kb.analytics)."""
    days = services.settings.query_log_days
    gone = services.questions.prune(days)
    copies = services.gaps.prune(days)
    if not gone and not copies:
        return None
    return f"{gone} question(s) past {days} days deleted ({copies} from the gap finder), daily counts kept"


@job("gaps", every=lambda settings: settings.gaps_every)
def gaps(services: Services) -> str | None:
    """New failed questions and solved tickets folded into the editors' suggestions (kb.gaps)."""
    outcome = services.gaps.refresh()
    return outcome.line() if outcome.folded or outcome.updated else None


def enabled_jobs(settings: Settings, jobs=None) -> list[tuple[Job, float]]:
    """(job, interval) of every registered job whose interval is above 0."""
    chosen = JOBS.values() if jobs is None else jobs
    return [(j, j.every(settings)) for j in chosen if j.every(settings) > 0]


# --- locks: at most one holder per job and database, dropped when the holder dies -----------------

def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a job name."""
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


# --- the schedule -----------------------------------------------------------------------------

def stderr_log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class JobRunner:
    """Runs one job every interval, while this process holds its lock; stands by otherwise."""

    def __init__(self, services: Services, job: Job, every: float, stop: threading.Event, log, *,
                 verbose: bool = False, lock=None):
        self.services, self.job, self.every, self.stop = services, job, every, stop
        self.lock = lock if lock is not None else lock_for(services.settings, job.name)
        self.verbose = verbose
        self._log = log
        self.state = None  # "running" | "standby" | "error", so each change is logged once

    def log(self, message: str) -> None:
        self._log(f"worker {os.getpid()}: {message}")

    def loop(self) -> None:
        try:
            while not self.stop.is_set():
                started = time.monotonic()
                self.tick()
                self.stop.wait(max(0.0, started + self.every - time.monotonic()))
        finally:
            self.lock.dispose()

    def tick(self) -> None:
        """One turn: make sure we hold the lock (or try to get it), then run the job once."""
        if self.state == "running" and not self.lock.still_held():
            self.log(f"lost the lock of {self.job.name}; trying to take it again")
            self.state = None
        if self.state != "running":
            try:
                held = self.lock.try_acquire()
            except Exception as exc:  # noqa: BLE001 (the database may be down: retried next interval)
                self._change("error", f"cannot reach the lock of {self.job.name}: {one_line(exc)}; "
                             f"retrying every {self.every:g} s")
                return
            if not held:
                self._change("standby", f"standing by for {self.job.name} (another worker runs it)")
                return
            self._change("running", f"running {self.job.name} (every {self.every:g} s)")
        try:
            outcome = self.job.run(self.services)
        except Exception as exc:  # noqa: BLE001 (a database hiccup must not end the schedule)
            self.log(f"{self.job.name} failed: {one_line(exc)}")
            return
        if outcome or self.verbose:
            self.log(f"{self.job.name}: {outcome or 'ran, nothing to do'}")

    def _change(self, state: str, message: str) -> None:
        if state != self.state:
            self.state = state
            self.log(message)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run_schedule(services: Services, stop: threading.Event, *, jobs=None, log=stderr_log,
                 verbose: bool = False, stop_timeout: float = 30.0) -> list[str]:
    """Run the enabled jobs, each in its own thread, until `stop` is set; then wait for runs in
    progress (up to `stop_timeout` s) and release the locks. Returns the names of the jobs run."""
    plan = enabled_jobs(services.settings, jobs)
    runners = [JobRunner(services, j, every, stop, log, verbose=verbose) for j, every in plan]
    threads = [threading.Thread(target=r.loop, name=f"kb-job-{r.job.name}", daemon=True) for r in runners]
    for thread in threads:
        thread.start()
    try:
        stop.wait()
    finally:
        stop.set()
        deadline = time.monotonic() + stop_timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
    return [j.name for j, _ in plan]


def start_schedule(services: Services, **kwargs) -> tuple[threading.Event, threading.Thread]:
    """`run_schedule` in a background thread (tests, embedding); set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=run_schedule, args=(services, stop), kwargs=kwargs,
                              name="kb-jobs", daemon=True)
    thread.start()
    return stop, thread
