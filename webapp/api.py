"""JSON API, version 1. Every answer is JSON; every error has the shape in webapp.errors."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from kb.errors import NotFound, QueryError
from kb.search.searcher import clean_query
from webapp.services import services

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def searcher():
    return services().searcher


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise QueryError(f"`{name}` must be a whole number, not {raw!r}") from None


@bp.get("/search")
def search():
    query = request.args.get("q")
    if query is None:
        raise QueryError("missing `q`: pass the question as ?q=...")
    clean_query(query)  # a bad question is a 400 even before the index is loaded
    response = searcher().search(query, lang=request.args.get("lang") or None, limit=_int_arg("limit", 5))
    return jsonify(response.to_dict())


@bp.get("/articles/<path:article_id>")
def article(article_id):
    found = searcher().by_id.get(article_id)
    if found is None:
        raise NotFound(f"no article with id {article_id!r}")
    public = {k: found[k] for k in ("id", "title", "lang", "questions", "tags", "body")}
    return jsonify(public)


@bp.get("/health")
def health():
    s = searcher()
    return jsonify({"status": "ok", "articles": len(s.articles), "built_at": s.manifest["built_at"]})
