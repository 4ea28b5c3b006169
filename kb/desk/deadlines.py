"""When a deadline is late, due soon or fine: one definition for the operators' desk and the leads' board.

"soon" is less than a quarter of the time allowed for it left, or less than one hour, whichever comes
first: a chat's five-minute first response is "soon" from the start (it needs attention now), a
twenty-hour solution from five hours before it is due.
"""
from __future__ import annotations

from datetime import datetime, timedelta

SOON_SHARE = 0.25
SOON_TIME = timedelta(hours=1)


def deadline_state(due: datetime, allowed_hours: float, now: datetime) -> str:
    """"late" once `due` has passed, "soon" or "ok" before (`allowed_hours`: the time it gives)."""
    left = due - now
    if left <= timedelta(0):
        return "late"
    if left < SOON_TIME or left < timedelta(hours=allowed_hours) * SOON_SHARE:
        return "soon"
    return "ok"


def next_deadline(ticket: dict) -> tuple[str, datetime]:
    """The deadline that comes first: the first response while nobody has answered, then the solution."""
    if ticket["first_response_at"] is None and ticket["first_response_due"] < ticket["due_at"]:
        return "first_response", ticket["first_response_due"]
    return "solution", ticket["due_at"]
