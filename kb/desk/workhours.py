"""Operators' working hours, and how long a piece of work takes on the clock when only they count.

A schedule is written like `mon-fri 09:00-18:00; sat 10:00-14:00`, or `always` for a 24/7 team.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from kb.config import DAYS, Schedule, parse_schedule  # noqa: F401 (the setting's parser)


def add_working_time(start: datetime, hours: float, schedule: Schedule) -> datetime:
    """The moment `hours` of working time after `start` (naive UTC in, naive UTC out)."""
    local = start.replace(tzinfo=timezone.utc).astimezone(schedule.zone)
    remaining = timedelta(hours=hours)
    for _ in range(366 * 2):  # a year of days is more than any queue needs
        today = local.date()
        for window_start, window_end in schedule.day(local.weekday()):
            begin = local.replace(hour=window_start.hour, minute=window_start.minute, second=0, microsecond=0)
            end = _at(local, window_end)
            if end <= local:
                continue
            begin = max(begin, local)
            if begin + remaining <= end:
                return (begin + remaining).astimezone(timezone.utc).replace(tzinfo=None)
            remaining -= end - begin
            local = end
        local = datetime.combine(today + timedelta(days=1), time(0), tzinfo=schedule.zone)
    raise ValueError("the working hours leave no time to do the work")


def _at(day: datetime, moment: time) -> datetime:
    if moment == time.max:  # "always": the window runs to midnight
        return datetime.combine(day.date() + timedelta(days=1), time(0), tzinfo=day.tzinfo)
    return day.replace(hour=moment.hour, minute=moment.minute, second=0, microsecond=0)
