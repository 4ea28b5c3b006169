"""The monthly report on a hand-built March whose every number is known (SQLite and PostgreSQL)."""
from datetime import datetime as dt

import pytest
from conftest import fake_embed

from kb.desk.desk import Desk
from kb.desk.operators import add_operator
from kb.desk.reports import monthly_report, report_csv
from kb.desk.rules import TicketRules
from kb.errors import InvalidInput


@pytest.fixture
def march(database):
    """Five tickets; what happens to each is written next to it."""
    desk = Desk(database, TicketRules(auto_assign=False), embed=fake_embed)
    for login, tier, name in (("anna", 1, "Anna"), ("boris", 1, "Boris"), ("viktor", 2, "Viktor")):
        add_operator(database, login, name, "secret-password", tier=tier, role="operator")

    def ticket(question, channel, at):
        return desk.create_ticket(question, channel=channel, email=f"{channel}@example.com", now=at)

    # T1, web: anna answers in 2 h (in time); rated 5.
    t1 = ticket("first", "web", dt(2025, 3, 3, 10))
    desk.take(t1["number"], "anna", now=dt(2025, 3, 3, 10))
    desk.solve(t1["number"], "anna", answer="done", now=dt(2025, 3, 3, 12))
    desk.rate(t1["token"], 5, now=dt(2025, 3, 3, 13))
    # T2, chat: anna replies after 10 min (target 5: late), passes it on; viktor solves; rated 3.
    t2 = ticket("second", "chat", dt(2025, 3, 3, 10))
    desk.take(t2["number"], "anna", now=dt(2025, 3, 3, 10))
    desk.comment(t2["number"], "anna", "checking", now=dt(2025, 3, 3, 10, 10))
    desk.pass_on(t2["number"], "anna", "needs logistics", now=dt(2025, 3, 3, 11))
    desk.take(t2["number"], "viktor", now=dt(2025, 3, 3, 11, 30))
    desk.solve(t2["number"], "viktor", answer="fixed", now=dt(2025, 3, 3, 15))
    desk.rate(t2["token"], 3, now=dt(2025, 3, 3, 16))
    # T3, email: boris takes it and lets it lapse (escalated after 20 h); viktor answers at 23 h (late).
    t3 = ticket("third", "email", dt(2025, 3, 4, 9))
    desk.take(t3["number"], "boris", now=dt(2025, 3, 4, 9, 30))
    assert len(desk.escalate_overdue(now=dt(2025, 3, 5, 5))) == 1
    desk.take(t3["number"], "viktor", now=dt(2025, 3, 5, 6))
    desk.solve(t3["number"], "viktor", answer="sorted", now=dt(2025, 3, 5, 8))
    # T4, phone, from February: boris solves it on 1 March, 90 min after the call (target 5: late).
    t4 = ticket("fourth", "phone", dt(2025, 2, 28, 23))
    desk.take(t4["number"], "boris", now=dt(2025, 2, 28, 23, 1))
    desk.solve(t4["number"], "boris", answer="done", now=dt(2025, 3, 1, 0, 30))
    # T5, social: arrives on the last evening; its escalation falls in April.
    ticket("fifth", "social", dt(2025, 3, 31, 23, 30))
    desk.escalate_overdue(now=dt(2025, 4, 1, 19, 30))
    return monthly_report(database, "2025-03")


def row(received, solved, passed_on, escalated, breaches, first_response, solution, rating):
    return dict(received=received, solved=solved, passed_on=passed_on, escalated=escalated, breaches=breaches,
                median_first_response_minutes=first_response, median_solution_hours=solution, average_rating=rating)


def test_per_operator(march):
    assert march["operators"] == [
        dict(login="anna", name="Anna", **row(2, 1, 1, 0, 1, 65.0, 2.0, 5.0)),
        dict(login="boris", name="Boris", **row(1, 1, 0, 1, 2, 90.0, 1.5, None)),
        dict(login="viktor", name="Viktor", **row(2, 2, 0, 0, 1, 1380.0, 14.0, 3.0)),
    ]


def test_per_tier(march):
    assert march["tiers"] == [
        dict(tier=1, **row(4, 2, 1, 1, 3, 90.0, 1.8, 5.0)),
        dict(tier=2, **row(2, 2, 0, 0, 1, 1380.0, 14.0, 3.0)),
        dict(tier=3, **row(0, 0, 0, 0, 0, None, None, None)),
    ]


def test_per_channel(march):
    assert march["channels"] == [
        dict(channel="web", **row(1, 1, 0, 0, 0, 120.0, 2.0, 5.0)),
        dict(channel="email", **row(1, 1, 0, 1, 2, 1380.0, 23.0, None)),
        dict(channel="chat", **row(1, 1, 1, 0, 1, 10.0, 5.0, 3.0)),
        dict(channel="phone", **row(0, 1, 0, 0, 1, 90.0, 1.5, None)),
        dict(channel="social", **row(1, 0, 0, 0, 0, None, None, None)),
    ]


def test_csv_has_one_row_per_operator_tier_and_channel(march):
    text = report_csv(march)
    assert text.startswith("\ufeff") and text.endswith("\r\n")
    lines = text.removeprefix("\ufeff").splitlines()
    assert lines[0] == ("month,group,name,received,solved,passed_on,escalated,breaches,"
                        "median_first_response_minutes,median_solution_hours,average_rating")
    assert lines[1] == "2025-03,operator,Anna,2,1,1,0,1,65.0,2.0,5.0"  # the name, not the login
    assert len(lines) == 1 + 3 + 3 + 5
    assert lines[-1] == "2025-03,channel,social,1,0,0,0,0,,,"


@pytest.mark.parametrize("month", ["2025-13", "March", "", None])
def test_a_bad_month_is_a_clear_error(database, month):
    with pytest.raises(InvalidInput, match="2025-03"):
        monthly_report(database, month)


def test_an_open_ticket_past_its_deadline_is_a_breach_of_whoever_holds_it(database):
    """Nobody has escalated it yet (no worker ran): 15 hours past its deadline it is still a breach,
    counted once, for the holder, the tier and the channel; a ticket in time is none."""
    desk = Desk(database, TicketRules(auto_assign=False), embed=fake_embed)
    add_operator(database, "anna", "Anna", "secret-password", tier=1, role="operator")
    late = desk.create_ticket("late", channel="web", email="late@example.com", now=dt(2025, 3, 3, 10))
    desk.take(late["number"], "anna", now=dt(2025, 3, 3, 10, 5))
    desk.comment(late["number"], "anna", "looking", now=dt(2025, 3, 3, 10, 10))
    on_time = desk.create_ticket("in time", channel="web", email="ok@example.com", now=dt(2025, 3, 4, 20))
    desk.take(on_time["number"], "anna", now=dt(2025, 3, 4, 20, 5))
    desk.comment(on_time["number"], "anna", "looking", now=dt(2025, 3, 4, 20, 10))
    report = monthly_report(database, "2025-03", now=dt(2025, 3, 4, 21))  # 15 h past the 20 h deadline
    [anna] = report["operators"]
    assert anna["breaches"] == 1
    assert report["tiers"][0]["breaches"] == 1
    assert [c["breaches"] for c in report["channels"] if c["channel"] == "web"] == [1]
    assert monthly_report(database, "2025-02", now=dt(2025, 3, 4, 21))["operators"] == []
    # Escalated, the event is the breach: still one.
    desk.escalate_overdue(now=dt(2025, 3, 4, 21))
    [anna] = monthly_report(database, "2025-03", now=dt(2025, 3, 4, 21))["operators"]
    assert anna["breaches"] == 1
