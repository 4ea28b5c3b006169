"""The ticket desk: my tickets, my tier's queue, one ticket with its whole history and what its owner can do.

Every action is a POST with a CSRF token (a Flask-WTF form) that ends in a 303 to the ticket page with a
flash; what the desk refuses (someone was first, not the owner, bad input) shows the same page again
with the reason and its 4xx status, never a 500.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kb.desk.operators import list_operators
from kb.desk.records import utcnow
from kb.desk.tables import UNSOLVED
from kb.errors import IndexMissing, InvalidInput, KBError, NotFound, QueryError
from kb.search.searcher import clean_query
from webapp.core.auth import DESK, LEADS, allow
from webapp.core.i18n import language
from webapp.core.rate_limits import limit
from webapp.core.services import services
from webapp.staff.board import now_page
from webapp.staff.deadlines import age, deadlines
from webapp.staff.history import article_title, event_lines
from webapp.staff.forms import PassOnForm, ReassignForm, ReplyForm, SolveForm, TakeForm

bp = allow(DESK)(Blueprint("desk", __name__, url_prefix="/desk"))

ARTICLE_RESULTS = 6
_LANGS = {"ru": "ru", "en": "en"}
QUESTION_CHARS = 90  # of a question in a queue row


def desk():
    return services().desk


def _rows(tickets: list[dict], now: datetime) -> list[dict]:
    return [dict(t, deadlines=deadlines(t, now), age=age(t["created_at"], now),
                 short=t["question"] if len(t["question"]) <= QUESTION_CHARS
                 else t["question"][:QUESTION_CHARS].rsplit(" ", 1)[0] + " …") for t in tickets]


def queues_page(error: str | None = None, status: int = 200):
    now = utcnow()
    mine = desk().list_tickets(owner=current_user.login, contacts=True)
    tier = current_user.tier or 1
    queue = desk().list_tickets(tier=tier, unowned=True, contacts=True)
    return render_template("desk/queues.html", mine=_rows(mine, now), queue=_rows(queue, now), tier=tier,
                           take_form=TakeForm(), error=error), status


@bp.get("")
def queues():
    return queues_page()


def _error_text(exc: KBError) -> str:
    generic = {403: _("This is not yours to do."), 409: _("Someone changed this ticket first."),
               404: _("Not found."), 400: _("That could not be done. Check it and try again.")}
    return generic.get(exc.status, generic[400]) + " " + exc.message


def ticket_page(number: int, *, error: str | None = None, status: int = 200, forms: dict | None = None):
    ticket = desk().show(number)  # NotFound: the 404 page
    for event in ticket["events"]:
        event.update(event_lines(event))
    ticket["article_title"] = article_title(ticket["article_id"])
    now = utcnow()
    me = current_user
    unsolved = ticket["status"] in UNSOLVED
    can = {
        "take": unsolved and ticket["owner"] is None and (me.tier or 0) >= ticket["tier"],
        "work": unsolved and ticket["owner"] == me.login,
        "pass_on": unsolved and ticket["owner"] == me.login and ticket["tier"] < 3,
        "reassign": unsolved and me.role in LEADS,
    }
    forms = forms or {}
    candidates = []
    if can["reassign"]:
        candidates = [o for o in list_operators(services().database)
                      if o["active"] and o["role"] != "editor" and o["tier"] >= ticket["tier"]
                      and o["login"] != ticket["owner"]]
    return render_template(
        "desk/ticket.html", ticket=ticket, now=now, deadlines=deadlines(ticket, now), age=age(ticket["created_at"], now),
        can=can, error=error, candidates=candidates,
        others=[dict(t, deadlines=deadlines(t, now)) for t in reversed(ticket["other_tickets"])],
        take_form=forms.get("take") or TakeForm(), reply_form=forms.get("reply") or ReplyForm(),
        solve_form=forms.get("solve") or SolveForm(), pass_form=forms.get("pass") or PassOnForm(),
        reassign_data=forms.get("reassign") or ReassignForm()), status


@bp.get("/tickets/<int:number>")
def ticket(number):
    return ticket_page(number)


def _act(number: int, name: str, form, action, done: str):
    """Run one action of the ticket page: 303 to the ticket with `done`, or the page again with why not."""
    if not form.validate():
        return ticket_page(number, error=_("Check the form and try again."), status=400, forms={name: form})
    try:
        action()
    except NotFound:
        raise
    except KBError as exc:
        return ticket_page(number, error=_error_text(exc), status=exc.status, forms={name: form})
    flash(done)
    return redirect(url_for("desk.ticket", number=number), code=303)


@bp.post("/tickets/<int:number>/take")
def take(number):
    form = TakeForm()
    from_queue = request.form.get("back") == "queue"
    if not form.validate():
        return (queues_page(_("The form has expired. Try again."), 400) if from_queue
                else ticket_page(number, error=_("The form has expired. Try again."), status=400))
    try:
        desk().take(number, current_user.login)
    except NotFound:
        raise
    except KBError as exc:
        message = _error_text(exc)
        if exc.status == 409:
            taken = desk().show(number)
            if taken["owner"]:
                message = _("Ticket #%(number)s has already been taken by %(name)s (%(login)s).", number=number,
                            name=taken["owner_name"], login=taken["owner"])
        return queues_page(message, exc.status) if from_queue else ticket_page(number, error=message,
                                                                               status=exc.status)
    flash(_("You took ticket #%(number)s.", number=number))
    return redirect(url_for("desk.ticket", number=number), code=303)


@bp.post("/tickets/<int:number>/reply")
def reply(number):
    form = ReplyForm()
    done = (_("Reply sent; the ticket waits for the customer.") if form.waiting.data
            else _("Reply sent to the customer."))
    return _act(number, "reply", form, lambda: desk().comment(number, current_user.login, form.text.data,
                                                              waiting=bool(form.waiting.data)), done)


def _known_article(article_id: str) -> None:
    """An article id must name an article of the index being served (when one is loaded)."""
    try:
        articles = services().searcher.by_id
    except IndexMissing:
        return  # no index here: the id is kept as typed
    if article_id not in articles:
        raise InvalidInput(f"there is no article {article_id!r} in the knowledge base")


@bp.post("/tickets/<int:number>/solve")
def solve(number):
    form = SolveForm()

    def action():
        article_id = (form.article_id.data or "").strip() or None
        if article_id:
            _known_article(article_id)
        desk().solve(number, current_user.login, answer=form.answer.data, article_id=article_id)

    return _act(number, "solve", form, action, _("Ticket #%(number)s is solved; the answer is on the customer's "
                                                    "request page (nothing is sent to them).", number=number))


@bp.post("/tickets/<int:number>/pass")
def pass_on(number):
    form = PassOnForm()
    return _act(number, "pass", form, lambda: desk().pass_on(number, current_user.login, form.note.data),
                _("Ticket #%(number)s passed on to the next tier.", number=number))


@bp.post("/tickets/<int:number>/reassign")
@allow(LEADS)
def reassign(number):
    form = ReassignForm()
    back_to_board = request.form.get("back") == "now"
    if back_to_board:
        if not form.validate():
            return now_page(_("Choose an operator."), 400)
        try:
            desk().reassign(number, current_user.login, form.to.data, form.note.data or "")
        except KBError as exc:
            return now_page(_error_text(exc), exc.status)
        flash(_("Ticket #%(number)s given to %(login)s.", number=number, login=form.to.data))
        return redirect(url_for("lead.now"), code=303)
    return _act(number, "reassign", form,
                lambda: desk().reassign(number, current_user.login, form.to.data, form.note.data or ""),
                _("Ticket #%(number)s given to %(login)s.", number=number, login=form.to.data))


@bp.get("/articles")
@limit("search", fragment=True)
def find_article():
    """The articles that match `q`, as an HTML fragment for the ticket page's inline search."""
    typed = request.args.get("q", "")
    if not typed.strip():
        return render_template("desk/articles.html", results=None, query=""), 200
    try:
        query = clean_query(typed)
        found = services().searcher.search(query, limit=ARTICLE_RESULTS,
                                           prefer_lang=_LANGS.get(request.args.get("lang"), language()))
    except QueryError as exc:
        return render_template("desk/articles.html", results=None, query=typed, error=exc.message), 400
    except IndexMissing:
        return render_template("desk/articles.html", results=None, query=typed,
                               error=_("The knowledge base is not loaded here: type the article id.")), 503
    return render_template("desk/articles.html", results=found.results, query=query), 200
