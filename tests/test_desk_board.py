"""The leads' board, reassigning, the unowned queue and the conversation the customer sees, on SQLite and
PostgreSQL (the `desk` fixture)."""
from datetime import datetime, timedelta

import pytest

from kb.desk.desk import Desk
from kb.desk.operators import add_operator, update_operator
from kb.desk.rules import TicketRules
from kb.errors import Conflict, InvalidInput, NotAllowed
from tests.conftest import fake_embed

MONDAY = datetime(2025, 3, 3, 10, 0)
H = timedelta(hours=1)


def person(desk, login, tier=1, role="operator"):
    return add_operator(desk.db, login, f"{login.title()} Petrova", "secret-password", tier=tier, role=role,
                        now=MONDAY)


def ticket(desk, question="Where is my parcel?", email="ann@example.com", at=MONDAY, **kwargs):
    return desk.create_ticket(question, email=email, now=at, **kwargs)


@pytest.fixture
def quiet(database):
    """A desk that leaves new tickets in the queue (no auto-assignment)."""
    return Desk(database, TicketRules(auto_assign=False), embed=fake_embed)


def test_list_tickets_unowned_gives_the_queue_oldest_first_with_contacts(quiet):
    person(quiet, "anna")
    for n, email in enumerate(["a@example.com", "b@example.com", "c@example.com"]):
        ticket(quiet, f"Question {n}", email=email, at=MONDAY + n * H, name="Bea" if n == 2 else "")
    quiet.take(2, "anna", now=MONDAY + 3 * H)
    queue = quiet.list_tickets(tier=1, unowned=True, contacts=True)
    assert [t["number"] for t in queue] == [1, 3]
    assert [t["customer"] for t in queue] == ["a@example.com", "Bea"]
    assert [t["number"] for t in quiet.list_tickets(owner="anna")] == [2]
    assert "customer" not in quiet.list_tickets()[0]
    with pytest.raises(InvalidInput):
        quiet.list_tickets(owner="anna", unowned=True)


def test_the_board_counts_tiers_lists_late_and_soon_and_who_holds_what(quiet):
    person(quiet, "anna")
    person(quiet, "boris", tier=2)
    person(quiet, "lena", role="lead", tier=3)
    ticket(quiet, "Late at tier 1", email="a@example.com", at=MONDAY - 30 * H)        # due long ago
    ticket(quiet, "Reply due soon", email="b@example.com", channel="social", at=MONDAY - 0.5 * H)  # 1 h first response
    ticket(quiet, "Fine", email="c@example.com", channel="email", at=MONDAY)          # 4 h / 20 h
    ticket(quiet, "Waiting", email="d@example.com", at=MONDAY)
    quiet.take(3, "anna", now=MONDAY)
    quiet.take(4, "anna", now=MONDAY)
    quiet.comment(4, "anna", "Which order?", waiting=True, now=MONDAY)
    ticket(quiet, "Up a tier", email="e@example.com", at=MONDAY)
    quiet.take(5, "anna", now=MONDAY)
    quiet.pass_on(5, "anna", "needs a refund", now=MONDAY)

    board = quiet.board(now=MONDAY + 0.25 * H)
    tiers = {t["tier"]: t for t in board["tiers"]}
    assert tiers[1] == {"tier": 1, "unowned": 2, "open": 1, "waiting": 1, "assignable": True}
    assert tiers[2] == {"tier": 2, "unowned": 1, "open": 0, "waiting": 0, "assignable": True}
    assert tiers[3] == {"tier": 3, "unowned": 0, "open": 0, "waiting": 0, "assignable": False}  # only a lead there: nobody to assign to
    assert [t["number"] for t in board["overdue"]] == [1]
    assert [(t["number"], t["deadline"]) for t in board["due_soon"]] == [(2, "first_response")]
    assert board["flagged"] == []
    holding = {p["login"]: p for p in board["holding"]}
    assert holding["anna"]["count"] == 2 and [t["number"] for t in holding["anna"]["tickets"]] == [3, 4]
    assert holding["boris"]["count"] == 0 and holding["lena"]["count"] == 0
    assert board["holding"][0]["login"] == "anna"  # the busiest first
    assert {o["login"] for o in board["operators"]} == {"anna", "boris", "lena"}

    # Hours later everything at tier 1 is late; escalation at tier 3 shows as flagged.
    later = quiet.board(now=MONDAY + 21 * H)
    assert {t["number"] for t in later["overdue"]} == {1, 2, 3, 4, 5}
    quiet.escalate_overdue(now=MONDAY + 21 * H)   # tier 1 -> 2, tier 2 -> 3
    quiet.escalate_overdue(now=MONDAY + 60 * H)   # -> 3
    quiet.escalate_overdue(now=MONDAY + 90 * H)   # flagged at tier 3
    flagged = quiet.board(now=MONDAY + 90 * H)["flagged"]
    assert {t["number"] for t in flagged} == {1, 2, 3, 4, 5}


