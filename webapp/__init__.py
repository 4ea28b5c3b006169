"""The Flask application: help page and JSON API over the same library as the `kb` command."""
from __future__ import annotations

import os

from flask import Flask

from kb.config import Settings
from webapp import api, errors, help_pages, status_pages, tickets_api


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        KB_INDEX=os.environ.get("KB_INDEX", "index"),
        KB_ARTICLES=os.environ.get("KB_ARTICLES", "articles"),
        KB_DATABASE_URL=Settings().database_url,  # opened on the first ticket request, or by `kb serve`
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.config.update(config or {})
    app.json.ensure_ascii = False
    errors.register(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(help_pages.bp)
    app.register_blueprint(tickets_api.bp)
    app.register_blueprint(status_pages.bp)
    api.warm_up(app)
    return app
