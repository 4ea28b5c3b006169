"""The query log as the pages feed it: who asks (a salted hash of a random id kept in the browser's
session, never an address), which question it is (`qid`: the page's id, the same for every
keystroke of one question), and the events queued for kb.analytics without ever breaking a page.
The help centre, the articles, the console and the API all log through here.
"""
from __future__ import annotations

import re
import secrets

from flask import current_app, request, session

from kb.analytics.log import network_ref, visitor_ref
from webapp.core.services import services

QID = re.compile(r"[A-Za-z0-9_-]{1,40}")


def visitor() -> str:
    """This browser's reference in the query log: an HMAC, salted with the secret key, of a random
    id kept in its session (never an IP address or an e-mail)."""
    ident = session.get("visitor")
    if not isinstance(ident, str) or not ident:
        ident = session["visitor"] = secrets.token_urlsafe(16)
    return visitor_ref(current_app.secret_key, ident)


def network() -> str:
    """Where this request comes from, as the query log keeps it: an HMAC of the address (behind
    KB_TRUSTED_PROXIES, the client's), salted with the secret key. A cookie is free to throw away;
    an address is not, so the gap finder counts people by both."""
    return network_ref(current_app.secret_key, request.remote_addr or "?")


def question_id() -> str:
    """The page's id of this question (`qid`: the same for every keystroke of one question), or a new one."""
    qid = request.args.get("qid", "")
    return qid if QID.fullmatch(qid) else secrets.token_hex(8)


def log_question(query: str, response, source: str, who: str, qid: str | None = None) -> None:
    """Queue the question and what the search answered (masked and written off the request)."""
    try:
        services().questions.asked(
            visitor=who, network=network(), qid=qid or question_id(), text=query, source=source, lang=response.lang,
            results=[(r.id, r.confidence) for r in response.results], no_match=response.no_match,
            confidence=response.confidence)
    except Exception:  # noqa: BLE001 (the log never breaks a search)
        current_app.logger.exception("query log")


def log_event(kind: str, **values) -> None:
    """An open, a vote or a ticket for the visitor's question (queued, never raising)."""
    try:
        getattr(services().questions, kind)(**values)
    except Exception:  # noqa: BLE001
        current_app.logger.exception("query log")
