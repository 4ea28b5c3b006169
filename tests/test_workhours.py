"""Working hours: how long work takes on the clock when only working time counts."""
from datetime import datetime

import pytest

from kb.desk.workhours import add_working_time, parse_schedule

OFFICE = parse_schedule("mon-fri 09:00-18:00")


@pytest.mark.parametrize("start, hours, expected", [
    (datetime(2025, 3, 5, 10, 0), 2, datetime(2025, 3, 5, 12, 0)),    # inside the day
    (datetime(2025, 3, 5, 8, 0), 0.5, datetime(2025, 3, 5, 9, 30)),   # before opening
    (datetime(2025, 3, 5, 17, 0), 2, datetime(2025, 3, 6, 10, 0)),    # over the night
    (datetime(2025, 3, 7, 17, 0), 2, datetime(2025, 3, 10, 10, 0)),   # over the weekend
    (datetime(2025, 3, 8, 12, 0), 1, datetime(2025, 3, 10, 10, 0)),   # asked on Saturday
    (datetime(2025, 3, 5, 10, 0), 18, datetime(2025, 3, 7, 10, 0)),   # two working days
])
def test_office_hours(start, hours, expected):
    assert add_working_time(start, hours, OFFICE) == expected


def test_round_the_clock_and_split_days_and_time_zones():
    assert add_working_time(datetime(2025, 3, 5, 23, 0), 3, parse_schedule("always")) == datetime(2025, 3, 6, 2, 0)
    split = parse_schedule("mon-fri 09:00-13:00; mon-fri 14:00-18:00; sat 10:00-12:00")
    assert add_working_time(datetime(2025, 3, 5, 12, 0), 2, split) == datetime(2025, 3, 5, 15, 0)
    assert add_working_time(datetime(2025, 3, 7, 17, 0), 2, split) == datetime(2025, 3, 8, 11, 0)
    moscow = parse_schedule("mon-fri 09:00-18:00", "Europe/Moscow")  # UTC+3
    assert add_working_time(datetime(2025, 3, 5, 5, 0), 1, moscow) == datetime(2025, 3, 5, 7, 0)


@pytest.mark.parametrize("spec", ["weekdays", "mon-fri 18:00-09:00", "mon-xyz 09:00-18:00", ""])
def test_bad_schedules_say_how_to_write_them(spec):
    with pytest.raises(ValueError):
        parse_schedule(spec)
