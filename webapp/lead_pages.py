"""Lead pages: the month's report (and its CSV) and what is open now, with reassigning."""
from __future__ import annotations

from flask import Blueprint

from webapp.auth import LEADS, allow

bp = allow(LEADS)(Blueprint("lead_pages", __name__, url_prefix="/lead"))


@bp.get("/month")
def month():
    return "month"


@bp.get("/month.csv")
def month_csv():
    return ""


@bp.get("/now")
def now():
    return "now"
