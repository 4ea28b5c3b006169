"""The ticket desk: my tickets, my tier's queue, one ticket with its whole history and what its owner can do."""
from __future__ import annotations

from flask import Blueprint

from webapp.auth import DESK, LEADS, allow

bp = allow(DESK)(Blueprint("desk", __name__, url_prefix="/desk"))


@bp.get("")
def queues():
    return "desk"


@bp.get("/tickets/<int:number>")
def ticket(number):
    return ""


@bp.post("/tickets/<int:number>/take")
def take(number):
    return ""


@bp.post("/tickets/<int:number>/reply")
def reply(number):
    return ""


@bp.post("/tickets/<int:number>/solve")
def solve(number):
    return ""


@bp.post("/tickets/<int:number>/pass")
def pass_on(number):
    return ""


@bp.post("/tickets/<int:number>/reassign")
@allow(LEADS)
def reassign(number):
    return ""
