"""API tokens end to end: made on the admin page (or with `kb tokens`), shown once, sent as
`Authorization: Bearer`; the support team's tokens get the operators' notes in search results over
the real sample index, and nobody else ever does; a revoked, unknown or malformed one is a 401 in
the one error shape. The CLI commands run through click's CliRunner on SQLite and PostgreSQL."""
from __future__ import annotations

import re

import pytest
from conftest import csrf_of, sign_in

SECRET = re.compile(r'id="secret-value"[^>]*>([^<]+)</code>')
SEARCH = "/api/v1/search"
# en-damaged-item answers it; none of its stored phrasings is worded like this.
QUESTION = "the vase in my parcel arrived smashed to pieces"
ARTICLE = "en-damaged-item"
ITS_NOTES = "Refund without collection"  # from its "## For operators" part
RU_QUESTION = "чашка пришла треснутая, что делать"
RU_ARTICLE, RU_NOTES = "damaged-item", "Возврат без забора"


def make_token(admin, name: str, role: str) -> str:
    answer = admin.post("/admin/tokens", data={"csrf_token": csrf_of(admin, "/admin/tokens"), "name": name,
                                               "role": role})
    assert answer.status_code == 201 and answer.headers["Cache-Control"] == "no-store"
    return SECRET.search(answer.get_data(as_text=True)).group(1)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(app):
    return sign_in(app, "root", "admin")


def test_a_token_made_on_the_page_is_shown_once_and_works_as_a_bearer_token(app, admin):
    page = admin.post("/admin/tokens", data={"csrf_token": csrf_of(admin, "/admin/tokens"), "name": "Chat widget",
                                             "role": "operator"})
    html = page.get_data(as_text=True)
    assert page.status_code == 201 and page.headers["Cache-Control"] == "no-store"
    token = SECRET.search(html).group(1)
    assert token.startswith("kb_") and len(token) > 40 and "shown only this once" in html
    assert token not in page.headers.get("Location", "") and token not in page.headers.get("Set-Cookie", "")
    listed = admin.get("/admin/tokens").get_data(as_text=True)
    assert token not in listed and token[:10] in listed and "Chat widget" in listed and "root" in listed
    assert "never" in listed  # not used yet

    found = app.test_client().get(SEARCH, query_string={"q": QUESTION}, headers=bearer(token))
    assert found.status_code == 200
    first = found.get_json()["results"][0]
    assert first["id"] == ARTICLE and ITS_NOTES in first["operator_notes"]
    listed = admin.get("/admin/tokens").get_data(as_text=True)
    row = re.search(r"<tr[^>]*>\s*<td[^>]*>Chat widget</td>.*?</tr>", listed, re.S).group(0)
    assert "never" not in row and "in use" in row  # last used: now


@pytest.mark.parametrize("role", ["operator", "lead", "admin"])
def test_the_support_teams_tokens_get_the_operators_notes(app, admin, role):
    token = make_token(admin, f"{role} integration", role)
    client = app.test_client()
    for question, article, notes in ((QUESTION, ARTICLE, ITS_NOTES), (RU_QUESTION, RU_ARTICLE, RU_NOTES)):
        results = client.get(SEARCH, query_string={"q": question}, headers=bearer(token)).get_json()["results"]
        assert results[0]["id"] == article and notes in results[0]["operator_notes"], question
        assert all(isinstance(r["operator_notes"], str) for r in results)
    without = client.get(SEARCH, query_string={"q": "how do I reset my password"}, headers=bearer(token)).get_json()
    assert any(r["operator_notes"] == "" for r in without["results"])  # an article with no notes: ""


def test_visitors_and_editors_never_get_the_notes(app, admin):
    editor = make_token(admin, "Docs tool", "editor")
    operator = make_token(admin, "CRM", "operator")
    client = app.test_client()
    for headers in ({}, bearer(editor)):
        answer = client.get(SEARCH, query_string={"q": QUESTION}, headers=headers)
        assert answer.status_code == 200
        assert answer.get_json()["results"][0]["id"] == ARTICLE
        assert "operator_notes" not in answer.get_data(as_text=True) and ITS_NOTES not in answer.get_data(as_text=True)
    # The article itself never shows them, whoever asks.
    for headers in ({}, bearer(editor), bearer(operator)):
        article = client.get(f"/api/v1/articles/{ARTICLE}", headers=headers)
        assert article.status_code == 200 and ITS_NOTES not in article.get_data(as_text=True)
        assert "operator_notes" not in article.get_json()
    for path in (f"/articles/{ARTICLE}", f"/articles/{RU_ARTICLE}"):
        page = client.get(path)
        assert page.status_code == 200
        assert ITS_NOTES not in page.get_data(as_text=True) and RU_NOTES not in page.get_data(as_text=True)


