"""Races between server PROCESSES (each with its own engine and Desk), on SQLite and PostgreSQL."""
import multiprocessing
import os

from sqlalchemy import func, select

from kb.desk.tables import Customer, Ticket

ROUNDS = 3
PROCESSES = 3


def _ask_at_once(url, barrier, results, question, email):
    """In a child process: its own Database and Desk, released together with the others."""
    try:
        from conftest import fake_embed

        from kb.db.engine import Database
        from kb.desk.desk import Desk
        from kb.desk.rules import TicketRules

        database = Database(url)
        with database.engine.connect():  # connect before the start, so all ask at the same moment
            pass
        desk = Desk(database, TicketRules(auto_assign=False), embed=fake_embed)
        barrier.wait(timeout=30)
        ticket = desk.create_ticket(question, email=email)
        results.put((os.getpid(), ticket["number"], ticket["joined"]))
    except Exception as exc:  # noqa: BLE001 - reported to the test, which fails with it
        results.put((os.getpid(), None, repr(exc)))


def test_the_same_question_sent_by_several_processes_at_once_is_one_ticket(db_url, database):
    context = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        email = f"race{round_}@example.com"
        barrier, results = context.Barrier(PROCESSES), context.Queue()
        workers = [context.Process(target=_ask_at_once, args=(db_url, barrier, results, "Where is my parcel?", email))
                   for _ in range(PROCESSES)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        assert all(number is not None for _, number, _ in outcomes), outcomes
        assert sorted(joined for _, _, joined in outcomes) == [False] + [True] * (PROCESSES - 1), outcomes
        assert len({number for _, number, _ in outcomes}) == 1, outcomes
        with database.transaction() as session:
            tickets = session.scalar(select(func.count(Ticket.id)).join(Customer).where(Customer.email == email))
            assert tickets == 1, f"round {round_}: {tickets} tickets for one question"
