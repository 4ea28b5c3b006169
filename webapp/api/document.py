"""The API's own description: the OpenAPI document that spectree makes from the models of
webapp.api.schemas, at /api/v1/openapi.json, and the same as a page at /api/v1/docs. These two
routes are the only ones of the API that are not in the document."""
from __future__ import annotations

import threading

from flask import Blueprint, jsonify, render_template

from webapp.api.schemas import spec
from webapp.core.auth import ANYONE, allow

bp = allow(ANYONE)(Blueprint("document", __name__))

_generating = threading.Lock()


def openapi_document() -> dict:
    """The OpenAPI document of the current app's routes (made once, then kept by spectree)."""
    with _generating:  # spectree moves nested schemas out while it makes the document: once only
        return spec.spec


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def describe(document: dict, schema: dict) -> str:
    """A JSON schema in a few words: `integer, 1..50`, `one of: ru, en`, `string or null`, `array of SearchResult`."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "anyOf" in schema:
        return " or ".join(describe(document, option) for option in schema["anyOf"])
    if "const" in schema:
        return f"always {schema['const']!r}".replace("True", "true").replace("False", "false")
    if "enum" in schema:
        return "one of: " + ", ".join(repr(v) if v == "" else str(v) for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {describe(document, schema.get('items', {}))}"
    bounds = ""
    if "minimum" in schema or "maximum" in schema:
        bounds = f", {schema.get('minimum', '')}..{schema.get('maximum', '')}"
    elif "maxLength" in schema:
        bounds = f", {schema.get('minLength', 0)}..{schema['maxLength']} characters"
    if schema.get("format") and schema["format"] != "path":
        kind = f"{kind} ({schema['format']})"
    return kind + bounds


def fields(document: dict, schema: dict) -> list[dict]:
    """The fields of an object schema: name, type, required, description."""
    schema = _resolve(document, schema)
    required = set(schema.get("required", []))
    return [{"name": name, "type": describe(document, field_schema), "required": name in required,
             "description": field_schema.get("description", ""),
             "default": field_schema.get("default")}
            for name, field_schema in schema.get("properties", {}).items()]


def operations(document: dict) -> list[dict]:
    """Each operation of the document, ready for the docs page."""
    found = []
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            responses = []
            for status, answer in sorted(op["responses"].items()):
                content = answer.get("content", {}).get("application/json", {}).get("schema")
                responses.append({"status": status, "description": answer.get("description", ""),
                                  "schema": describe(document, content) if content else "",
                                  "fields": fields(document, content) if content and status < "400" else []})
            found.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                          "description": op.get("description", ""), "tag": (op.get("tags") or [""])[0],
                          "anchor": f"{method}-{path.strip('/').replace('/', '-').replace('{', '').replace('}', '')}",
                          "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                                          "type": describe(document, p.get("schema", {})),
                                          "description": p.get("description", ""),
                                          "default": p.get("schema", {}).get("default")}
                                         for p in op.get("parameters", [])],
                          "body": describe(document, body) if body else "",
                          "body_fields": fields(document, body) if body else [],
                          "responses": responses})
    return found


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/docs")
def docs():
    """The OpenAPI document as a page: no script, nothing from another site."""
    document = openapi_document()
    return render_template("api/docs.html", info=document["info"], version=document["openapi"],
                           operations=operations(document))
