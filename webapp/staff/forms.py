"""The staff's forms (Flask-WTF: fields, checks and the CSRF token), in the interface language.
The desk checks everything again; these checks answer in plain words before anything is sent."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp

from kb.desk.operators import MIN_PASSWORD
from webapp.core.forms import printable


# The desk's reasons to refuse a new password (kb.desk.passwords.WEAKNESSES), in the interface language.
PASSWORD_REFUSALS = {
    "weak_password": _l("This password is too easy to guess: a common password, a word, a name, a keyboard "
                        "pattern, a date or a repeat. Choose a longer one, such as a few unrelated words."),
    "personal_password": _l("This password is built from the login or the name. Choose one that has nothing "
                            "to do with them."),
}


def refused_password(field, error) -> bool:
    """Show the desk's refusal of a new password on its field; False for any other error."""
    text = PASSWORD_REFUSALS.get(error.code)
    if text is not None:
        field.errors.append(text)
    return text is not None


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


# --- admin: operators and API tokens ---------------------------------------------------------------

ROLE_CHOICES = [SelectChoice(role, label) for role, label in (
    ("operator", _l("operator")), ("editor", _l("editor")), ("lead", _l("lead")), ("admin", _l("admin")))]
TIER_CHOICES = [SelectChoice(tier, str(tier)) for tier in (1, 2, 3)]
_NEW_PASSWORD_HINT = _l("Leave empty to generate a temporary password, shown once.")


class OperatorAddForm(FlaskForm):
    login = StringField(_l("Login"), validators=[
        DataRequired(_l("Give a login.")), Length(max=80),
        Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Letters, digits, '.', '-' and '_' only."))])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give a name.")), Length(max=200), printable])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="operator")
    tier = SelectField(_l("Tier"), choices=TIER_CHOICES, coerce=int, default=1)
    seniority = IntegerField(_l("Years in the team"), default=0, validators=[
        InputRequired(_l("A whole number.")), NumberRange(min=0, max=80)])
    password = PasswordField(_l("Initial password"), description=_NEW_PASSWORD_HINT, validators=[
        Optional(), Length(min=MIN_PASSWORD, max=1000,
                           message=_l("At least %(min)d characters.", min=MIN_PASSWORD)), printable])


class OperatorForm(FlaskForm):
    """Name, role and tier of an existing operator."""
    action = HiddenField(default="details", validators=[AnyOf(["details"])])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give a name.")), Length(max=200), printable])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    tier = SelectField(_l("Tier"), choices=TIER_CHOICES, coerce=int)


class ActiveForm(FlaskForm):
    """Deactivate (their sessions end at their next request) or reactivate."""
    action = HiddenField(validators=[AnyOf(["deactivate", "reactivate"])])


class ResetPasswordForm(FlaskForm):
    action = HiddenField(default="password", validators=[AnyOf(["password"])])
    password = PasswordField(_l("New password"), description=_NEW_PASSWORD_HINT, validators=[
        Optional(), Length(min=MIN_PASSWORD, max=1000,
                           message=_l("At least %(min)d characters.", min=MIN_PASSWORD)), printable])


class TokenForm(FlaskForm):
    name = StringField(_l("What uses it"), validators=[
        DataRequired(_l("Give the token a name.")), Length(max=200), printable])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="operator")


class RevokeForm(FlaskForm):
    """Only the CSRF token: the token to revoke is in the address."""


# --- the desk: what an operator does with a ticket -------------------------------------------------

from wtforms import BooleanField, TextAreaField  # noqa: E402 (this part's own fields)

_DESK_TEXT = 5000  # kb.desk.records.MAX_TEXT


class TakeForm(FlaskForm):
    """Only the CSRF token: the ticket is in the address."""


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Reply to the customer"), validators=[
        DataRequired(_l("Write the reply.")), Length(max=_DESK_TEXT), printable])
    waiting = BooleanField(_l("Waiting for the customer"))


class SolveForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[Optional(), Length(max=_DESK_TEXT), printable])
    article_id = StringField(_l("Linked article"), validators=[Optional(), Length(max=200), printable])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not (self.answer.data or "").strip() and not (self.article_id.data or "").strip():
            self.answer.errors = [*self.answer.errors, _l("Write an answer, link an article, or both.")]
            valid = False
        return valid


