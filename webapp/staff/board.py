"""The leads' board of what is open now (overdue, due soon, flagged, who holds what): the page of
/lead/now, and the page a reassignment from it comes back to on an error (webapp.staff.desk)."""
from __future__ import annotations

from flask import render_template

from webapp.core.services import services
from webapp.staff.deadlines import age, deadlines
from webapp.staff.forms import ReassignForm


def now_page(error: str | None = None, status: int = 200):
    board = services().desk.board()
    moment = board["now"]
    for group in ("overdue", "due_soon", "flagged"):
        for row in board[group]:
            row["deadlines"] = deadlines(row, moment)
            row["age"] = age(row["created_at"], moment)
    for person in board["holding"]:
        for row in person["tickets"]:
            row.setdefault("deadlines", deadlines(row, moment))
    return render_template("lead/now.html", board=board, error=error, form=ReassignForm()), status
