"""`kb worker`: the scheduled jobs (escalation, ...) in a process of their own, beside `kb serve`."""
from __future__ import annotations

import signal
import threading

import click

from kb.cli.common import services_of


@click.command()
@click.option("-v", "--verbose", is_flag=True, help="Log every run, also those with nothing to do.")
@click.pass_context
def worker(ctx, verbose):
    """Run the scheduled jobs (escalation, query-log retention, gap suggestions) until Ctrl-C or SIGTERM.

    Run one or more anywhere: for each job exactly one worker runs it (a lock in the database,
    or beside the SQLite file) and the others stand by, taking over within one interval.
    """
    import os

    from kb.jobs.registry import enabled_jobs
    from kb.jobs.runner import run_schedule, stderr_log

    services = services_of(ctx)
    pid = os.getpid()
    plan = enabled_jobs(services.settings)
    if not plan:
        stderr_log(f"worker {pid}: no job enabled (every KB_*_EVERY is 0): nothing to do")
        return
    stderr_log(f"worker {pid}: started; jobs: " + ", ".join(f"{j.name} every {every:g} s" for j, every in plan))
    try:
        services.database  # noqa: B018 (migrated now; the jobs load nothing else until they need it)
    except Exception as exc:  # noqa: BLE001 (the database may come up later: the jobs retry every interval)
        from kb.jobs.runner import one_line

        stderr_log(f"worker {pid}: database not ready ({one_line(exc)}); the jobs retry every interval")

    stop = threading.Event()

    def on_signal(number, _frame):
        if stop.is_set():  # again (`timeout` and shells may send one twice): a second Ctrl-C ends it now
            if number == signal.SIGINT:
                os._exit(130)  # the locks go with the process
            return
        stop.set()
        stderr_log(f"worker {pid}: {signal.Signals(number).name}: stopping after the runs in progress")

    for number in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(number) is not signal.SIG_IGN:  # `cmd &` in a script ignores Ctrl-C: keep that
            signal.signal(number, on_signal)
    run_schedule(services, stop, verbose=verbose)
    stderr_log(f"worker {pid}: stopped, locks released")
