"""Rate limits per client on what a script would repeat: searches, new tickets, votes (Flask-Limiter).

A visitor is counted by the client address; a signed-in member of staff or an API token by the
account or token, with KB_RATE_STAFF instead (operators search all day, and a whole office may share
one address). The counters live in Redis when KB_REDIS_URL is set, so the limits hold across worker
processes and hosts, else in each process's memory; if Redis stops answering they go on in memory
rather than take search down. Past a limit the answer is a 429 in the one error shape
(webapp.core.errors) with Retry-After. Logins keep their own failed-login limits (webapp.staff.login),
counted in the same store.

Each limited view says so itself, as it says who may use it: `@limit("search")` under its route,
beside `allow(...)`. tests/test_rate_limits.py walks every route and fails on one that runs a search
without the search limit.
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
from webapp.core.errors import TEXTS, retry_text

# The budgets: one is shared by the views that name it (a page search and the as-you-type results
# spend the same searches). What a customer adds to a request later (details, a rating) spends the
# tickets budget too: each is a write into the desk from outside.
WHAT = {"search": "searches", "tickets": "questions sent", "votes": "votes"}
# A write counts only once it is written: a form sent back with what to fix (a 4xx) spends nothing, so a
# visitor who mistyped an e-mail address three times still has their ten questions. Every search
# counts, answered or not: that budget guards the CPU.
COUNTED_WHEN_WRITTEN = {"tickets", "votes"}


def limit(budget: str, *, methods: list[str] | None = None, fragment: bool = False):
    """Mark a view with the budget it spends (on `methods` only, when given). A `fragment` is fetched
    by a page's script and drawn inside the page: its 429 is a line there, not a whole page."""
    if budget not in WHAT:
        raise ValueError(f"unknown budget {budget!r}")

    def mark(view):
        view.kb_limit = {"budget": budget, "methods": methods, "fragment": fragment}
        return view

    return mark


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


def _written(response: Response) -> bool:
    return response.status_code < 400


def _retry_after(limiter: Limiter) -> int:
    breached = limiter.current_limit
    if breached is None:
        return 60
    return max(1, math.ceil(breached.window.reset_time - time.time()))


def _fragment(seconds: int) -> Response:
    title, _text = TEXTS[429]  # the 429 page's own words, translated
    return Response(f'<p class="error" role="alert">{escape(str(title))}. {escape(retry_text(seconds))}</p>',
                    mimetype="text/html")


def _answering_429(limiter: Limiter, view, marked: dict):
    """Flask-Limiter's RateLimitExceeded turned into werkzeug's TooManyRequests with a Retry-After,
    which webapp.core.errors answers in the one shape (JSON under /api/, the page elsewhere)."""
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except RateLimitExceeded:
            seconds = _retry_after(limiter)
            if marked["fragment"]:
                return _fragment(seconds), 429, {"Retry-After": str(seconds)}
            budget = WHAT[marked["budget"]]
            error = TooManyRequests(f"too many {budget} from this client; try again in {seconds} s "
                                    "(the Retry-After header)")
            error.retry_after = seconds
            raise error from None

    return guarded


def register(app, settings: Settings) -> Limiter:
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    # A Redis that hangs must not hang the searches: a second at most, then memory (in_memory_fallback).
    options = {"socket_connect_timeout": 1, "socket_timeout": 1} if settings.redis_url else {}
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "kb-rate")
    limiter = Limiter(client, app=app, storage_uri=storage_uri(settings), storage_options=options,
                      strategy="moving-window", in_memory_fallback_enabled=True, headers_enabled=False)
    app.extensions["kb_limiter"] = limiter
    return limiter


def apply(app, limiter: Limiter, settings: Settings) -> None:
    """Wrap the views marked with `limit` (call after every blueprint is registered)."""
    for endpoint, view in list(app.view_functions.items()):
        marked = getattr(view, "kb_limit", None)
        if marked is None:
            continue
        budget = marked["budget"]
        limited = limiter.shared_limit(_rate(settings, budget), scope=budget, methods=marked["methods"],
                                       deduct_when=_written if budget in COUNTED_WHEN_WRITTEN else None)(view)
        app.view_functions[endpoint] = _answering_429(limiter, limited, marked)
