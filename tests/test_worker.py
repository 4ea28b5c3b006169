"""`kb worker`: the scheduled jobs run in processes of their own, exactly one runner per job.

The main test starts two real `kb worker` processes on one database (SQLite and PostgreSQL, via
the `db_url` fixture), checks by their log lines that one runs escalation and the other stands
by, that an overdue ticket is escalated exactly once, and that when the runner is killed
(SIGKILL: no clean-up) the standby takes over within about one interval.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import KB, make_settings

EVERY = 0.2  # KB_ESCALATE_EVERY for the worker processes, seconds


class WorkerProcess:
    def __init__(self, name: str, process: subprocess.Popen, log: Path):
        self.name, self.process, self.log = name, process, log

    @property
    def pid(self) -> int:
        return self.process.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def lines(self, needle: str) -> list[str]:
        return [line for line in self.text().splitlines() if needle in line]

    def wait_for(self, needle: str, timeout: float = 20.0) -> float:
        """Seconds until `needle` shows up in the log; fails (with the log) after `timeout`."""
        start = time.monotonic()
        while needle not in self.text():
            if time.monotonic() - start > timeout:
                pytest.fail(f"{self.name} never logged {needle!r} in {timeout:g} s:\n{self.text()}")
            if self.process.poll() is not None and needle not in self.text():
                pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{self.text()}")
            time.sleep(0.02)
        return time.monotonic() - start


@pytest.fixture
def start_worker(tmp_path, db_url):
    """Start `kb worker -v` processes on the test database; every one is killed at teardown."""
    started: list[WorkerProcess] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_DATABASE_URL=db_url, KB_ESCALATE_EVERY=str(EVERY), KB_INSTANCE=str(tmp_path / "instance"),
               PYTHONUNBUFFERED="1")

    def start(name: str) -> WorkerProcess:
        log = tmp_path / f"{name}.log"
        with open(log, "w") as handle:
            process = subprocess.Popen([str(KB), "worker", "--verbose"], stdout=handle, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, env=env, cwd=tmp_path)
        started.append(WorkerProcess(name, process, log))
        return started[-1]

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
        worker.process.wait(10)


def role_of(worker: WorkerProcess) -> str:
    """Wait for the worker to say whether it runs escalation or stands by."""
    start = time.monotonic()
    while True:
        text = worker.text()
        if "running escalation" in text:
            return "runner"
        if "standing by for escalation" in text:
            return "standby"
        if time.monotonic() - start > 20 or worker.process.poll() is not None:
            pytest.fail(f"{worker.name} neither ran nor stood by:\n{text}")
        time.sleep(0.02)


def overdue_ticket(desk, question: str, email: str) -> int:
    from kb.desk.records import utcnow

    return desk.create_ticket(question, email=email, now=utcnow() - timedelta(hours=21))["number"]


def escalations(desk, number: int) -> int:
    return sum(event["kind"] == "escalated" for event in desk.show(number)["events"])


def wait_until(condition, timeout: float = 10.0, what: str = "") -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - start


def test_one_worker_runs_escalation_and_the_standby_takes_over_when_it_dies(db_url, start_worker):
    from kb.db.engine import open_database
    from kb.desk.desk import Desk
    from kb.desk.rules import TicketRules

    desk = Desk(open_database(db_url), TicketRules(), embed=None)
    first = overdue_ticket(desk, "Where is my parcel?", "ann@example.com")

    workers = [start_worker("worker-a"), start_worker("worker-b")]
    roles = {worker.name: role_of(worker) for worker in workers}
    assert sorted(roles.values()) == ["runner", "standby"], roles
    runner = next(w for w in workers if roles[w.name] == "runner")
    standby = next(w for w in workers if roles[w.name] == "standby")

    wait_until(lambda: desk.show(first)["tier"] == 2, what="the overdue ticket to be escalated")
    time.sleep(4 * EVERY)  # a few more rounds: the runner runs again, the standby only keeps trying
    assert escalations(desk, first) == 1
    assert len(runner.lines("escalation: ")) >= 3  # every run is logged with --verbose
    assert runner.lines("escalation: 1 ticket(s) escalated")
    assert not standby.lines("running escalation") and not standby.lines("escalation: ")
    if db_url.startswith("sqlite"):
        assert Path(db_url.removeprefix("sqlite:///") + ".escalation.lock").is_file()

    runner.process.send_signal(signal.SIGKILL)  # no clean-up: the lock must go with the process
    runner.process.wait(10)
    killed = time.monotonic()
    second = overdue_ticket(desk, "My refund has not arrived", "bob@example.com")
    standby.wait_for("running escalation")
    takeover = time.monotonic() - killed
    wait_until(lambda: desk.show(second)["tier"] == 2, what="the standby to escalate the second ticket")
    time.sleep(2 * EVERY)
    assert escalations(desk, first) == 1 and escalations(desk, second) == 1
    assert takeover < 5 * EVERY, takeover  # one interval plus taking the lock (0.18-0.22 s measured)
    print(f"\n{db_url.split(':')[0]}: standby took over {takeover:.2f} s after the runner was killed")

    standby.process.send_signal(signal.SIGTERM)
    assert standby.process.wait(10) == 0
    assert "stopped, locks released" in standby.text()


def test_a_failed_run_is_logged_and_the_schedule_goes_on(tmp_path):
    from kb.app.services import Services
    from kb.jobs.registry import Job
    from kb.jobs.runner import start_schedule

    calls, lines = [], []

    def flaky(services):
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise ConnectionError("the database went away\nsecond line not logged")
        return "fine"

    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'kb.sqlite'}", instance_dir=tmp_path)
    stop, thread = start_schedule(Services(settings), jobs=[Job("flaky", lambda s: 0.05, flaky)], log=lines.append)
    try:
        wait_until(lambda: len(calls) >= 3, what="three runs")
    finally:
        stop.set()
        thread.join(10)
    pid = os.getpid()
    assert lines[0] == f"worker {pid}: running flaky (every 0.05 s)"
    assert lines[1] == f"worker {pid}: flaky failed: ConnectionError: the database went away"
    assert lines[2] == f"worker {pid}: flaky: fine"
    assert not thread.is_alive()


def test_a_job_at_zero_interval_is_off(tmp_path):
    from click.testing import CliRunner

    from kb.cli import main
    from kb.jobs.registry import enabled_jobs

    assert enabled_jobs(make_settings(escalate_every=0, query_log_prune_every=0, gaps_every=0)) == []
    assert [job.name for job, _ in enabled_jobs(make_settings())] == ["escalation", "query-log-retention", "gaps"]
    result = CliRunner().invoke(main, ["worker"], env={"KB_ESCALATE_EVERY": "0", "KB_QUERY_LOG_PRUNE_EVERY": "0",
                                                       "KB_GAPS_EVERY": "0",
                                                       "KB_DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite'}"})
    assert result.exit_code == 0 and "no job enabled" in result.output


def test_a_lost_postgres_connection_loses_the_lock_and_takes_it_again(postgres_url, tmp_path):
    """The server ends the lock's session (a restart, a network cut): the worker notices before the
    next run and takes the lock again, on a new connection."""
    from sqlalchemy import create_engine, text

    from kb.app.services import Services
    from kb.jobs.locks import lock_key
    from kb.jobs.registry import Job
    from kb.jobs.runner import start_schedule

    lines, runs = [], []
    job = Job("test-lost-lock", lambda s: 0.1, lambda services: runs.append(1))
    settings = make_settings(database_url=postgres_url, instance_dir=tmp_path)
    unsigned = lock_key(job.name) % 2**64
    holder = text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = :c AND objid = :o"
                  " AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    stop, thread = start_schedule(Services(settings), jobs=[job], log=lines.append)
    try:
        with engine.connect() as connection:
            def lock_holder():
                return connection.execute(holder, {"c": unsigned >> 32, "o": unsigned & 0xFFFFFFFF}).scalar()

            wait_until(lambda: lock_holder() is not None, what="the worker to take the lock")
            first_holder = lock_holder()
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_holder})
            wait_until(lambda: any("lost the lock of test-lost-lock" in line for line in lines),
                       what="the worker to notice")
            wait_until(lambda: lock_holder() not in (None, first_holder), what="the lock taken again")
            runs_before = len(runs)
            wait_until(lambda: len(runs) > runs_before + 1, what="runs to go on")
    finally:
        stop.set()
        thread.join(10)
        engine.dispose()
    assert [line.split(": ", 1)[1] for line in lines[:3]] == [
        "running test-lost-lock (every 0.1 s)", "lost the lock of test-lost-lock; trying to take it again",
        "running test-lost-lock (every 0.1 s)"]


def test_a_standby_in_the_same_process_waits_for_the_lock(tmp_path):
    """Two runners of one job on one SQLite file: the second stands by until the first stops."""
    from kb.app.services import Services
    from kb.jobs.locks import lock_for
    from kb.jobs.registry import Job
    from kb.jobs.runner import JobRunner

    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'kb.sqlite'}", instance_dir=tmp_path)
    services, lines, runs = Services(settings), [], []
    job = Job("count", lambda s: 0.05, lambda services: runs.append(threading.get_ident()))
    first = JobRunner(services, job, 0.05, threading.Event(), lines.append)
    second = JobRunner(services, job, 0.05, threading.Event(), lines.append, lock=lock_for(settings, "count"))
    first.tick(), second.tick(), first.tick(), second.tick()
    assert (first.state, second.state, len(runs)) == ("running", "standby", 2)
    first.lock.dispose()
    second.tick()
    assert second.state == "running" and len(runs) == 3
    second.lock.dispose()
    assert [line.split(": ", 1)[1] for line in lines] == [
        "running count (every 0.05 s)", "standing by for count (another worker runs it)",
        "running count (every 0.05 s)"]
