"""Who is asking, and may they: logins (Flask-Login sessions), API tokens (`Authorization: Bearer`)
and the role rule that every route carries.

Every view, or the blueprint it belongs to, is marked with `allow(...)`; a request to a route with no
mark is refused (403), so a route added without a rule cannot be reached by accident, and
tests/test_access.py walks every route with every role.
"""
from __future__ import annotations

from flask import current_app, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user

from kb.desk.operators import operator_by_session
from kb.desk.tokens import token_role
from kb.errors import NotAllowed, Unauthorized
from webapp.core.redirects import local_path
from webapp.core.services import services

ROLES = ("operator", "editor", "lead", "admin")
ANYONE = frozenset({"anonymous", *ROLES})
STAFF = frozenset(ROLES)
DESK = frozenset({"operator", "lead", "admin"})  # who works tickets (editors write articles)
LEADS = frozenset({"lead", "admin"})
EDITORS = frozenset({"editor", "admin"})  # who acts on the gap suggestions (writes articles)
ADMINS = frozenset({"admin"})
ROLE_NAMES = {"anonymous": _l("visitor"), "operator": _l("operator"), "editor": _l("editor"), "lead": _l("lead"),
              "admin": _l("admin")}
# Where each role lands after logging in.
HOME = {"operator": "console.index", "lead": "lead.now", "admin": "console.index",
        "editor": "editor.gaps"}


class Staff(UserMixin):
    """A logged-in operator, editor, lead or admin (from the session), or an integration (a token)."""

    def __init__(self, record: dict, *, token: bool = False):
        self.record = record
        self.role = record["role"]
        self.login = record.get("login")  # None for a token: it cannot own tickets
        self.name = record["name"]
        self.tier = record.get("tier")
        self.via_token = token

    def get_id(self) -> str:
        return self.record["session_id"]


class Anonymous(AnonymousUserMixin):
    role = "anonymous"
    login = name = tier = None
    via_token = False


def allow(*roles):
    """Mark a view function or a whole blueprint with the roles that may use it."""
    allowed = frozenset().union(*[r if isinstance(r, frozenset) else {r} for r in roles])
    unknown = allowed - ANYONE
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def mark(target):
        target.kb_roles = allowed
        return target

    return mark


def rule_of(app, endpoint: str) -> frozenset | None:
    """The roles that may reach `endpoint`: the view's own mark, else its blueprint's; None if neither."""
    view = app.view_functions.get(endpoint)
    if hasattr(view, "kb_roles"):
        return view.kb_roles
    if endpoint == "static":
        return ANYONE
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0]) if "." in endpoint else None
    return getattr(blueprint, "kb_roles", None)


def is_staff() -> bool:
    return current_user.is_authenticated


def home_url() -> str:
    return url_for(HOME.get(current_user.role, "help.index"))


PROXY_SCHEMES = {"basic", "digest", "negotiate"}


def _bearer() -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None without the header, or with one of
    the schemes a proxy in front may ask browsers for (Basic, Digest, Negotiate: not ours to judge).
    Any other form (`Bearer` alone, a bare token, `Token ...`) is refused (401), not taken for an
    anonymous call the caller did not mean."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() in PROXY_SCHEMES:
        return None
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("the Authorization header must be `Bearer <token>`")
    return value.strip()


def register(app) -> None:
    manager = LoginManager(app)
    manager.anonymous_user = Anonymous
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(session_id):
        found = operator_by_session(services().database, session_id)
        return Staff(found) if found else None

    @manager.request_loader
    def load_from_token(req):
        # Tokens are for programs calling the API; pages go by the login session only.
        if not req.path.startswith("/api/") or g.get("kb_token_refused"):
            return None  # once refused, the rest of this request (its 401 answer) is anonymous
        try:
            token = _bearer()
            found = None if token is None else token_role(services().database, token)
            if token is not None and found is None:
                raise Unauthorized("the API token is not valid or has been revoked")
        except Unauthorized:
            g.kb_token_refused = True
            raise
        if found is None:
            return None
        return Staff({"session_id": f"token.{found['id']}", "role": found["role"],
                      "name": found["name"]}, token=True)

    @manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            raise Unauthorized("this needs an API token: send `Authorization: Bearer <token>`")
        # Back to this page after logging in, unless its address could not go into a header.
        return redirect(url_for("login.login", next=local_path(request.full_path.rstrip("?"))), code=303)

    @app.before_request
    def check_role():
        if request.endpoint is None:
            return None  # no such route: the 404 says so
        allowed = rule_of(app, request.endpoint)
        if allowed is None:
            current_app.logger.error("route %s has no access rule: refused", request.endpoint)
            raise NotAllowed("this address has no access rule")
        if current_user.role in allowed:
            return None
        if not current_user.is_authenticated:
            return manager.unauthorized()
        raise NotAllowed(f"this is for {', '.join(sorted(allowed - {'anonymous'}))}; you are signed in "
                         f"as {current_user.role}")

    @app.context_processor
    def who():
        return {"current_user": current_user, "is_staff": is_staff(), "role_name": lambda r: ROLE_NAMES.get(r, r)}

    @app.after_request
    def private(response):
        # Staff pages hold customers' contacts: no shared cache may keep them.
        if current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response

