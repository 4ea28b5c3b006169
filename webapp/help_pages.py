"""The customer help page: a search box that answers as the visitor types (static/help.js over the
JSON API) and, without JavaScript, `/search?q=` rendered on the server from the same search."""
from flask import Blueprint, redirect, render_template, request, url_for

from webapp.services import services

bp = Blueprint("help", __name__)


@bp.get("/")
def index():
    return render_template("help/index.html")


@bp.get("/search")
def search():
    query = request.args.get("q", "")
    if not query.strip():
        return redirect(url_for("help.index"))
    response = services().searcher.search(query, limit=10)
    return render_template("help/search.html", query=query, response=response)
