"""Logging in and out, and the account page where staff change their own password.

Failed logins are counted (the `limits` library, Flask-Limiter's engine, over a moving window) so
that guessing is slow without letting a stranger lock anyone out:
- a browser with the account's device cookie (webapp.staff.device_cookies: it signed in to that
  account before) is counted on its own, and nothing done elsewhere stops it;
- any other browser is counted per account and client address, per client address across accounts,
  and per account across the addresses of all such browsers (a guess spread over many addresses).
Past a limit the login answers 429 with Retry-After until the oldest failure leaves the window,
whether or not the password is then right."""
from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from kb.desk.operators import authenticate, change_password, end_sessions
from kb.errors import KBError, NotAllowed
from webapp.core.auth import ANYONE, STAFF, allow, home_url
from webapp.staff import device_cookies
from webapp.staff.forms import LoginForm, PasswordForm, refused_password
from webapp.core.redirects import local_path
from webapp.core.services import services

bp = Blueprint("login", __name__)


class LoginLimits:
    """Failed-login counters for one app (see the module's docstring)."""

    def __init__(self, settings, storage_uri: str = "memory://"):
        self.memory = MovingWindowRateLimiter(storage_from_string("memory://"))
        # Redis (KB_REDIS_URL) when set: the counts then hold across workers and hosts. A second at
        # most per call; while it does not answer, this process counts in memory (`_call`).
        self.shared = None if storage_uri == "memory://" else MovingWindowRateLimiter(
            storage_from_string(storage_uri, socket_connect_timeout=1, socket_timeout=1))
        self.per_account = parse(settings.login_limit_account)
        self.per_address = parse(settings.login_limit_address)
        self.untrusted = parse(settings.login_limit_untrusted)

    def _call(self, method: str, *args):
        if self.shared is not None:
            try:
                return getattr(self.shared, method)(*args)
            except Exception:  # noqa: BLE001 (an unreachable Redis must not turn a login into a 500)
                current_app.logger.warning("the rate-limit store does not answer: counting logins in memory")
        return getattr(self.memory, method)(*args)

    def _keys(self, login: str, address: str, device: str | None):
        login = login.strip().lower()[:80]
        if device is not None:
            return ((self.per_account, "login-device", login, device),)
        return ((self.per_account, "login-account", login, address),
                (self.per_address, "login-address", address),
                (self.untrusted, "login-untrusted", login))

    def retry_after(self, login: str, address: str, device: str | None = None) -> int | None:
        """Seconds until another try is allowed, or None while tries are left."""
        waits = []
        for limit, *key in self._keys(login, address, device):
            if not self._call("test", limit, *key):
                reset_at = self._call("get_window_stats", limit, *key).reset_time
                waits.append(max(1, int(reset_at - time.time()) + 1))
        return max(waits) if waits else None

    def failed(self, login: str, address: str, device: str | None = None) -> None:
        for limit, *key in self._keys(login, address, device):
            self._call("hit", limit, *key)


def limits() -> LoginLimits:
    return current_app.extensions["kb_login_limits"]


def register(app, settings, storage_uri: str = "memory://") -> None:
    app.extensions["kb_login_limits"] = LoginLimits(settings, storage_uri)
    app.register_blueprint(bp)


def _locked(seconds: int):
    minutes = max(1, round(seconds / 60))
    error = TooManyRequests(_("Too many failed attempts. Try again in %(minutes)d min.", minutes=minutes))
    error.retry_after = seconds  # werkzeug adds the Retry-After header
    return error


@bp.route("/login", methods=["GET", "POST"])
@allow(ANYONE)
def login():
    target = local_path(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target or home_url(), code=303)
    form = LoginForm()
    if form.is_submitted():
        address = request.remote_addr or "?"
        typed = form.login.data or ""
        device = device_cookies.nonce_for(typed)
        wait = limits().retry_after(typed, address, device)
        if wait is not None:
            raise _locked(wait)
        if form.validate():
            found = authenticate(services().database, form.login.data, form.password.data)
            if found is not None:
                from webapp.core.auth import Staff

                login_user(Staff(found))
                response = redirect(target or home_url(), code=303)
                device_cookies.remember(response, found["login"])
                return response
            limits().failed(typed, address, device)
            form.password.errors.append(_("The login or the password is not right."))
        return render_template("staff/login.html", form=form, next=target), 400
    return render_template("staff/login.html", form=form, next=target)


@bp.post("/logout")
@allow(STAFF)
def logout():
    end_sessions(services().database, current_user.get_id())  # copies of the cookie end too
    logout_user()
    flash(_("You have signed out."))
    return redirect(url_for("login.login"), code=303)


@bp.route("/account", methods=["GET", "POST"])
@allow(STAFF)
def account():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            changed = change_password(services().database, current_user.login, form.current.data, form.new.data)
        except NotAllowed:
            form.current.errors.append(_("The current password is not right."))
        except KBError as exc:
            if not refused_password(form.new, exc):
                form.new.errors.append(exc.message)
        else:
            from webapp.core.auth import Staff

            login_user(Staff(changed))  # the session id follows the new password; other sessions end
            flash(_("Your password has been changed."))
            return redirect(url_for("login.account"), code=303)
        return render_template("staff/account.html", form=form), 400
    status = 400 if form.is_submitted() else 200
    return render_template("staff/account.html", form=form), status
