"""The article page for visitors: `/articles/<id>`, the public answer rendered from Markdown.

The body goes through `markdown` and then the `nh3` allow-list sanitizer, so nothing an editor (or a
pasted e-mail) writes can run in the visitor's browser. Only the public fields of an article are read:
the operator notes, which the index keeps beside the body, never reach the template.
"""
from __future__ import annotations

import re
from urllib.parse import unquote

import markdown
import nh3
import numpy as np
from flask import Blueprint, redirect, render_template, request, session, url_for
from markupsafe import Markup
from werkzeug.exceptions import BadRequest, NotFound

from kb.articles.parsing import ID_PATTERN
from kb.errors import KBError
from kb.search.searcher import clean_query
from kb.search.topics import one_per_topic
from kb.text import unprintable
from webapp.auth import ANYONE, allow
from webapp.forms import VoteForm
from webapp.i18n import language, switch_link
from webapp.question_log import log_event, visitor
from webapp.services import services

bp = allow(ANYONE)(Blueprint("articles", __name__, url_prefix="/articles"))

RELATED = 3
MAX_ID_CHARS = 200
MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
# What a rendered answer may contain; everything else is dropped (its text kept), and script and
# style elements are dropped with their content.
TAGS = {"p", "br", "hr", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "a",
        "strong", "em", "b", "i", "h2", "h3", "h4", "blockquote"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

PUBLIC = ("id", "title", "lang", "tags", "body")  # never operator_notes


def _searcher():
    return services().searcher


def _public(article: dict) -> dict:
    return {key: article[key] for key in PUBLIC}


def _link_target(href: str, known) -> str | None:
    """An article link's address on this site: `other-id` or `/articles/other-id` (with an optional
    #fragment) becomes `/articles/other-id` when that article exists. Other links are kept as they are;
    an article link to an id that does not exist loses its address (the text stays)."""
    scheme = re.match(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):", href)
    if scheme is not None:  # nh3 checks the scheme too; a javascript: address never gets this far
        return href if scheme.group(1).lower() in URL_SCHEMES else None
    path, hash_, fragment = href.partition("#")
    if not path or path.startswith("//"):
        return href
    if path.startswith("/articles/"):
        candidate = unquote(path[len("/articles/"):]).rstrip("/")
    elif "/" not in path and ":" not in path and "?" not in path and not path.startswith("."):
        candidate = unquote(path)
    else:
        return href  # another page of the site
    if candidate not in known:
        return None
    return url_for("articles.article", article_id=candidate) + hash_ + fragment


def render_body(body: str, known) -> Markup:
    """The answer's Markdown as safe HTML, links between articles resolved against `known` ids."""
    html = markdown.markdown(body, extensions=MARKDOWN_EXTENSIONS, output_format="html")

    def attribute_filter(tag, attribute, value):
        if tag == "a" and attribute == "href":
            return _link_target(value.strip(), known)
        return value

    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                      clean_content_tags={"script", "style"}, attribute_filter=attribute_filter,
                      link_rel=None, strip_comments=True)
    return Markup(clean)


def _translation(searcher, number: int, article: dict) -> dict | None:
    """The same topic in the other language, if there is one."""
    topic = searcher.build.topic
    for other, other_topic in enumerate(topic):
        candidate = searcher.articles[other]
        if other != number and other_topic == topic[number] and candidate["lang"] != article["lang"]:
            return _public(candidate)
    return None


def _related(searcher, number: int) -> list[dict]:
    """The articles nearest in meaning to this one's question: other topics only, each once, in
    the visitor's language when it has a copy in it.

    One scoring of the title (no snippets are needed), every article in rank order."""
    build = searcher.build
    try:
        _lang, scores, _confidence, _rows = searcher.score(clean_query(searcher.articles[number]["title"]))
    except KBError:  # a title the search cannot take: the page goes out without related articles
        return []
    order = one_per_topic(np.argsort(-scores.rank, kind="stable"), build.topic, build.article_langs, language())
    return [_public(searcher.articles[i]) for i in order if build.topic[i] != build.topic[number]][:RELATED]


def _article_id(article_id: str) -> str:
    """The id from the address, or the 404 page for what cannot be one (no database or index look-up)."""
    if (len(article_id) > MAX_ID_CHARS or not ID_PATTERN.match(article_id)
            or unprintable(article_id) is not None):
        raise NotFound()
    return article_id


def _voted() -> dict:
    """The votes this visitor gave, by article id (their session): the page thanks them instead of asking again."""
    return session.get("votes", {})


@bp.get("/<article_id>")
def article(article_id):
    article_id = _article_id(article_id)
    searcher = _searcher()
    found = searcher.by_id.get(article_id)
    if found is None:
        raise NotFound()
    number = searcher.build.number[article_id]
    public = _public(found)
    translation = _translation(searcher, number, found)
    # The switch goes to the same topic in the other language when there is a copy in it.
    switch = switch_link(url_for("articles.article", article_id=translation["id"]) if translation else None)
    question = request.args.get("q", "")[:500]
    if question.strip():  # came from the results: the question's row learns which article was opened
        pos = request.args.get("pos", "")
        log_event("opened", visitor=visitor(), article_id=article_id, text=question,
                  qid=request.args.get("qid") or None, position=int(pos) if pos.isdigit() and len(pos) <= 2 else None)
    form = VoteForm(formdata=None, q=question, pos=request.args.get("pos", "")[:2])
    return render_template(
        "articles/article.html", article=public, form=form, question=question, voted=_voted().get(article_id),
        body=render_body(public["body"], searcher.by_id), switch=switch,
        alternate=translation, translation=translation if translation and translation["lang"] == language() else None,
        related=_related(searcher, number))


@bp.post("/<article_id>/vote")
def vote(article_id):
    """"Was this helpful?": stored with the question that led here, then the page again with thanks."""
    article_id = _article_id(article_id)
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
