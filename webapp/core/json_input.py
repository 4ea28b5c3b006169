"""The one way an API route reads its input: its JSON body or its query, parsed by the pydantic
model the OpenAPI document shows for it (webapp.api.schemas).

Whatever a client sends, the answer is a 4xx in the one error shape, never a 500, and nothing a
person could not have typed reaches the product or the database: the body must be UTF-8 (RFC 8259),
not nested deeper than Python's parser can go, free of NaN/Infinity and repeated keys; every field
must be known and of its model's type; text holds no control character or lone surrogate
(`kb.text.unprintable`).
"""
from __future__ import annotations

import json

from flask import request
from pydantic import BaseModel, ValidationError

from kb.errors import InvalidInput, QueryError
from kb.text import unprintable


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


def _problem(exc: ValidationError) -> str:
    """The first thing wrong, in words that name the field (pydantic's for all but unprintable text)."""
    error = exc.errors(include_url=False)[0]
    name = field_name(str(error["loc"][0])) if error["loc"] else "the input"
    value = error.get("input")
    if isinstance(value, str) and (found := unprintable(value)) is not None:
        return f"the field {name} contains a control character ({found}): send only text a person can type"
    return f"the field {name}: {error['msg'][:1].lower()}{error['msg'][1:]}"


def _parsed(model: type[BaseModel], data: dict, error: type[Exception]) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(_problem(exc)) from None


def json_body(model: type[BaseModel]) -> BaseModel:
    """The request's JSON body, checked and parsed by `model` (a field not sent keeps its default,
    and is not in `model_fields_set`)."""
    raw = request.get_data(cache=True)  # first: a body over MAX_CONTENT_LENGTH is a 413, whatever its type
    if not request.is_json:
        raise InvalidInput("send a JSON object with Content-Type: application/json")
    data = _parse(raw)
    if not isinstance(data, dict):
        raise InvalidInput("send one JSON object, {...}, not an array or a single value")
    for name in data:
        if unprintable(name) is not None:
            raise InvalidInput(f"the field name {field_name(name)} contains a control character")
    unknown = sorted(set(data) - set(model.model_fields))
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(map(field_name, unknown))}; "
                           f"known: {', '.join(sorted(model.model_fields))}")
    return _parsed(model, data, InvalidInput)


def query_args(model: type[BaseModel]) -> BaseModel:
    """The query parameters `model` names, parsed by it: one left empty is not sent (its default);
    others are ignored."""
    given = {name: request.args[name] for name in model.model_fields if request.args.get(name, "") != ""}
    return _parsed(model, given, QueryError)
