"""Lead pages: the month's report (and its CSV) and what is open now, with reassigning."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from kb.desk.records import utcnow
from kb.desk.reports import COLUMNS, monthly_report, parse_month, report_csv
from webapp.core.auth import LEADS, allow
from webapp.core.i18n import channel_names
from webapp.core.services import services
from webapp.staff.board import now_page

bp = allow(LEADS)(Blueprint("lead", __name__, url_prefix="/lead"))


def _month() -> str:
    """The `month` parameter (YYYY-MM), the current month when there is none."""
    typed = request.args.get("month", "")
    return parse_month(typed) if typed else utcnow().strftime("%Y-%m")


def _shift(month: str, by: int) -> str | None:
    year, number = divmod(int(month[:4]) * 12 + int(month[5:]) - 1 + by, 12)
    return f"{year:04d}-{number + 1:02d}" if 2000 <= year <= 2999 else None


@bp.get("/month")
def month():
    chosen = _month()
    report = monthly_report(services().database, chosen)
    first = date(int(chosen[:4]), int(chosen[5:]), 1)
    return render_template("lead/month.html", report=report, month=chosen, first=first, columns=COLUMNS,
                           previous=_shift(chosen, -1), next=_shift(chosen, 1),
                           current=utcnow().strftime("%Y-%m"))


def csv_words() -> dict[str, str]:
    """The CSV tables' column names, groups and channels in the reader's language."""
    return {"month": _("Month"), "group": _("Group"), "name": _("Name"), "operator": _("Operator"), "tier": _("Tier"),
            "channel": _("Channel"), "received": _("Received"), "solved": _("Solved"), "passed_on": _("Passed on"),
            "escalated": _("Escalated"), "breaches": _("Breaches"),
            "median_first_response_minutes": _("First response, median (min)"),
            "median_solution_hours": _("Solution, median (h)"), "average_rating": _("Rating, average"),
            "day": _("Day"), "asked": _("Asked"), "help": _("Help centre"), "console": _("Console"), "api": _("API"),
            "answered": _("Answered (times)"), "no_match": _("No match"), "opened": _("Opened"),
            "helpful": _("Helpful"), "not_helpful": _("Not helpful"), "question": _("Question"),
            "tickets": _("Tickets"), "last_asked": _("Last asked"), "article_id": _("Article"),
            "helpful_share": _("Helpful share"), "trouble": _("Trouble"), "questions": _("Questions"),
            "tier_1": _("Tier 1"), "tier_2": _("Tier 2"), "tier_3": _("Tier 3"), "total": _("Total"),
            **channel_names()}


@bp.get("/month.csv")
def month_csv():
    chosen = _month()
    text = report_csv(monthly_report(services().database, chosen), csv_words())
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="tickets-{chosen}.csv"'})


@bp.get("/now")
def now():
    return now_page()


# --- where customers struggle: the questions page ------------------------------------------------

def _report():
    from kb.app.insights import date_range, insights

    since, until = date_range(request.args.get("from"), request.args.get("to"), today=utcnow().date())
    kept = services()
    return insights(kept.database, since, until, log=kept.questions, votes=kept.votes)


def _titles(ids) -> dict[str, str]:
    """Article titles by id from the index (the ids themselves when there is no index)."""
    from kb.errors import IndexMissing

    try:
        by_id = services().searcher.by_id
    except IndexMissing:
        return {}
    return {i: by_id[i]["title"] for i in ids if i in by_id}


@bp.get("/questions")
def questions():
    from webapp.staff.charts import stacked_days

    report = _report()
    today = utcnow().date()
    titles = _titles([a["article_id"] for a in report["articles"]])
    presets = [(days, (today - timedelta(days=days - 1)).isoformat()) for days in (7, 30, 90)]
    charts = {"questions": stacked_days(report["days"], [("help", "s-help"), ("console", "s-console"), ("api", "s-api")],
                                        width=1100, height=220),
              "tickets": stacked_days(report["tickets"]["days"],
                                      [("tier_1", "s-tier1"), ("tier_2", "s-tier2"), ("tier_3", "s-tier3")],
                                      width=520, height=220)}
    return render_template("lead/questions.html", report=report, charts=charts, titles=titles, presets=presets,
                           today=today)


@bp.get("/questions/<table>.csv")
def questions_csv(table):
    from kb.errors import NotFound
    from kb.app.insights import TABLES, table_csv

    if table not in TABLES:
        raise NotFound(f"no table {table[:40]!r}: one of {', '.join(TABLES)}")
    report = _report()
    name = f"questions-{table}-{report['since'].isoformat()}-{report['until'].isoformat()}.csv"
    return Response(table_csv(report, table, csv_words()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
