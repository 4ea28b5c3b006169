"""The one way a JSON POST route reads its body: a flat JSON object of known fields, each of its type.

Whatever a client sends, the answer is a 4xx in the one error shape, never a 500, and nothing a
person could not have typed reaches the product or the database: the body must be UTF-8 (RFC 8259),
not nested deeper than Python's parser can go, free of NaN/Infinity and repeated keys; every field
must be known and of its type; text holds no control character or lone surrogate (`kb.text.unprintable`).
"""
from __future__ import annotations

import json

from flask import request

from kb.errors import InvalidInput
from kb.text import unprintable

TEXT = "text"        # a string or null
RATING = "rating"    # a whole number from 1 to 5 (a JSON integer; not true, not 4.9, not 1e400)

_KINDS = {TEXT, RATING}


def field_name(name: str) -> str:
    """A field's name as it can be quoted in a message, whatever it holds (`"\\ud800"`, say)."""
    return json.dumps(name)


def _no_constant(name: str):
    raise InvalidInput(f"{name} is not a JSON number: send a number, a string or null")


def _unique_keys(pairs: list) -> dict:
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise InvalidInput(f"the field {field_name(key)} appears twice")
        seen[key] = value
    return seen


def _parse(raw: bytes):
    try:
        text = raw.decode("utf-8")  # strict: no invalid bytes, no encoded surrogates
    except UnicodeDecodeError:
        raise InvalidInput("the body is not valid UTF-8") from None
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise InvalidInput("the JSON is nested too deeply: send one flat JSON object") from None
    except ValueError as exc:  # JSONDecodeError, and integers too long to convert
        raise InvalidInput(f"the body is not valid JSON: {exc}") from None


def _check(name: str, value, kind: str):
    if kind == TEXT:
        if value is None:
            return None
        if not isinstance(value, str):
            raise InvalidInput(f"the field {field_name(name)} must be text or null")
        if (found := unprintable(value)) is not None:
            raise InvalidInput(f"the field {field_name(name)} contains a control character ({found}): "
                               "send only text a person can type")
        return value
    # RATING: bool is an int in Python, and a float (4.9, 1e400 read as inf) is not a whole number.
    if type(value) is not int or not 1 <= value <= 5:
        raise InvalidInput(f"the field {field_name(name)} must be a whole number from 1 to 5")
    return value


def json_object(fields: dict[str, str]) -> dict:
    """The request's JSON body, checked: `fields` maps each known field to TEXT or RATING.

    Returns only the fields that were sent (a field sent as null is there, as None).
    """
    assert set(fields.values()) <= _KINDS
    raw = request.get_data(cache=True)  # first: a body over MAX_CONTENT_LENGTH is a 413, whatever its type
    if not request.is_json:
        raise InvalidInput("send a JSON object with Content-Type: application/json")
    data = _parse(raw)
    if not isinstance(data, dict):
        raise InvalidInput("send one JSON object, {...}, not an array or a single value")
    for name in data:
        if unprintable(name) is not None:
            raise InvalidInput(f"the field name {field_name(name)} contains a control character")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(map(field_name, unknown))}; "
                           f"known: {', '.join(sorted(fields))}")
    return {name: _check(name, value, fields[name]) for name, value in data.items()}
