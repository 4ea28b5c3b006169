"""Errors: under /api/ one JSON shape, {"error": {"status", "code", "message"}}; everywhere else an
HTML page in the visitor's language (Russian or English, from Accept-Language; English by default).

The handlers never fail themselves: text that cannot be encoded (a lone surrogate from a path or a
JSON value) is escaped, and if the page cannot be rendered a plain-text answer goes out instead.
A 500 shows neither the exception nor a traceback; it is logged.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Response, jsonify, render_template, request
from flask_babel import format_timedelta, gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from kb.errors import KBError, Unavailable
from webapp.core.i18n import language, shop_time

RETRY_AFTER = 5  # seconds, on a 503 of a part that cannot be reached (the ticket database)

# The title and explanation of each error page, in the visitor's language (webapp/translations).
TEXTS = {
    400: (_l("The request could not be understood"), _l("Something in what was sent is wrong. Check it and try again.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("There is no page at this address. If you followed a link to your request, "
                                   "check that it was copied whole.")),
    405: (_l("This action is not available here"), _l("This address does not accept this kind of request.")),
    409: (_l("This has already changed"), _l("Someone changed this first. Reload the page and try again.")),
    401: (_l("Please sign in"), _l("This page is for the support team. Sign in first.")),
    429: (_l("Too many attempts"), _l("Wait a little and try again.")),
    413: (_l("Too much data"), _l("What was sent is too large. Send less text and try again.")),
    500: (_l("Something went wrong on our side"), _l("We have logged the error and will look into it. "
                                                     "Please try again in a few minutes.")),
    503: (_l("The service is not ready yet"), _l("It is being prepared or updated. Please try again in a few minutes.")),
}


def printable(text) -> str:
    """`text` as it can always be encoded: a lone surrogate becomes its escape, `\\ud800`."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


def error_response(status: int, code: str, message: str):
    response = jsonify({"error": {"status": status, "code": code, "message": printable(message)}})
    response.status_code = status
    return response


def retry_text(seconds: int) -> str:
    """When to try again, in the visitor's language: "You can try again in 36 minutes, at 14:05 +0300."
    (the clock in the shop's time zone, which it names)."""
    wait = timedelta(seconds=seconds)
    return gettext("You can try again %(wait)s, at %(time)s.",
                   wait=format_timedelta(wait, threshold=1, add_direction=True),
                   time=shop_time(datetime.now(timezone.utc) + wait, "HH:mm z"))


def error_page(status: int, detail: str | None = None, retry_after: int | None = None):
    """The HTML error page. `detail`, the product's own message, is English and says what to fix: it is
    shown to English visitors and on a 4xx only (a 5xx's message may name the server's folders).
    `retry_after` (seconds) says when to try again, in every language."""
    lang = language()
    try:
        title, text = TEXTS.get(status) or TEXTS[500 if status >= 500 else 400]
        html = render_template("errors/error.html", status=status, title=str(title), text=str(text),
                               retry=retry_text(retry_after) if retry_after else None,
                               detail=printable(detail) if detail and lang == "en" and status < 500 else None)
    except Exception:  # noqa: BLE001 (a broken template must not turn an error into a crash)
        title, html = "Error", None
    if html is None:
        return Response(f"{status} {title}\n", status=status, mimetype="text/plain")
    return Response(html, status=status, mimetype="text/html")


def _seconds(retry_after) -> int | None:
    """werkzeug's retry_after (seconds, or a datetime) as seconds from now."""
    if isinstance(retry_after, datetime):
        return max(1, int((retry_after - datetime.now(timezone.utc)).total_seconds()))
    return int(retry_after) if isinstance(retry_after, (int, float)) and retry_after > 0 else None


def _is_api() -> bool:
    return request.path.startswith("/api/")


def register(app):
    @app.errorhandler(KBError)
    def kb_error(exc: KBError):
        if _is_api():
            response = error_response(exc.status, exc.code, exc.message)
            if exc.status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        else:
            response = error_page(exc.status, exc.message)
        if isinstance(exc, Unavailable):
            response.headers["Retry-After"] = str(RETRY_AFTER)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if _is_api():
            code = (exc.name or "error").lower().replace(" ", "_")
            response = error_response(status, code, exc.description or exc.name)
        else:
            response = error_page(status, retry_after=_seconds(getattr(exc, "retry_after", None)))
        for name, value in exc.get_headers():  # Allow on a 405, Retry-After, ...
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        if _is_api():
            return error_response(500, "internal_error", "something went wrong on our side; it has been logged")
        return error_page(500)