def test_a_revoked_unknown_or_malformed_token_is_a_401_in_the_one_error_shape(app, admin):
    from test_openapi import check, document_of

    document = document_of(app.test_client())
    token = make_token(admin, "Old CRM", "admin")
    client = app.test_client()
    assert client.get(SEARCH, query_string={"q": "refund"}, headers=bearer(token)).status_code == 200
    listed = admin.get("/admin/tokens").get_data(as_text=True)
    token_id = re.search(r'action="/admin/tokens/(\d+)/revoke"', listed).group(1)
    revoked = admin.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(admin, "/admin/tokens")})
    assert revoked.status_code == 303
    listed = admin.get("/admin/tokens").get_data(as_text=True)
    assert "The token “Old CRM” is revoked" in listed and "revoked " in listed
    assert f'action="/admin/tokens/{token_id}/revoke"' not in listed
    for header in (f"Bearer {token}", "Bearer kb_no-such-token", "Bearer", "Bearer  ", "Token abc", token,
                   "bearer " + "x" * 5000, "kb_" + "x" * 43):
        answer = client.get(SEARCH, query_string={"q": "refund"}, headers={"Authorization": header})
        assert answer.status_code == 401, header
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        body = check(document, "get", SEARCH, answer)
        assert body["error"]["code"] == "unauthorized" and body["error"]["status"] == 401
    # Other API routes refuse it too; no header at all is an anonymous call, as before tokens.
    assert client.get("/api/v1/health", headers=bearer(token)).status_code == 401
    assert client.get(SEARCH, query_string={"q": "refund"}).status_code == 200
    # Basic (a proxy's password prompt in front of a staging site) is not ours: anonymous, not refused.
    basic = client.get(SEARCH, query_string={"q": QUESTION}, headers={"Authorization": "Basic cm9vdDpwdw=="})
    assert basic.status_code == 200 and "operator_notes" not in basic.get_json()["results"][0]
    # The pages go by the login session only: a token there is neither used nor refused.
    assert client.get("/", headers=bearer(token)).status_code == 200
    assert client.get("/admin/tokens", headers=bearer(token)).status_code == 303
    assert admin.post("/admin/tokens/999/revoke", data={"csrf_token": csrf_of(admin, "/admin/tokens")}).status_code == 404


def test_the_document_describes_the_notes_and_the_bearer_scheme(app):
    from test_openapi import document_of

    document = document_of(app.test_client())
    result = document["components"]["schemas"]["SearchResult"]
    assert "operator_notes" in result["properties"] and "operator_notes" not in result.get("required", [])
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "kb_...",
        "description": "an API token an admin made at /admin/tokens or with `kb tokens create`"}
    search = document["paths"]["/api/v1/search"]["get"]
    assert search["security"] == [{}, {"bearer": []}] and "401" in search["responses"]


# --- the CLI ------------------------------------------------------------------------------------

def test_kb_tokens_create_list_and_revoke(kb, database):
    from kb.desk.tokens import token_role

    created = kb("tokens", "create", "Chat widget", "--role", "operator")
    assert created.exit_code == 0
    token = created.stdout.strip()
    assert token.startswith("kb_") and "\n" not in token and "shown only now" in created.stderr
    assert token_role(database, token)["role"] == "operator"
    listed = kb("tokens", "list").output
    assert token[:10] in listed and token not in listed and "Chat widget" in listed and "in use" in listed
    assert "revoked" in kb("tokens", "revoke", "1").output
    assert token_role(database, token) is None
    assert "revoked 20" in kb("tokens", "list").output
    assert kb("tokens", "list", "--json").exit_code == 0
    missing = kb("tokens", "revoke", "99")
    assert missing.exit_code == 1 and "no API token 99" in missing.output
    bad_role = kb("tokens", "create", "X", "--role", "boss")
    assert bad_role.exit_code == 2
    no_name = kb("tokens", "create", "  ", "--role", "admin")
    assert no_name.exit_code == 1 and "give the token a name" in no_name.output


def test_kb_operators_set(kb, database):
    from kb.desk.operators import authenticate

    kb("operators", "add", "root", "--name", "Root Admin", "--password", "a-long-password")
    kb("operators", "add", "anna", "--name", "Anna K", "--password", "a-long-password")
    changed = kb("operators", "set", "anna", "--name", "Anna Karpova", "--role", "lead", "--tier", "3")
    assert changed.exit_code == 0 and "anna (Anna Karpova): lead, tier 3, active" in changed.output
    assert "inactive" in kb("operators", "set", "anna", "--inactive").output
    assert authenticate(database, "anna", "a-long-password") is None
    assert "anna" in kb("operators", "list").output and "(inactive)" in kb("operators", "list").output
    assert kb("operators", "set", "anna", "--active").exit_code == 0
    prompted = kb("operators", "set", "anna", "--password", input="brand-new-pass\nbrand-new-pass\n")
    assert prompted.exit_code == 0 and "password changed" in prompted.output
    assert authenticate(database, "anna", "brand-new-pass") and not authenticate(database, "anna", "a-long-password")
    assert kb("operators", "set", "anna", "--password=third-password").exit_code == 0
    assert authenticate(database, "anna", "third-password")
    nothing = kb("operators", "set", "anna")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output
    short = kb("operators", "set", "anna", "--password=short")
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    missing = kb("operators", "set", "nobody", "--tier", "2")
    assert missing.exit_code == 1 and "no operator with the login 'nobody'" in missing.output
