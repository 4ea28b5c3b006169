"""The OpenAPI document at /api/v1/openapi.json (made by spectree from webapp/api/schemas.py) and its
page at /api/v1/docs: a valid OpenAPI 3 document naming every API route and every error it answers,
and real answers of the routes that match it (so the document cannot drift from the code)."""
from __future__ import annotations

import re

import jsonschema_rs
import pytest

ERROR_SCHEMA = "#/components/schemas/ErrorBody"


def document_of(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


@pytest.fixture
def document(client):
    return document_of(client)


def openapi_path(rule: str) -> str:
    """/api/v1/articles/<path:article_id> -> /api/v1/articles/{article_id}"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_the_document_is_valid_openapi_3(document):
    import schemathesis

    assert document["openapi"].startswith("3.")
    schemathesis.openapi.from_dict(document).validate()  # the OpenAPI meta-schema, via jsonschema_rs


def test_every_route_of_the_api_is_in_the_document(app, document):
    routes = [rule for rule in app.url_map.iter_rules()
              # the document and its page are the only routes of the API that it leaves out
              if rule.endpoint.startswith("api.") and not rule.endpoint.startswith("api.document.")]
    assert len(routes) >= 7
    for rule in routes:
        path = openapi_path(rule.rule)
        assert path in document["paths"], f"{rule.rule} ({rule.endpoint}) is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in document["paths"][path], f"{method} {rule.rule} is not documented"
    assert len(document["paths"]) == len({openapi_path(rule.rule) for rule in routes})


def test_every_operation_documents_its_errors_in_the_one_shape(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            assert operation["summary"] and not operation["summary"].endswith(">"), f"{where} has no summary"
            statuses = {int(status) for status in operation["responses"]}
            assert 500 in statuses and any(200 <= s < 300 for s in statuses), where
            assert not statuses & {422}, f"{where} documents spectree's 422, which the API never answers"
            for status, answer in operation["responses"].items():
                schema = answer["content"]["application/json"]["schema"]
                if int(status) >= 400:
                    assert schema == {"$ref": ERROR_SCHEMA}, f"{where} {status} is not in the error shape"
                    assert answer["description"], where
    search = document["paths"]["/api/v1/search"]["get"]["responses"]
    assert {"400", "503"} <= set(search)
    rating = document["paths"]["/api/v1/tickets/{token}/rating"]["post"]
    assert {"400", "404", "409", "413"} <= set(rating["responses"])
    assert rating["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/TicketRating")
    error = document["components"]["schemas"]["ErrorDetail"]
    assert set(error["required"]) == {"status", "code", "message"}


def test_the_docs_page_shows_every_operation_without_scripts_or_other_sites(client, document):
    response = client.get("/api/v1/docs")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script" not in html.lower() and "://" not in html and "//cdn" not in html
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert f"<code>{method.upper()} {path}</code>" in html
            assert operation["summary"].replace("'", "&#39;") in html
    for needle in ("TicketRequest", "question", "ErrorBody", "invalid_input", "409", "limit"):
        assert needle in html
    assert 'href="/api/v1/openapi.json"' in html


# --- real answers match the document -------------------------------------------------------------

def check(document: dict, method: str, path: str, response) -> dict:
    """`response` is one the document names for this operation, and its body matches that schema."""
    answers = document["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in answers, f"{method.upper()} {path} answered {status}, which is not documented"
    assert response.mimetype == "application/json"
    schema = {**answers[status]["content"]["application/json"]["schema"], "components": document["components"]}
    body = response.get_json()
    errors = [str(e) for e in jsonschema_rs.Draft202012Validator(schema, validate_formats=True).iter_errors(body)]
    assert not errors, f"{method.upper()} {path} {status}: {errors}\n{body}"
    return body


def test_search_article_and_health_answers_match_the_document(client, document):
    search = "/api/v1/search"
    for query in ("how do I cancel my order", "как вернуть товар", "zzzz qqqq", "x" * 500):
        found = check(document, "get", search, client.get(search, query_string={"q": query}))
        assert "results" in found
    check(document, "get", search, client.get(search, query_string={"q": "refund", "lang": "en", "limit": 1}))
    for bad in ({}, {"q": ""}, {"q": "a\x00b"}, {"q": "refund", "limit": "x"}, {"q": "refund", "limit": 0},
                {"q": "refund", "lang": "de"}, {"q": "y" * 501}):
        assert check(document, "get", search, client.get(search, query_string=bad))["error"]["status"] == 400
    article_id = client.get(search, query_string={"q": "cancel order"}).get_json()["results"][0]["id"]
    check(document, "get", "/api/v1/articles/{article_id}", client.get(f"/api/v1/articles/{article_id}"))
    check(document, "get", "/api/v1/articles/{article_id}", client.get("/api/v1/articles/no-such-article"))
    check(document, "get", "/api/v1/health", client.get("/api/v1/health"))


def test_answers_without_an_index_match_the_document(tmp_path):
    from conftest import make_settings

    from webapp import create_app

    bare = create_app(make_settings(index_dir=tmp_path / "no-index"), {"TESTING": True}).test_client()
    document = document_of(bare)
    check(document, "get", "/api/v1/health", bare.get("/api/v1/health"))
    check(document, "get", "/api/v1/search", bare.get("/api/v1/search?q=refund"))
    check(document, "get", "/api/v1/articles/{article_id}", bare.get("/api/v1/articles/cancel-order"))


def test_ticket_answers_match_the_document(api, ticket_app):
    from kb.desk.operators import add_operator

    document = document_of(api)

    tickets, one = "/api/v1/tickets", "/api/v1/tickets/{token}"
    body = {"question": "Where is my parcel?", "email": "ann@example.com", "channel": "chat", "name": "Ann"}
    created = check(document, "post", tickets, api.post(tickets, json=body))
    token = created["token"]
    again = check(document, "post", tickets, api.post(tickets, json={**body, "question": "where is my parcel"}))
    assert again["joined"] is False and again["number"] == created["number"] + 1
    check(document, "post", tickets, api.post(tickets, json={"question": "Where?"}))
    check(document, "post", tickets, api.post(tickets, data="x" * (1024 * 1024 + 1), content_type="application/json"))
    check(document, "get", one, api.get(f"{tickets}/{token}"))
    check(document, "get", one, api.get(f"{tickets}/nope"))
    details = f"{one}/details"
    check(document, "post", details, api.post(f"{tickets}/{token}/details", json={"text": "Order 12345"}))
    check(document, "post", details, api.post(f"{tickets}/{token}/details", json={"text": ""}))
    rating = f"{one}/rating"
    check(document, "post", rating, api.post(f"{tickets}/{token}/rating", json={"rating": 5}))  # 409: no answer yet
    check(document, "post", rating, api.post(f"{tickets}/{token}/rating", json={"rating": 5.0}))
    desk = ticket_app.extensions["kb"].desk
    add_operator(desk.db, "anna", "Anna K", "secret-password", role="lead")
    desk.take(created["number"], "anna")
    desk.solve(created["number"], "anna", answer="Tomorrow")
    solved = check(document, "get", one, api.get(f"{tickets}/{token}"))
    assert solved["status"] == "solved" and solved["solved_at"].endswith("Z")
    rated = check(document, "post", rating, api.post(f"{tickets}/{token}/rating", json={"rating": 4}))
    assert rated["status"] == "closed" and rated["rating"] == 4
    closed = check(document, "post", details, api.post(f"{tickets}/{token}/details", json={"text": "more"}))
    assert closed["error"]["status"] == 409
