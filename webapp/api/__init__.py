"""The JSON API, version 1, for programs: every answer is JSON, every error has the one shape of
webapp.core.errors. One blueprint at /api/v1 holds the search, the tickets and the document."""
from __future__ import annotations

from flask import Blueprint

from webapp.api import document, search, tickets
from webapp.core.auth import ANYONE, allow

bp = allow(ANYONE)(Blueprint("api", __name__, url_prefix="/api/v1"))
for part in (search, tickets, document):
    bp.register_blueprint(part.bp)
