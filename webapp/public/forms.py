"""The visitor's forms (Flask-WTF: fields, checks and the CSRF token), labels and messages in the
visitor's language. The desk checks everything again; these checks only answer in plain words
before anything is sent."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from kb.desk.records import MAX_QUESTION, MAX_TEXT
from webapp.core.forms import printable
from webapp.core.question_log import QID


class AskForm(FlaskForm):
    question = TextAreaField(_l("Your question"), validators=[
        DataRequired(_l("Write your question.")), Length(max=MAX_QUESTION), printable])
    details = TextAreaField(_l("Details (order number, what you tried)"),
                            validators=[Optional(), Length(max=MAX_TEXT), printable])
    name = StringField(_l("Your name"), validators=[Optional(), Length(max=200), printable])
    email = StringField(_l("E-mail"), validators=[
        Optional(), Length(max=320), Email(_l("This does not look like an e-mail address."))])
    phone = StringField(_l("Phone"), validators=[
        Optional(), Length(max=64), Regexp(r"^[0-9+()\-\s.]+$", message=_l("A phone number has only digits."))])
    search_query = HiddenField(validators=[Optional(), Length(max=MAX_QUESTION), printable])
    qid = HiddenField(validators=[Optional(), Regexp(f"^{QID.pattern}$")])  # the page's id of that question

    def validate_phone(self, field):
        if field.data and not 5 <= len(re.sub(r"\D", "", field.data)) <= 20:
            raise ValidationError(_l("A phone number has 5 to 20 digits."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.email.data or "").strip() and not (self.phone.data or "").strip():
            self.email.errors = [*self.email.errors, _l("Give an e-mail address or a phone number, so we can answer.")]
            valid = False
        return valid


class VoteForm(FlaskForm):
    """"Was this helpful?": the answer, and the question and place in the results that led here."""
    helpful = HiddenField(validators=[DataRequired(), Regexp(r"^(yes|no)$")])
    q = HiddenField(validators=[Optional(), Length(max=500), printable])
    pos = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,2}$")])
