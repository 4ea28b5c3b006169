"""The Flask application: help page, ticket status page and JSON API over the same library as the
`kb` command. `create_app` is cheap: it reads no environment and loads no model (`kb serve` warms
the services up before it serves)."""
from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from kb.app.services import Services
from kb.config import Settings, secret_key
from webapp import (
    admin_pages,
    api,
    article_pages,
    auth,
    console_pages,
    desk_pages,
    editor_pages,
    errors,
    help_pages,
    i18n,
    lead_pages,
    login_pages,
    rate_limits,
    security,
    status_pages,
    tickets_api,
)


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
    i18n.register(app, settings.timezone)
    # Every form posted from a page carries a CSRF token; the JSON API is for programs and has none.
    csrf = CSRFProtect(app)
    csrf.exempt(tickets_api.bp)
    # The question form checks its own token (a FlaskForm field), so an expired one shows the form
    # again with everything the visitor typed, instead of an error page that loses it.
    csrf.exempt(help_pages.ask)
    errors.register(app)
    security.register(app, settings.public_url)
    auth.register(app)
    login_pages.register(app, settings, rate_limits.storage_uri(settings))
    limiter = rate_limits.register(app, settings)
    app.register_blueprint(api.bp)
    app.register_blueprint(help_pages.bp)
    app.register_blueprint(tickets_api.bp)
    app.register_blueprint(status_pages.bp)
    app.register_blueprint(article_pages.bp)
    for staff in (console_pages, desk_pages, lead_pages, editor_pages, admin_pages):
        app.register_blueprint(staff.bp)
    rate_limits.apply(app, limiter, settings)
    return app
