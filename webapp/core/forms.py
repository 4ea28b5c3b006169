"""What every form of the pages checks, the visitors' and the staff's alike."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from kb.text import unprintable


def printable(form, field):
    if isinstance(field.data, str) and unprintable(field.data) is not None:
        raise ValidationError(_l("Use only text a person can type."))
