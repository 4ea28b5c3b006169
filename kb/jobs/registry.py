"""The registry of scheduled jobs (name -> interval -> function(services)), and the jobs themselves.

Adding a job: a function of the services, registered with the setting that says how often:

    @job("mail", every=lambda settings: settings.mail_every)
    def poll_mail(services):
        ...
        return f"{n} message(s) turned into tickets"   # or None: nothing worth a line

A job touches only the parts it needs (`services.desk`, `services.searcher`), which load lazily:
the worker warms nothing else (escalation never loads a model). Jobs stay idempotent (escalation
is), so even the moment around a lost lock (kb.jobs.locks) cannot do a thing twice.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kb.app.services import Services
from kb.config import Settings


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
