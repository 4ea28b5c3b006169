"""The monthly ticket report for team leads, computed from the ticket history (events).

Who gets the credit or the blame for each event:
- solved, passed on, first response: the operator who did it;
- escalated by deadline, rating: the operator who owned the ticket at that moment;
- deadline breaches: late first responses and late solutions (by whoever gave them) plus
  escalations by deadline (to the owner), plus each ticket still open past its next deadline when
  that deadline fell in the month (to whoever holds it now; not one already flagged at the top tier,
  whose escalation counted). A ticket that nobody owned counts for its tier and channel only.
"""
from __future__ import annotations

import re
import statistics
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from kb.csv_files import csv_text
from kb.db.engine import Database
from kb.desk.deadlines import next_deadline
from kb.desk.records import utcnow
from kb.desk.shapes import summary
from kb.desk.tables import CHANNELS, TIERS, UNSOLVED, Operator, Ticket, TicketEvent
from kb.errors import InvalidInput

# The CSV's columns: what a row is about, then the figures.
CSV_COLUMNS = ("month", "group", "name")
COLUMNS = ("received", "solved", "passed_on", "escalated", "breaches",
           "median_first_response_minutes", "median_solution_hours", "average_rating")


# ASCII digits only: `\d` and strptime also take full-width and other scripts' digits, which int()
# reads but a file name in a Content-Disposition header cannot carry.
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(text) -> str:
    """`text` if it is a month as YYYY-MM (a year from 2000 to 2999), else InvalidInput."""
    found = _MONTH.fullmatch(text) if isinstance(text, str) else None
    if not found or not 2000 <= int(found[1]) <= 2999 or not 1 <= int(found[2]) <= 12:
        raise InvalidInput(f"the month must look like 2025-03 (a year from 2000 to 2999), not {str(text)[:20]!r}")
    return text


def month_bounds(month: str) -> tuple[datetime, datetime]:
    start = datetime(int(parse_month(month)[:4]), int(month[5:]), 1)
    end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, end


class _Tally:
    def __init__(self):
        self.counts = defaultdict(int)
        self.first_response_minutes: list[float] = []
        self.solution_hours: list[float] = []
        self.ratings: list[int] = []

    def row(self) -> dict:
        row = {name: self.counts[name] for name in COLUMNS[:5]}
        row["median_first_response_minutes"] = _median(self.first_response_minutes)
        row["median_solution_hours"] = _median(self.solution_hours)
        row["average_rating"] = round(statistics.fmean(self.ratings), 2) if self.ratings else None
        return row


def _median(values):
    return round(statistics.median(values), 1) if values else None


def monthly_report(db: Database, month: str, now: datetime | None = None) -> dict:
    """Per operator, per tier and per channel, for the events of one calendar month (UTC), and the
    tickets open at `now` whose deadline passed in that month."""
    start, end = month_bounds(month)
    cutoff = min(end, now or utcnow())

    def work(session):
        rows = session.execute(
            select(TicketEvent, Ticket.channel, Ticket.created_at).join(Ticket)
            .where(TicketEvent.at >= start, TicketEvent.at < end).order_by(TicketEvent.id)).all()
        people = {id_: (login, name) for id_, login, name in session.execute(
            select(Operator.id, Operator.login, Operator.name)).all()}
        return rows, people, _open_past_deadline(session, start, cutoff)

    rows, people, overdue = db.run(work, write=False)
    names = dict(people.values())  # login -> the person's name
    by_operator, by_tier, by_channel = defaultdict(_Tally), defaultdict(_Tally), defaultdict(_Tally)
    for event, channel, created_at in rows:
        person = event.owner_id if event.kind in ("escalated", "rated") else event.operator_id
        if person is not None:
            _count(by_operator[people[person][0]], event, created_at, arrival="assigned")
        _count(by_tier[event.tier], event, created_at, arrival="created")
        _count(by_channel[channel], event, created_at, arrival="created")
        if event.kind in ("passed_on", "escalated") and event.tier < 3:  # at tier 3 escalation only flags
            by_tier[event.tier + 1].counts["received"] += 1
    for ticket in overdue:  # an open breach is a breach before anyone gets round to the ticket
        tallies = [by_tier[ticket["tier"]], by_channel[ticket["channel"]]]
        if ticket["owner"]:
            tallies.append(by_operator[ticket["owner"]])
        for tally in tallies:
            tally.counts["breaches"] += 1
    return {
        "month": month,
        "operators": [dict(login=login, name=names[login], **by_operator[login].row()) for login in sorted(by_operator)],
        "tiers": [dict(tier=tier, **by_tier[tier].row()) for tier in TIERS],
        "channels": [dict(channel=channel, **by_channel[channel].row()) for channel in CHANNELS],
    }


