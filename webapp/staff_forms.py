"""The staff's forms (Flask-WTF: fields, checks and the CSRF token), in the interface language.
The desk checks everything again; these checks answer in plain words before anything is sent."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from kb.desk.operators import MIN_PASSWORD
from webapp.forms import printable


class LoginForm(FlaskForm):
    login = StringField(_l("Login"), validators=[DataRequired(_l("Type your login.")), Length(max=80), printable])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Type your password.")),
                                                         Length(max=1000)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1000)])
    new = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD, max=1000,
                               message=_l("At least %(min)d characters.", min=MIN_PASSWORD)), printable])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])
