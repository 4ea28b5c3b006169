"""The schedule: each enabled job in its own thread, run every interval while this worker holds the
job's lock (kb.jobs.locks).

A worker that does not hold a job's lock stands by and tries again every interval, so a standby
takes over within one interval of the runner's death, and then runs the job at once. Each job has
its own thread and its own lock, so a slow job (clustering, say) never delays another, and
several workers may share the jobs between them. A failed run (a database hiccup) is logged and
the schedule goes on.
"""
from __future__ import annotations

import os
import sys
import threading
import time

from kb.app.services import Services
from kb.jobs.locks import lock_for
from kb.jobs.registry import Job, enabled_jobs


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
