"""Tickets: a question the knowledge base could not answer, tracked until someone answers it.

Rules (see README, "Tickets"): one owner at a time; the owner solves it or passes it on to the
next tier with a note; overdue tickets go up a tier by themselves; every change is an event.
`Desk` is the one entry point for the `kb` command and the web app; its parts live in `intake`,
`workflow`, `routing` and `queue`. Every method takes `now` (naive UTC) so deadlines can be tested
without waiting.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy.orm.exc import StaleDataError

from kb.db.engine import Database
from kb.desk.board import Board
from kb.desk.calls import Calls
from kb.desk.duplicates import VectorCache
from kb.desk.intake import Intake
from kb.desk.queue import Queue
from kb.desk.routing import Routing
from kb.desk.rules import TicketRules
from kb.desk.workflow import Workflow
from kb.desk.workhours import parse_schedule
from kb.errors import Conflict


class Desk(Intake, Workflow, Routing, Queue, Board, Calls):
    """The support desk over one database: creating, assigning, solving and escalating tickets."""

    def __init__(self, db: Database, rules: TicketRules | None = None, embed=None):
        self.db = db
        self.rules = rules or TicketRules()
        self.schedule = parse_schedule(self.rules.working_hours, self.rules.timezone)
        # texts -> unit vectors, for the duplicate check; without one, only the exact text joins
        self._embed = embed
        # Open questions are compared again with every new question of their customer: embed each once.
        self._vectors = VectorCache(self.embed, size=4096)

    def embed(self, texts: list[str]) -> np.ndarray:
        if self._embed is None:
            raise RuntimeError("this desk has no encoder for the duplicate check")
        return self._embed(texts)

    def _run(self, work, *args):
        try:
            return self.db.run(work, *args)
        except StaleDataError:
            raise Conflict("the ticket changed while this was being done: look at it again") from None
