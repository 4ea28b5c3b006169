"""Admin pages: operators (add, change, deactivate, reset a password) and API tokens.

A password the page generates, and a new API token, are shown once: on the page answering the POST
itself (never in an address or a flash message, which lives in the client's session cookie), with
`Cache-Control: no-store`. Everything else redirects after the POST with a flash message."""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from kb.desk import operators as desk_operators
from kb.desk import tokens as desk_tokens
from kb.errors import Conflict, KBError, NotAllowed
from webapp.core.auth import ADMINS, Staff, allow
from webapp.core.services import services
from webapp.staff.forms import (ActiveForm, OperatorAddForm, OperatorForm, ResetPasswordForm, RevokeForm, TokenForm,
                                refused_password)

bp = allow(ADMINS)(Blueprint("admin", __name__, url_prefix="/admin"))


def _db():
    return services().database


def temporary_password() -> str:
    """16 URL-safe random characters (96 bits): to be read out or pasted once, then changed."""
    return secrets.token_urlsafe(12)


def _once(html: str, status: int = 200):
    """A page holding a secret shown once: no cache, no history copy, no referrer."""
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- operators ------------------------------------------------------------------------------------

def _operators_page(form: OperatorAddForm, status: int = 200, problem: str | None = None):
    return render_template("admin/operators.html", operators=desk_operators.list_operators(_db()), form=form,
                           problem=problem), status


@bp.get("/operators")
def operators():
    return _operators_page(OperatorAddForm())


@bp.post("/operators")
def add_operator():
    form = OperatorAddForm()
    if not form.validate_on_submit():
        return _operators_page(form, 400)
    generated = None if form.password.data else temporary_password()
    try:
        added = desk_operators.add_operator(_db(), form.login.data, form.name.data, form.password.data or generated,
                                            tier=form.tier.data, role=form.role.data, seniority=form.seniority.data)
    except Conflict:
        form.login.errors.append(_("There is already an operator with this login."))
        return _operators_page(form, 409)
    except KBError as exc:
        if refused_password(form.password, exc):
            return _operators_page(form, 400)
        return _operators_page(form, exc.status, exc.message)
    if generated:
        return _once(render_template("admin/password_once.html", operator=added, password=generated, added=True))
    flash(_("%(name)s can now sign in as %(login)s.", name=added["name"], login=added["login"]))
    return redirect(url_for("admin.operator", login=added["login"]), code=303)


def _find(login: str) -> dict:
    return _db().run(lambda session: desk_operators.operator_dict(desk_operators.find_operator(session, login)))


def _operator_page(found: dict, *, details=None, password=None, status: int = 200, problem: str | None = None):
    # formdata=None: the forms not posted show the operator as stored, not the other form's fields.
    details = details or OperatorForm(formdata=None, data={"name": found["name"], "role": found["role"],
                                                           "tier": found["tier"]})
    return render_template("admin/operator.html", operator=found, form=details, active_form=ActiveForm(formdata=None),
                           password_form=password or ResetPasswordForm(formdata=None), problem=problem,
                           is_self=found["login"] == current_user.login), status


@bp.route("/operators/<login>", methods=["GET", "POST"])
def operator(login):
    found = _find(login)  # 404 page for an unknown login, 400 for one nobody could have
    if request.method == "GET":
        return _operator_page(found)
    action = request.form.get("action")
    form = {"details": OperatorForm, "deactivate": ActiveForm, "reactivate": ActiveForm,
            "password": ResetPasswordForm}.get(action)
    if form is None:
        abort(400)
    form = form()
    forms = {"details": form} if action == "details" else {"password": form} if action == "password" else {}
    if not form.validate_on_submit():
        return _operator_page(found, **forms, status=400)
    changes, generated = {}, None
    if action == "details":
        changes = {"name": form.name.data, "role": form.role.data, "tier": form.tier.data}
    elif action == "password":
        generated = None if form.password.data else temporary_password()
        changes = {"password": form.password.data or generated}
    else:
        changes = {"active": action == "reactivate"}
    try:
        changed = desk_operators.update_operator(_db(), found["login"], acting=current_user.login, **changes)
    except NotAllowed:
        return _operator_page(found, **forms, status=403,
                              problem=_("You cannot deactivate yourself or take away your own admin role: "
                                        "ask another admin."))
    except KBError as exc:
        if action == "password" and refused_password(form.password, exc):
            return _operator_page(found, **forms, status=400)
        return _operator_page(found, **forms, status=exc.status, problem=exc.message)
    if changed["login"] == current_user.login and "password" in changes:
        login_user(Staff(changed))  # the admin's own reset: this session goes on, the others end
    if generated:
        return _once(render_template("admin/password_once.html", operator=changed, password=generated, added=False))
    flash({"details": _("Saved."),
           "deactivate": _("%(login)s is deactivated: they cannot sign in, their sessions have ended, and their "
                           "open tickets are back in their tiers' queues.", login=changed["login"]),
           "reactivate": _("%(login)s can sign in again.", login=changed["login"]),
           "password": _("The password is changed; %(login)s's other sessions have ended.",
                         login=changed["login"])}[action])
    return redirect(url_for("admin.operator", login=changed["login"]), code=303)


# --- API tokens -----------------------------------------------------------------------------------

def _tokens_page(form: TokenForm, status: int = 200, created: tuple[str, dict] | None = None,
                 problem: str | None = None):
    token, record = created or (None, None)
    return render_template("admin/tokens.html", tokens=desk_tokens.list_tokens(_db()), form=form,
                           revoke_form=RevokeForm(), new_token=token, new_record=record, problem=problem), status


@bp.get("/tokens")
def tokens():
    return _tokens_page(TokenForm())


@bp.post("/tokens")
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form, 400)
    try:
        created = desk_tokens.create_token(_db(), form.name.data, form.role.data,
                                           created_by=current_user.record.get("id"))
    except KBError as exc:
        return _tokens_page(form, exc.status, problem=exc.message)
    # Shown here, once: a fresh form, and the token in this answer only.
    html, status = _tokens_page(TokenForm(formdata=None), 201, created=created)
    return _once(html, status)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id):
    if not RevokeForm().validate_on_submit():
        abort(400)
    revoked = desk_tokens.revoke_token(_db(), token_id)  # 404 page for an unknown one
    flash(_("The token “%(name)s” is revoked: calls with it are refused from now on.", name=revoked["name"]))
    return redirect(url_for("admin.tokens"), code=303)
