"""The article page for visitors: `/articles/<id>`, the public answer rendered from Markdown
(webapp.core.articles). Only the public fields of an article are read: the operator notes, which
the index keeps beside the body, never reach the template.
"""
from __future__ import annotations

import numpy as np
from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.exceptions import BadRequest, NotFound

from kb.errors import KBError
from kb.search.searcher import clean_query
from kb.search.topics import one_per_topic
from webapp.core.articles import checked_article_id, public_fields, render_body, translation_of
from webapp.core.auth import ANYONE, allow
from webapp.core.i18n import language, switch_link
from webapp.core.question_log import log_event, visitor
from webapp.core.rate_limits import limit
from webapp.core.services import services
from webapp.public.forms import AskForm, VoteForm

bp = allow(ANYONE)(Blueprint("articles", __name__, url_prefix="/articles"))

RELATED = 3


def _searcher():
    return services().searcher


def _related(searcher, number: int) -> list[dict]:
    """The articles nearest in meaning to this one's question: other topics only, each once, in
    the visitor's language when it has a copy in it.

    One scoring of the title (no snippets are needed), every article in rank order."""
    build = searcher.build
    try:
        _evidence, scores = searcher.score(clean_query(searcher.articles[number]["title"]))
    except KBError:  # a title the search cannot take: the page goes out without related articles
        return []
    order = one_per_topic(np.argsort(-scores.rank, kind="stable"), build.topic, build.article_langs, language())
    return [public_fields(searcher.articles[i]) for i in order if build.topic[i] != build.topic[number]][:RELATED]


def _voted() -> dict:
    """The votes this visitor gave, by article id (their session): the page thanks them instead of asking again."""
    return session.get("votes", {})


@bp.get("/<article_id>")
def article(article_id):
    article_id = checked_article_id(article_id)
    searcher = _searcher()
    found = searcher.by_id.get(article_id)
    if found is None:
        raise NotFound()
    number = searcher.build.number[article_id]
    public = public_fields(found)
    translation = translation_of(searcher, number, found)
    # The switch goes to the same topic in the other language when there is a copy in it.
    switch = switch_link(url_for("articles.article", article_id=translation["id"]) if translation else None)
    question = request.args.get("q", "")[:500]
    if question.strip():  # came from the results: the question's row learns which article was opened
        pos = request.args.get("pos", "")
        log_event("opened", visitor=visitor(), article_id=article_id, text=question,
                  qid=request.args.get("qid") or None, position=int(pos) if pos.isdigit() and len(pos) <= 2 else None)
    form = VoteForm(formdata=None, q=question, pos=request.args.get("pos", "")[:2])
    voted = _voted().get(article_id)
    # "Not helpful": the question form right here, holding the question that led to the article.
    ask_form = AskForm(formdata=None, question=question or public["title"]) if voted == "no" else None
    return render_template(
        "articles/article.html", article=public, form=form, question=question, voted=voted, ask_form=ask_form,
        body=render_body(public["body"], searcher.by_id), switch=switch,
        alternate=translation, translation=translation if translation and translation["lang"] == language() else None,
        related=_related(searcher, number))


@bp.post("/<article_id>/vote")
@limit("votes")
def vote(article_id):
    """"Was this helpful?": stored with the question that led here, then the page again with thanks."""
    article_id = checked_article_id(article_id)
    if article_id not in _searcher().by_id:
        raise NotFound()
    form = VoteForm()
    if not form.validate():
        raise BadRequest()
    helpful = form.helpful.data == "yes"
    services().votes.record(article_id, helpful, question=form.q.data or None, lang=language(), source="help",
                            position=int(form.pos.data) if form.pos.data else None)
    if form.q.data:
        log_event("voted", visitor=visitor(), article_id=article_id, helpful=helpful, text=form.q.data)
    session["votes"] = {**_voted(), article_id: "yes" if helpful else "no"}
    return redirect(url_for("articles.article", article_id=article_id, q=form.q.data or None) + "#vote", code=303)
