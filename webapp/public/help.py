"""The help centre's own pages: the home page (search box, topics by tag), the results of a search
(server-rendered; as the visitor types, static/help.js swaps in the same results fragment), a tag's
articles, and the question form for what no article answers.

Lists show each topic once: the copy in the visitor's language, else the other with a note.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from kb.errors import InvalidInput, QueryError
from webapp.core.auth import ANYONE, allow
from webapp.public.forms import AskForm
from webapp.core.i18n import language
from webapp.core.question_log import QID, log_event, log_question, visitor
from webapp.core.rate_limits import limit
from webapp.core.services import services

bp = allow(ANYONE)(Blueprint("help", __name__))

RESULTS = 10
AS_YOU_TYPE = 5
TOPIC_TITLES = 4  # the articles a topic card lists on the home page


def _searcher():
    return services().searcher


@bp.before_request
def _known_visitor():
    """The page gives the browser its id before the first keystroke: the as-you-type requests that
    follow, sent before any answer, then all carry it."""
    if request.method == "GET":
        session.setdefault("visitor", secrets.token_urlsafe(16))


def tag_name(tag: str, lang: str) -> str:
    """A tag as the visitor reads it: its name from articles/_tags.yml, else the tag itself."""
    names = _searcher().manifest.get("tag_names", {}).get(tag) or {}
    return names.get(lang) or names.get("en") or names.get("ru") or tag


@bp.app_context_processor
def tag_names():
    return {"tag_name": tag_name}


def _topics(lang: str) -> list[dict]:
    """Every tag with the topics under it (one copy each, the visitor's language first), largest first."""
    searcher = _searcher()
    by_tag: dict[str, list[dict]] = {}
    # The visitor's language first; a topic with no copy in it comes after, marked.
    for article in sorted(searcher.topic_copies(lang), key=lambda a: a["lang"] != lang):
        for tag in article["tags"]:
            by_tag.setdefault(tag, []).append(article)
    topics = [{"tag": tag, "name": tag_name(tag, lang), "count": len(articles), "articles": articles}
              for tag, articles in by_tag.items()]
    topics.sort(key=lambda t: (-t["count"], t["name"]))
    return topics


@bp.get("/")
def index():
    topics = _topics(language())
    for topic in topics:
        topic["articles"] = topic["articles"][:TOPIC_TITLES]
    return render_template("help/index.html", topics=topics, query="")


def _search(query: str, limit: int = RESULTS):
    return _searcher().search(query, limit=limit, prefer_lang=language())


@bp.get("/search")
@limit("search")
def search():
    query = request.args.get("q", "")
    if not query.strip():
        return redirect(url_for("help.index"))
    response = _search(query)
    log_question(query, response, "help", visitor())
    form = AskForm(formdata=None, question=query)
    return render_template("help/search.html", query=query, response=response, form=form)


@bp.get("/search/results")
@limit("search", fragment=True)
def results():
    """The results fragment alone, for the page's script as the visitor types: the first few, which
    is what fits above the fold (Enter without JavaScript shows RESULTS)."""
    query = request.args.get("q", "")
    if not query.strip():
        return ""
    try:
        response = _search(query, AS_YOU_TYPE)
    except QueryError as exc:
        return render_template("help/results_error.html", message=exc.message), 400
    log_question(query, response, "help", visitor())
    return render_template("help/results.html", query=query, response=response,
                           form=AskForm(formdata=None, question=query) if response.no_match else None)


@bp.get("/topics/<tag>")
def topic(tag):
    lang = language()
    found = next((t for t in _topics(lang) if t["tag"] == tag), None)
    if found is None:
        abort(404)
    return render_template("help/topic.html", topic=found)


@bp.route("/ask", methods=["GET", "POST"])
@limit("tickets", methods=["POST"])
def ask():
    """The question form: a ticket the visitor can follow by its link. Works without JavaScript."""
    if request.method == "GET":
        qid = request.args.get("qid", "")
        form = AskForm(formdata=None, question=request.args.get("q", "")[:2000], qid=qid if QID.fullmatch(qid) else "")
        return render_template("help/ask.html", form=form)
    form = AskForm()
    if not form.validate():
        return render_template("help/ask.html", form=form), 400
    try:
        ticket = services().desk.create_ticket(
            form.question.data, channel="web", language=language(), name=form.name.data or "",
            email=form.email.data or None, phone=form.phone.data or None,
            search_query=form.search_query.data or None, details=form.details.data or "",
            join=False)  # the sender proved nothing: always a request of its own (see webapp.api.tickets)
    except InvalidInput as exc:
        form.form_errors.append(exc.message)
        return render_template("help/ask.html", form=form), 400
    if form.search_query.data and ticket.get("number"):
        log_event("ticket", visitor=visitor(), number=ticket["number"], text=form.search_query.data,
                  qid=form.qid.data or None)
    return redirect(url_for("status.status", token=ticket["token"], new=1), code=303)

