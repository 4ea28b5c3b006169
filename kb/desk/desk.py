"""Tickets: a question the knowledge base could not answer, tracked until someone answers it.

Rules (see README, "Tickets"): one owner at a time; the owner solves it or passes it on to the
next tier with a note; overdue tickets go up a tier by themselves; every change is an event.
`Desk` is the one entry point for the `kb` command, the web app and the worker: a thin facade over
its parts, each built from the database, the rules and the clock, that call one another only
through public methods. Every method takes `now` (naive UTC) so deadlines can be tested without
waiting.
"""
from __future__ import annotations

from kb.db.engine import Database
from kb.desk.board import Board
from kb.desk.calls import Calls
from kb.desk.intake import Intake
from kb.desk.queue import Queue
from kb.desk.records import Clock
from kb.desk.routing import Routing
from kb.desk.rules import TicketRules
from kb.desk.workflow import Workflow


class Desk:
    """The support desk over one database: creating, assigning, solving and escalating tickets.

    `embed` (texts -> unit vectors) is the duplicate check's encoder; without one, only a question
    with the same text joins its customer's open ticket."""

    def __init__(self, db: Database, rules: TicketRules | None = None, embed=None, clock: Clock | None = None):
        self.db = db
        self.rules = rules or TicketRules()
        clock = clock or Clock()
        routing = Routing(db, self.rules, clock)
        queue = Queue(db, self.rules, clock)
        workflow = Workflow(db, clock, routing)
        intake = Intake(db, self.rules, clock, routing, queue, embed)
        board = Board(db, self.rules, clock)
        calls = Calls(db, self.rules, clock, intake, workflow)
        # What the desk does, each by the part that does it.
        self.create_ticket, self.add_details, self.rate = intake.create_ticket, intake.add_details, intake.rate
        self.take, self.comment = workflow.take, workflow.comment
        self.pass_on, self.solve = workflow.pass_on, workflow.solve
        self.escalate_overdue = routing.escalate_overdue
        self.status, self.list_tickets, self.show = queue.status, queue.list_tickets, queue.show
        self.board, self.reassign = board.board, board.reassign
        self.register_call, self.tickets_of_contact = calls.register_call, calls.tickets_of_contact
