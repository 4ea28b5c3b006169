"""The Flask application: help page, ticket status page and JSON API over the same library as the
`kb` command. `create_app` is cheap: it reads no environment and loads no model (`kb serve` warms
the services up before it serves)."""
from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from kb.app.services import Services
from kb.config import Settings, secret_key
from webapp import api
from webapp.core import auth, brand, errors, i18n, rate_limits, routing, security
from webapp.public import articles, help, status
from webapp.staff import admin, console, desk, editor, lead, login


def create_app(settings: Settings, config: dict | None = None, *, services: Services | None = None) -> Flask:
    app = Flask(__name__)
    # Flask's own defaults exist for the cookie settings, so they are set here, before `config`.
    app.config.update(JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=1024 * 1024, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=settings.secure_cookies, REMEMBER_COOKIE_SECURE=settings.secure_cookies)
    app.config.update(config or {})
    app.json.ensure_ascii = False
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(settings)  # signs the session and the forms' CSRF tokens
    app.extensions["kb"] = services or Services(settings)
    routing.register(app)  # before any blueprint: its rules are compiled with these converters
    i18n.register(app, settings.timezone)
    brand.register(app, settings)
    # Every form posted from a page carries a CSRF token; the JSON API is for programs and has none.
    csrf = CSRFProtect(app)
    csrf.exempt(api.tickets.bp)
    # The question form checks its own token (a FlaskForm field), so an expired one shows the form
    # again with everything the visitor typed, instead of an error page that loses it.
    csrf.exempt(help.ask)
    errors.register(app)
    security.register(app, settings.public_url)
    auth.register(app)
    login.register(app, settings, rate_limits.storage_uri(settings))
    limiter = rate_limits.register(app, settings)
    for part in (api, help, status, articles, console, desk, lead, editor, admin):
        app.register_blueprint(part.bp)
    rate_limits.apply(app, limiter, settings)
    return app