def _open_past_deadline(session, start: datetime, cutoff: datetime) -> list[dict]:
    """The unsolved tickets whose next deadline (kb.desk.deadlines) passed from `start` to `cutoff`;
    a top-tier ticket already flagged is left out (its escalation event is the breach)."""
    tickets = session.scalars(select(Ticket).options(joinedload(Ticket.owner)).where(
        Ticket.status.in_(UNSOLVED), Ticket.flagged_at.is_(None),
        (Ticket.due_at < cutoff) | (Ticket.first_response_at.is_(None) & (Ticket.first_response_due < cutoff)))).all()
    return [row for row in map(summary, tickets) if start <= next_deadline(row)[1] < cutoff]


def _count(tally: _Tally, event: TicketEvent, created_at: datetime, arrival: str) -> None:
    """Add one event to one row. `received` counts the tickets that came to this operator or queue."""
    kind = event.kind
    if kind == arrival:
        tally.counts["received"] += 1
    if kind in ("solved", "passed_on", "escalated"):
        tally.counts[kind] += 1
    if event.late:
        tally.counts["breaches"] += 1
    if event.first_response:
        tally.first_response_minutes.append((event.at - created_at).total_seconds() / 60)
    if kind == "solved":
        tally.solution_hours.append((event.at - created_at).total_seconds() / 3600)
    if kind == "rated":
        tally.ratings.append(int(event.note))


def report_csv(report: dict, words: dict[str, str] | None = None) -> str:
    """One row per operator (by name), tier and channel. `words` are the reader's words for the
    columns, the groups and the channels (the web page's language); without them, the keys as they are."""
    say = (words or {}).get
    rows = [(report["month"], say(group, group), say(row[key], row[key]) if group == "channel" else row[key],
             *(row[c] for c in COLUMNS))
            for group, key in (("operator", "name"), ("tier", "tier"), ("channel", "channel"))
            for row in report[f"{group}s"]]
    return csv_text([say(c, c) for c in CSV_COLUMNS + COLUMNS], rows)


def tickets_per_day(db: Database, since, until) -> dict:
    """The tickets created from `since` to `until` (dates, both included, UTC) per day and tier (the
    tier each is at now, so one passed on counts at the tier it went to): {"days": [{"day", "tier_1", "tier_2", "tier_3", "total"}, ...], "total"}."""
    from datetime import time, timedelta

    start, end = datetime.combine(since, time()), datetime.combine(until + timedelta(days=1), time())

    def read(session):
        return session.execute(select(Ticket.created_at, Ticket.tier).where(
            Ticket.created_at >= start, Ticket.created_at < end)).all()

    days = {since + timedelta(days=n): {"day": since + timedelta(days=n), **{f"tier_{t}": 0 for t in TIERS}, "total": 0}
            for n in range((until - since).days + 1)}
    for at, tier in db.run(read, write=False):
        slot = days[at.date()]
        slot[f"tier_{tier}"] += 1
        slot["total"] += 1
    return {"days": list(days.values()), "total": sum(d["total"] for d in days.values()),
            "tiers": {tier: sum(d[f"tier_{tier}"] for d in days.values()) for tier in TIERS}}
