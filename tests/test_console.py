"""The operator console: registering a call (the desk, on SQLite and PostgreSQL), and the console's
pages over the real sample index: the results fragment, the answer beside the operator notes, the
call form and the caller's earlier tickets."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from kb.desk.operators import add_operator
from kb.desk.reports import monthly_report
from kb.errors import InvalidInput, NotAllowed

MONDAY = datetime(2025, 3, 3, 10, 0)  # inside the default working hours
MINUTE = timedelta(minutes=1)


def staff(desk, login, tier=1, role="operator"):
    return add_operator(desk.db, login, f"{login.title()} Petrova", "a-long-password", tier=tier, role=role,
                        seniority=2, now=MONDAY)


def kinds(desk, number):
    return [(e["kind"], e["actor"], e["operator"]) for e in desk.show(number)["events"]]


# --- the desk: Desk.register_call and Desk.tickets_of_contact --------------------------------------

def test_an_answered_call_is_a_solved_ticket_of_the_operator_linked_to_the_article(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    staff(desk, "ivan")  # another operator of tier 1: auto-assignment must not give him the call
    call = desk.register_call("olga", "Can I still cancel the order I paid for yesterday?", phone="+7 (912) 000-11-22",
                              name="Maria", article_id="en-cancel-order", answer="Cancel it in Orders.",
                              search_query="cancel paid order", now=MONDAY + MINUTE)
    assert call["status"] == "solved" and call["owner"] == "olga" and call["outcome"] == "answered"
    assert call["channel"] == "phone" and call["article_id"] == "en-cancel-order" and not call["joined"]
    shown = desk.show(call["number"])
    assert shown["article_id"] == "en-cancel-order" and shown["answer"] == "Cancel it in Orders."
    assert shown["search_query"] == "cancel paid order" and shown["language"] == "en"
    assert shown["customer"] == {"name": "Maria", "email": None, "phone": "+79120001122"}
    assert shown["first_response_at"] == MONDAY + MINUTE and shown["solved_at"] == MONDAY + MINUTE
    assert kinds(desk, call["number"]) == [("created", "operator", "olga"), ("assigned", "operator", "olga"),
                                           ("solved", "operator", "olga")]
    created, assigned, solved = shown["events"]
    assert created["note"] == "via phone, registered by olga"
    assert solved["first_response"] and not solved["late"]
    assert solved["note"].splitlines() == ["Cancel it in Orders.", "article: en-cancel-order"]
    # The month's statistics count it for the operator: received, solved, a first response.
    [row] = [r for r in monthly_report(desk.db, "2025-03")["operators"] if r["login"] == "olga"]
    assert row["received"] == 1 and row["solved"] == 1
    assert not [r for r in monthly_report(desk.db, "2025-03")["operators"] if r["login"] == "ivan"]


def test_an_open_call_stays_with_the_operator_for_a_call_back(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    staff(desk, "ivan")
    call = desk.register_call("olga", "Курьер не приехал, перезвоните мне после обеда", email="Anna@Example.COM",
                              channel="chat", outcome="open", now=MONDAY)
    assert call["status"] == "open" and call["owner"] == "olga" and call["tier"] == 1
    shown = desk.show(call["number"])
    assert shown["language"] == "ru" and shown["customer"]["email"] == "anna@example.com"
    assert shown["first_response_at"] is None and shown["article_id"] is None
    assert kinds(desk, call["number"]) == [("created", "operator", "olga"), ("assigned", "operator", "olga")]
    assert shown["events"][0]["note"] == "via chat, registered by olga"
    # Olga owns it: she can solve it later from the desk.
    assert desk.solve(call["number"], "olga", answer="Delivered today.", now=MONDAY + 60 * MINUTE)["status"] == "solved"


def test_a_passed_on_call_goes_to_the_next_tier_with_the_note(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    staff(desk, "petr", tier=2)
    call = desk.register_call("olga", "The refund for order 5531 never arrived", phone="89120001122",
                              outcome="pass_on", note="Refund shows as sent in OMS; bank says nothing came.",
                              now=MONDAY)
    assert call["status"] == "open" and call["tier"] == 2 and call["owner"] == "petr"
    events = desk.show(call["number"])["events"]
    assert [(e["kind"], e["operator"]) for e in events] == [
        ("created", "olga"), ("assigned", "olga"), ("passed_on", "olga"), ("assigned", "petr")]
    assert events[2]["note"] == "to tier 2: Refund shows as sent in OMS; bank says nothing came."
    assert events[2]["tier"] == 1


def test_a_registered_call_never_joins_the_callers_open_ticket(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    first = desk.create_ticket("Where is my parcel?", phone="+79120001122", now=MONDAY)
    call = desk.register_call("olga", "Where is my parcel?", phone="+7 912 000 11 22", outcome="open",
                              now=MONDAY + MINUTE)
    assert call["number"] != first["number"] and not call["joined"]
    assert desk.show(call["number"])["customer"]["phone"] == desk.show(first["number"])["customer"]["phone"]


@pytest.mark.parametrize("fields, message", [
    ({"question": "  "}, "question is empty"),
    ({"phone": None}, "e-mail address or a phone"),
    ({"email": "not-an-address", "phone": None}, "does not look like"),
    ({"channel": "fax"}, "channel must be"),
    ({"outcome": "maybe"}, "outcome must be"),
    ({"article_id": None, "answer": None}, "answered call needs"),
    ({"outcome": "pass_on", "note": "  "}, "note for the next tier"),
    ({"answer": "x" * 5001}, "longer than"),
])
def test_bad_calls_are_refused_and_nothing_is_written(desk, fields, message):
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    call = {"question": "Where is my parcel?", "phone": "+79120001122", "article_id": "track-order", **fields}
    with pytest.raises(InvalidInput, match=message):
        desk.register_call("olga", call.pop("question"), now=MONDAY, **call)
    assert desk.list_tickets() == []
    assert desk.tickets_of_contact("+79120001122") == []


def test_editors_may_not_register_calls(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "eva", role="editor")
    with pytest.raises(NotAllowed):
        desk.register_call("eva", "Where is my parcel?", phone="+79120001122", outcome="open", now=MONDAY)
    assert desk.tickets_of_contact("+79120001122") == []


def test_the_tickets_of_a_contact_newest_first(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    desk.create_ticket("Where is my parcel?", email="ann@example.com", phone="+79120001122", now=MONDAY)
    desk.register_call("olga", "How do points work?", phone="+7 912 000-11-22", outcome="open", now=MONDAY + MINUTE)
    desk.create_ticket("Someone else's question", email="bob@example.com", now=MONDAY)
    assert [t["question"] for t in desk.tickets_of_contact("+7 912 000 11 22")] == [
        "How do points work?", "Where is my parcel?"]
    # intake keeps the digits as typed (8... and +7... are different numbers to it): the same here
    assert [t["question"] for t in desk.tickets_of_contact("8 (912) 000-11-22")] == []
    found = desk.tickets_of_contact("  ANN@example.com ")
    assert [(t["question"], t["status"], t["owner"]) for t in found] == [  # the same customer
        ("How do points work?", "open", "olga"), ("Where is my parcel?", "open", "olga")]
    assert desk.tickets_of_contact("+7 912", limit=5) == []  # not a number yet
    assert len(desk.tickets_of_contact("+79120001122", limit=1)) == 1
    assert desk.tickets_of_contact("nobody@example.com") == []
    with pytest.raises(InvalidInput):
        desk.tickets_of_contact("x" * 400)
