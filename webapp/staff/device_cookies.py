"""Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser that
has signed in to an account keeps a failed-login count of its own for that account, so failures
from anywhere else cannot lock its owner out.

The cookie holds, for the last few accounts signed in from this browser, the login and a random
nonce, signed with the app's secret key (itsdangerous, as Flask's session cookie). It proves only
that this browser once knew the password: it signs nobody in."""
from __future__ import annotations

import secrets

from flask import current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer

COOKIE = "kb_device"
AGE = 180 * 24 * 3600
KEPT = 5  # accounts remembered per browser (a desk shared by a few operators)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="kb-device-cookie")


def _accounts() -> dict[str, str]:
    """{login: nonce} from this request's cookie; empty when absent, forged or older than AGE."""
    try:
        found = _serializer().loads(request.cookies.get(COOKIE, ""), max_age=AGE)
    except BadData:
        return {}
    return found if isinstance(found, dict) else {}


def nonce_for(login: str) -> str | None:
    """The nonce of this browser's device cookie for `login`, or None for a browser not trusted with it."""
    nonce = _accounts().get((login or "").strip().lower())
    return nonce if isinstance(nonce, str) else None


def remember(response, login: str) -> None:
    """After a successful sign-in: a new nonce for `login`, the cookie renewed for AGE."""
    accounts = {name: nonce for name, nonce in _accounts().items() if name != login}
    accounts[login] = secrets.token_urlsafe(16)
    kept = dict(list(accounts.items())[-KEPT:])
    response.set_cookie(COOKIE, _serializer().dumps(kept), max_age=AGE, path="/login", httponly=True,
                        samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
