"""The API's search: a question's answers, one article, and whether the service can answer.

Each route is documented with its models (webapp.api.schemas), in the document of webapp.api.document."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, session
from flask_login import current_user

from kb.analytics.log import visitor_ref
from kb.errors import NotFound
from webapp.api.schemas import (
    ANONYMOUS_OR_BEARER,
    Article,
    Health,
    SearchAnswer,
    SearchQuery,
    operation,
)
from webapp.core.auth import ANYONE, DESK, allow
from webapp.core.question_log import log_question
from webapp.core.rate_limits import limit
from webapp.core.services import services

bp = allow(ANYONE)(Blueprint("search", __name__))


def searcher():
    return services().searcher


def _caller() -> str:
    """The query log's reference of who calls: a salted hash of the token's name, of the browser's
    session id, or `anonymous` (never an address)."""
    secret = current_app.secret_key
    if current_user.via_token:
        return "token:" + visitor_ref(secret, f"token:{current_user.name}")
    if current_user.login:
        return f"operator:{current_user.login}"
    ident = session.get("visitor")
    return visitor_ref(secret, ident) if isinstance(ident, str) and ident else "anonymous"


@bp.get("/search")
@limit("search")
@operation({200: SearchAnswer}, (400, 401, 429, 503, 500), query=SearchQuery, tag="search",
           security=ANONYMOUS_OR_BEARER)
def search(params):
    """Search the knowledge base

    The best answers to a question, best first; `no_match` says whether any of them answers it. With an
    operator, lead or admin token (`Authorization: Bearer <token>`) each result also has its
    `operator_notes`."""
    s = searcher()  # a bad question was a 400 before this, even without an index
    response = s.search(params.q, lang=params.lang or None, limit=params.limit)
    log_question(params.q, response, "api", _caller())
    answer = response.to_dict()
    if current_user.role in DESK:  # the support team (a token or a login); never visitors or editors
        for result in answer["results"]:
            result["operator_notes"] = s.by_id.get(result["id"], {}).get("operator_notes") or ""
    return jsonify(answer)


@bp.get("/articles/<path:article_id>")
@operation({200: Article}, (404, 503, 500), tag="search", path_parameters={"article_id": "the article's id"})
def article(article_id):
    """One article

    The public part of an article, by the id a search result gives."""
    found = searcher().by_id.get(article_id)
    if found is None:
        raise NotFound(f"no article with id {article_id!r}")
    public = {k: found[k] for k in ("id", "title", "lang", "questions", "tags", "body")}
    return jsonify(public)


@bp.get("/health")
@operation({200: Health}, (503, 500), tag="search")
def health():
    """Whether the service can answer

    A 503 until the search index is built. `degraded` (still a 200: search answers) when the
    ticket database does not, with `database` saying why; tickets answer 503 meanwhile; or when
    `current` points at a build that did not load, with `index` saying why (the last good build
    answers meanwhile)."""
    from kb.search.searcher import skipped_build

    s = searcher()
    problem = services().database_problem()
    skipped = skipped_build(services().settings.index_dir)
    return jsonify({"status": "degraded" if problem or skipped else "ok", "articles": len(s.articles),
                    "built_at": s.manifest["built_at"], "database": problem or "ok", "index": skipped or "ok"})
