"""A ticket's deadlines as the desk and the leads' board show them: the time, the time left, and
whether it is ok, soon or late; and a ticket's age."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import format_timedelta, gettext as _

from kb.desk.deadlines import deadline_state
from kb.desk.tables import UNSOLVED
from webapp.core.services import services


def deadline(due: datetime | None, allowed_hours: float, now: datetime) -> dict | None:
    """A deadline as the pages show it: its time, the time left and its state (kb.desk.deadlines: ok,
    soon, late), the colour it is shown in."""
    if due is None:
        return None
    left = due - now
    return {"at": due, "left": left, "state": deadline_state(due, allowed_hours, now), "text": left_text(left)}


def left_text(left: timedelta) -> str:
    minutes = int(abs(left).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        span = _("%(days)d d %(hours)d h", days=days, hours=hours)
    elif hours:
        span = _("%(hours)d h %(minutes)02d min", hours=hours, minutes=minutes)
    else:
        span = _("%(minutes)d min", minutes=minutes)
    return _("%(span)s left", span=span) if left > timedelta(0) else _("late by %(span)s", span=span)


def deadlines(ticket: dict, now: datetime) -> dict:
    """The first response (until one is given) and the solution deadline of a ticket."""
    rules = services().desk.rules
    first = None
    if ticket["first_response_at"] is None and ticket["status"] in UNSOLVED:
        first = deadline(ticket["first_response_due"], rules.first_response_target(ticket["channel"]), now)
    solution = deadline(ticket["due_at"], rules.tier_deadline(ticket["tier"]), now) \
        if ticket["status"] in UNSOLVED else None
    return {"first_response": first, "solution": solution}


def age(since: datetime, now: datetime) -> str:
    return format_timedelta(now - since, granularity="minute", threshold=1.5)