class PassOnForm(FlaskForm):
    note = TextAreaField(_l("Note for the next tier"), validators=[
        DataRequired(_l("Say what was tried and why it goes up.")), Length(max=_DESK_TEXT), printable])


class ReassignForm(FlaskForm):
    to = StringField(_l("Reassign to"), validators=[DataRequired(_l("Choose an operator.")), Length(max=80),
                                                    printable])
    note = StringField(_l("Note (internal)"), validators=[Optional(), Length(max=_DESK_TEXT), printable])


# --- the console: a call registered in one step ----------------------------------------------------

import re  # noqa: E402 (this part's own imports)

from wtforms import RadioField  # noqa: E402
from wtforms.validators import Email, ValidationError  # noqa: E402

CALL_CHANNELS = [("phone", _l("phone")), ("chat", _l("chat")), ("email", _l("e-mail")), ("social", _l("social")),
                 ("web", _l("web"))]
CALL_OUTCOMES = [("answered", _l("Answered")), ("open", _l("Call back")), ("pass_on", _l("Pass on"))]


class CallForm(FlaskForm):
    """A question asked on the phone (or chat, ...) and what came of it: every question is registered."""
    contact = StringField(_l("Phone or e-mail"), validators=[
        DataRequired(_l("Give the caller's phone number or e-mail address.")), Length(max=320), printable])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200), printable])
    channel = SelectField(_l("Channel"), choices=CALL_CHANNELS, default="phone")
    question = TextAreaField(_l("Question"), validators=[
        DataRequired(_l("Write the caller's question.")), Length(max=2000), printable])
    outcome = RadioField(_l("Outcome"), choices=CALL_OUTCOMES, default="answered")
    article_id = HiddenField(validators=[Optional(), Length(max=200), printable])
    answer = TextAreaField(_l("What you told the caller"), validators=[Optional(), Length(max=_DESK_TEXT), printable])
    note = TextAreaField(_l("Note for the next tier"), validators=[Optional(), Length(max=_DESK_TEXT), printable])
    search_query = HiddenField(validators=[Optional(), Length(max=2000), printable])

    def contact_parts(self) -> tuple[str | None, str | None]:
        """(e-mail, phone) from the one contact field: an address has an @."""
        contact = (self.contact.data or "").strip()
        return (contact, None) if "@" in contact else (None, contact)

    def validate_contact(self, field):
        contact = (field.data or "").strip()
        if "@" in contact:
            Email(_l("This does not look like an e-mail address."))(self, field)
        elif not re.fullmatch(r"[0-9+()\-\s.]+", contact) or not 5 <= len(re.sub(r"\D", "", contact)) <= 20:
            raise ValidationError(_l("A phone number has 5 to 20 digits (or type an e-mail address)."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.outcome.data == "answered" and not (self.article_id.data or "").strip() \
                and not (self.answer.data or "").strip():
            self.answer.errors = [*self.answer.errors,
                                  _l("Open the article you read out, or write what you told the caller.")]
            valid = False
        if self.outcome.data == "pass_on" and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, _l("Say what was tried and why it goes up.")]
            valid = False
        return valid


# --- the editors: what to do with a gap suggestion -------------------------------------------------

from wtforms import SelectMultipleField  # this part's own field

LANGUAGE_CHOICES = [("ru", _l("Russian")), ("en", _l("English"))]


class WordingsField(SelectMultipleField):
    """The suggestion's questions to keep, as checkboxes; the view sets the choices (the questions
    themselves), so nothing else can be posted into an article."""

    def pre_validate(self, form):
        allowed = {value for value, *_ in self.iter_choices()}
        if any(value not in allowed for value in self.data or ()):
            raise ValidationError(_l("Only the suggestion's own questions can be added."))


def _wordings():
    return WordingsField(_l("Wordings"), validators=[DataRequired(_l("Choose at least one wording."))])


class DraftForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the article a title.")), Length(max=300),
                                                 printable])
    lang = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    wordings = _wordings()


class AddWordingsForm(FlaskForm):
    article = SelectField(_l("Article"), validators=[DataRequired(_l("Choose an article."))])
    wordings = _wordings()


class DismissForm(FlaskForm):
    """Only the CSRF token: the suggestion is in the address."""
