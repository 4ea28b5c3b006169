"""The shapes of what the desk answers: a ticket's summary, and JSON-ready values."""
from __future__ import annotations

from datetime import datetime

from kb.desk.tables import Ticket


def summary(ticket: Ticket) -> dict:
    return {"number": ticket.number, "status": ticket.status, "tier": ticket.tier, "channel": ticket.channel,
            "language": ticket.language, "question": ticket.question,
            "owner": ticket.owner.login if ticket.owner else None, "created_at": ticket.created_at,
            "first_response_due": ticket.first_response_due, "first_response_at": ticket.first_response_at,
            "due_at": ticket.due_at, "solved_at": ticket.solved_at, "flagged_at": ticket.flagged_at}



def jsonable(value):
    """Datetimes as ISO 8601 UTC strings, recursively; what the API and `--json` print."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return value
