"""Races the database must settle, with real threads, on SQLite and PostgreSQL."""
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from kb.desk.operators import add_operator
from kb.desk.tables import Customer, Ticket, TicketEvent
from kb.errors import Conflict


def at_once(count, work):
    """Run work(i) in `count` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait()
        try:
            return work(i)
        except Exception as exc:  # collected, so the test can look at both outcomes
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_two_operators_taking_the_same_ticket_exactly_one_wins(desk):
    numbers = [desk.create_ticket(f"question {i}", email=f"c{i}@example.com")["number"] for i in range(8)]
    for login in ("anna", "boris"):  # added after the tickets, so none is auto-assigned
        add_operator(desk.db, login, login.title(), "secret-password", role="operator")
    for number in numbers:
        outcomes = at_once(2, lambda i: desk.take(number, ("anna", "boris")[i]))
        winners = [o for o in outcomes if isinstance(o, dict)]
        losers = [o for o in outcomes if isinstance(o, Exception)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        assert isinstance(losers[0], Conflict) and f"#{number} is already taken by {winners[0]['owner']}" in losers[0].message
    with desk.db.transaction() as session:
        assigned = session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "assigned"))
        assert assigned == len(numbers)


def test_fifty_tickets_created_at_once_are_all_stored_with_unique_numbers(desk):
    # Five customers asking ten different questions each, all at the same moment.
    outcomes = at_once(50, lambda i: desk.create_ticket(f"alpha{i} beta{i} gamma{i}", email=f"c{i % 5}@example.com"))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    with desk.db.transaction() as session:
        numbers = session.scalars(select(Ticket.number)).all()
        assert sorted(numbers) == list(range(1, 51))
        assert session.scalar(select(func.count()).select_from(Customer)) == 5
        created = session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "created"))
        assert created == 50


def test_escalation_run_from_several_servers_at_once_moves_each_ticket_once(desk):
    from datetime import datetime, timedelta

    start = datetime(2025, 3, 3, 10, 0)
    for i in range(5):
        desk.create_ticket(f"question {i}", email=f"c{i}@example.com", now=start)
    outcomes = at_once(3, lambda i: desk.escalate_overdue(now=start + timedelta(hours=21)))
    assert sum(len(o) for o in outcomes) == 5, outcomes
    with desk.db.transaction() as session:
        assert set(session.scalars(select(Ticket.tier))) == {2}
        escalated = session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "escalated"))
        assert escalated == 5
