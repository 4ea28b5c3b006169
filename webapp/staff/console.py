"""The operator console: search while the customer waits, the answer beside its operator-only notes, and the call registered in one step.

Everything works without JavaScript (the page takes `?q=` and `?article=`; the call form posts and
redirects back); static/console.js makes it fast and keyboard-first by fetching the same fragments
the page is built from: the results as the operator types, the answer panel, the caller's history,
and the call form after a registration.
"""
from __future__ import annotations

import re

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from kb.errors import IndexMissing, InvalidInput, QueryError
from kb.text import guess_language
from webapp.core.articles import checked_article_id, render_body, translation_of
from webapp.core.auth import DESK, allow
from webapp.core.question_log import log_event, log_question
from webapp.core.rate_limits import limit
from webapp.core.security import shown_url
from webapp.core.services import services
from webapp.staff.forms import CallForm

bp = allow(DESK)(Blueprint("console", __name__, url_prefix="/console"))

RESULTS = 5  # what fits above the call form on a laptop screen
MAX_QUERY = 500
LAST_CALL = "console_last_call"  # the session's note of the call just registered, shown once


def _searcher():
    return services().searcher


def _operator() -> str:
    """The query log's reference of the operator searching: their login (staff are not anonymous)."""
    return f"operator:{current_user.login or current_user.name}"


def _is_fetch() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _search(query: str) -> tuple[object | None, str | None]:
    """(the search response, None) or (None, a calm message for the operator)."""
    if not query.strip():
        return None, None
    try:
        return _searcher().search(query, limit=RESULTS, prefer_lang=guess_language(query)), None
    except IndexMissing:
        return None, _("The search index is not built yet, so there are no articles to show. "
                       "You can still register the call.")
    except QueryError as exc:
        return None, exc.message


def plain_text(body: str) -> str:
    """An answer's Markdown as text to paste into a chat or read out: no markup, bullets kept."""
    text = re.sub(r"!?\[([^\]\n]*)\]\([^)\n]*\)", r"\1", body)  # links and images: their text
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)  # bold
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])", r"\1", text)  # italics
    text = re.sub(r"`([^`\n]+)`", r"\1", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)  # headings
    text = re.sub(r"^(\s*)[-*+]\s+", r"\1• ", text, flags=re.M)  # bullets
    text = re.sub(r"^\s{0,3}>\s?", "", text, flags=re.M)  # quotes
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _article(article_id: str | None) -> dict | None:
    """What the answer panel shows of one article, or None for no (or no such) article."""
    if not article_id:
        return None
    try:
        article_id = checked_article_id(article_id)
        searcher = _searcher()
    except (NotFound, IndexMissing):
        return None
    found = searcher.by_id.get(article_id)
    if found is None:
        return None
    notes = (found.get("operator_notes") or "").strip()
    return {"id": article_id, "title": found["title"], "lang": found["lang"], "tags": found.get("tags", []),
            "body": render_body(found["body"], searcher.by_id), "plain": plain_text(found["body"]),
            "notes": render_body(notes, searcher.by_id) if notes else None,
            "translation": translation_of(searcher, searcher.build.number[article_id], found)}


def _last_call() -> dict | None:
    """The call just registered, once, with its status link: the customer's only way to their request
    (nothing is sent to them), so the operator reads it out or sends it. The link is looked up here,
    not kept in the session cookie."""
    last = session.pop(LAST_CALL, None)
    if last is not None:
        last = dict(last, status_url=shown_url("status.status", token=services().desk.show(last["number"])["token"]))
    return last


def _call_form(form: CallForm, status: int = 200):
    """The call form alone (the fragment the page's script swaps in after posting)."""
    article = _article(form.article_id.data)
    return render_template("console/call_form.html", form=form, call_article=article,
                           last_call=_last_call()), status


@bp.get("")
@limit("search")
def index():
    query = request.args.get("q", "")[:MAX_QUERY]
    article = _article(request.args.get("article"))
    response, message = _search(query)
    if article is not None and query.strip():  # a result opened without JavaScript: that question's row
        log_event("opened", visitor=_operator(), article_id=article["id"], text=query)
    elif response is not None:
        log_question(query, response, "console", _operator())
    form = CallForm(formdata=None, question=query, search_query=query, article_id=article["id"] if article else "")
    return render_template("console/index.html", query=query, response=response, message=message,
                           article=article, form=form, call_article=article, last_call=_last_call())


@bp.get("/results")
@limit("search", fragment=True)
def results():
    """The results fragment, fetched on every keystroke: small, so it is drawn at once."""
    query = request.args.get("q", "")
    if len(query) > MAX_QUERY:
        query = query[:MAX_QUERY]
    response, message = _search(query)
    if response is None and message is None:
        return ""
    if response is not None:
        log_question(query, response, "console", _operator())
    return render_template("console/results.html", query=query, response=response, message=message)


@bp.get("/articles/<path:article_id>")
def article(article_id):
    """The answer panel for one article: the answer beside the operator notes."""
    found = _article(article_id)
    if found is None:
        raise NotFound()
    query = request.args.get("q", "")[:MAX_QUERY]
    if query.strip():
        log_event("opened", visitor=_operator(), article_id=found["id"], text=query, qid=request.args.get("qid") or None)
    return render_template("console/article.html", article=found, query=query)


@bp.get("/customer")
def customer():
    """The caller's earlier tickets, newest first, by the phone number or e-mail address typed."""
    contact = request.args.get("contact", "")
    try:
        tickets = services().desk.tickets_of_contact(contact) if contact.strip() else []
    except InvalidInput:
        tickets = []
    return render_template("console/customer.html", tickets=tickets, contact=contact.strip())


@bp.post("/calls")
def register_call():
    """Register the call: a ticket of this operator (solved, open for a call-back, or passed on)."""
    form = CallForm()
    if form.validate():
        email, phone = form.contact_parts()
        try:
            call = services().desk.register_call(
                current_user.login, form.question.data, email=email, phone=phone, name=form.name.data or "",
                channel=form.channel.data, outcome=form.outcome.data, article_id=form.article_id.data or None,
                answer=form.answer.data or None, note=form.note.data or None,
                search_query=form.search_query.data or None)
        except InvalidInput as exc:
            form.form_errors.append(exc.message)
        else:
            if form.search_query.data:
                log_event("ticket", visitor=_operator(), number=call["number"], text=form.search_query.data)
            session[LAST_CALL] = {"number": call["number"], "status": call["status"], "tier": call["tier"],
                                  "owner": call["owner"], "outcome": call["outcome"]}
            if _is_fetch():
                return _call_form(CallForm(formdata=None))
            return redirect(url_for("console.index"), code=303)
    if _is_fetch():
        return _call_form(form, 400)
    query = form.search_query.data or ""
    article = _article(form.article_id.data)
    response, message = _search(query[:MAX_QUERY])
    return render_template("console/index.html", query=query, response=response, message=message, article=article,
                           form=form, call_article=article, last_call=None), 400
