"""Rate limits per client on what a script would repeat: searches, new tickets, votes (Flask-Limiter).

A visitor is counted by the client address; a signed-in member of staff or an API token by the
account or token, with KB_RATE_STAFF instead (operators search all day, and a whole office may share
one address). The counters live in Redis when KB_REDIS_URL is set, so the limits hold across worker
processes and hosts, else in each process's memory; if Redis stops answering they go on in memory
rather than take search down. Past a limit the answer is a 429 in the one error shape
(webapp.errors) with Retry-After. Logins keep their own failed-login limits (webapp.login_pages),
counted in the same store.

The limits are applied here, by endpoint, to the views the blueprints registered: the one table of
what is limited, and the blueprints stay free of it.
"""
from __future__ import annotations

import functools
import math
import time

from flask import Response, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from markupsafe import escape
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from kb.config import Settings
from webapp.errors import TEXTS

# endpoint -> (budget, the methods it counts). One budget is shared by the endpoints that name it:
# a page search and the as-you-type results spend the same searches.
LIMITED = {
    "help.search": ("search", None),
    "help.results": ("search", None),
    "api.search": ("search", None),
    "console.index": ("search", None),
    "console.results": ("search", None),
    "help.ask": ("tickets", ["POST"]),
    "tickets_api.create": ("tickets", None),
    # What a customer adds to a request later (details, a rating) spends the same budget: each is
    # a write into the desk from outside.
    "tickets_api.add_details": ("tickets", None),
    "tickets_api.rate": ("tickets", None),
    "status_pages.add_details": ("tickets", None),
    "status_pages.rate": ("tickets", None),
    "articles.vote": ("votes", None),
}
WHAT = {"search": "searches", "tickets": "questions sent", "votes": "votes"}
# The results fragments fetched as one types: their 429 is a line in the results, not a whole page inside them.
FRAGMENTS = {"help.results", "console.results"}


def storage_uri(settings: Settings) -> str:
    return settings.redis_url or "memory://"


def client() -> str:
    """Who is counted: the account or API token of staff, else the client's address (the proxy's
    X-Forwarded-For only with KB_TRUSTED_PROXIES, through ProxyFix)."""
    if current_user.is_authenticated:
        return f"staff:{current_user.get_id()}" if current_user.via_token else f"staff:{current_user.login}"
    return f"addr:{request.remote_addr or '?'}"


def _rate(settings: Settings, budget: str):
    visitors = getattr(settings, f"rate_{budget}")
    return lambda: settings.rate_staff if current_user.is_authenticated else visitors


def _message(budget: str):
    return lambda: (f"too many {WHAT[budget]} from this client; try again in the number of seconds "
                    "given by the Retry-After header")


def _retry_after(limiter: Limiter) -> int:
    breached = limiter.current_limit
    if breached is None:
        return 60
    return max(1, math.ceil(breached.window.reset_time - time.time()))


def _fragment() -> Response:
    title, text = TEXTS[429]  # the 429 page's own words, translated
    return Response(f'<p class="error" role="alert">{escape(str(title))}. {escape(str(text))}</p>', mimetype="text/html")


def _answering_429(limiter: Limiter, view):
    """Flask-Limiter's RateLimitExceeded turned into werkzeug's TooManyRequests with a Retry-After,
    which webapp.errors answers in the one shape (JSON under /api/, the page elsewhere)."""
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except RateLimitExceeded as exc:
            seconds = _retry_after(limiter)
            if request.endpoint in FRAGMENTS:
                return _fragment(), 429, {"Retry-After": str(seconds)}
            error = TooManyRequests(exc.description)
            error.retry_after = seconds
            raise error from None

    return guarded


def register(app, settings: Settings) -> Limiter:
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)
    # A Redis that hangs must not hang the searches: a second at most, then memory (in_memory_fallback).
    options = {"socket_connect_timeout": 1, "socket_timeout": 1} if settings.redis_url else {}
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "kb-rate")
    limiter = Limiter(client, app=app, storage_uri=storage_uri(settings), storage_options=options,
                      strategy="moving-window", in_memory_fallback_enabled=True, headers_enabled=False)
    app.extensions["kb_limiter"] = limiter
    return limiter


def apply(app, limiter: Limiter, settings: Settings) -> None:
    """Wrap the limited views (call after every blueprint is registered)."""
    for endpoint, (budget, methods) in LIMITED.items():
        view = app.view_functions[endpoint]
        limited = limiter.shared_limit(_rate(settings, budget), scope=budget, methods=methods,
                                       error_message=_message(budget))(view)
        app.view_functions[endpoint] = _answering_429(limiter, limited)
