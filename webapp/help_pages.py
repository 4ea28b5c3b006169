"""The customer help page: a search box over the JSON API."""
from flask import Blueprint, render_template

bp = Blueprint("help", __name__)


@bp.get("/")
def index():
    return render_template("help/index.html")