def test_a_lead_reassigns_and_the_history_says_who_and_why(quiet):
    person(quiet, "anna")
    person(quiet, "olga")
    person(quiet, "boris", tier=2)
    person(quiet, "lena", role="lead", tier=1)
    ticket(quiet)
    quiet.take(1, "anna", now=MONDAY)
    moved = quiet.reassign(1, "lena", "olga", "Anna is off sick", now=MONDAY + H)
    assert moved["owner"] == "olga" and moved["status"] == "open"
    event = quiet.show(1)["events"][-1]
    assert event["kind"] == "assigned" and event["operator"] == "olga"
    assert event["params"] == {"how": "reassigned", "to": "olga", "by": "lena"} and event["note"] == "Anna is off sick"
    # the new owner works it; the old one no longer can
    quiet.comment(1, "olga", "On its way", now=MONDAY + 2 * H)
    with pytest.raises(NotAllowed):
        quiet.comment(1, "anna", "Me too", now=MONDAY + 2 * H)
    # an unowned ticket can be given too, and it becomes open
    ticket(quiet, "Second", email="x@example.com")
    assert quiet.reassign(2, "lena", "boris", now=MONDAY)["status"] == "open"


def test_reassign_is_refused_with_a_reason(quiet):
    person(quiet, "anna")
    person(quiet, "olga")
    person(quiet, "boris", tier=2)
    person(quiet, "eddie", role="editor")
    person(quiet, "lena", role="lead")
    person(quiet, "gone")
    update_operator(quiet.db, "gone", active=False)
    ticket(quiet)
    quiet.take(1, "anna", now=MONDAY)
    quiet.pass_on(1, "anna", "tier 2 please", now=MONDAY)  # now at tier 2
    with pytest.raises(NotAllowed, match="lead or an admin"):
        quiet.reassign(1, "olga", "boris")
    with pytest.raises(InvalidInput, match="tier 2"):
        quiet.reassign(1, "lena", "olga")
    with pytest.raises(InvalidInput, match="editor"):
        quiet.reassign(1, "lena", "eddie")
    with pytest.raises(InvalidInput, match="not active"):
        quiet.reassign(1, "lena", "gone")
    quiet.reassign(1, "lena", "boris")
    with pytest.raises(Conflict, match="already belongs"):
        quiet.reassign(1, "lena", "boris")
    quiet.solve(1, "boris", answer="Done")
    with pytest.raises(Conflict):
        quiet.reassign(1, "lena", "boris")


def test_the_status_shows_the_conversation_but_never_internal_notes_or_logins(quiet):
    person(quiet, "anna")
    person(quiet, "boris", tier=2)
    person(quiet, "lena", role="lead", tier=2)
    made = ticket(quiet)
    token = made["token"]
    quiet.take(1, "anna", now=MONDAY)
    quiet.comment(1, "anna", "Which order is it?", waiting=True, now=MONDAY + H)
    quiet.add_details(token, "Order 12345", now=MONDAY + 2 * H)
    quiet.pass_on(1, "anna", "SECRET-PASS-NOTE courier lost it", now=MONDAY + 3 * H)
    quiet.reassign(1, "lena", "boris", "SECRET-ASSIGN-NOTE", now=MONDAY + 4 * H)
    quiet.solve(1, "boris", answer="A new parcel goes out today", article_id="track-order", now=MONDAY + 5 * H)
    status = quiet.status(token)
    messages = status["messages"]
    assert [(m["author"], m["name"], m["text"], m["answer"]) for m in messages] == [
        ("operator", "Anna", "Which order is it?", False),
        ("customer", None, "Order 12345", False),
        ("operator", "Boris", "A new parcel goes out today", True)]
    assert messages[-1]["article_id"] == "track-order" and messages[0]["at"] == MONDAY + H
    shown = repr(status)
    assert "SECRET" not in shown and "anna" not in shown and "boris" not in shown and "lena" not in shown


def test_an_inactive_holder_is_marked_on_the_board(quiet):
    """Tickets held by someone deactivated before their tickets were handed back (an older database)
    show with the holder marked inactive, so a lead sees whom to take them from."""
    from kb.desk.tables import Operator

    person(quiet, "anna")
    ticket(quiet)
    quiet.take(1, "anna", now=MONDAY)

    def deactivate_only(session):  # as deactivating did before it returned the tickets
        session.query(Operator).filter_by(login="anna").one().active = False

    quiet.db.run(deactivate_only)
    [anna] = [p for p in quiet.board(now=MONDAY + H)["holding"] if p["login"] == "anna"]
    assert anna["active"] is False and [t["number"] for t in anna["tickets"]] == [1]
    update_operator(quiet.db, "anna", active=True)
    update_operator(quiet.db, "anna", active=False)  # deactivated now: the ticket goes back to the queue
    assert not [p for p in quiet.board(now=MONDAY + H)["holding"] if p["login"] == "anna"]
    assert quiet.show(1)["owner"] is None and quiet.show(1)["status"] == "new"
