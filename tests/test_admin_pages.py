"""The admin pages through the test client, on SQLite and PostgreSQL: operators added, changed,
deactivated and given new passwords, with every session effect checked end to end (the operator's
own signed-in client), and the refusals (self, non-admins, no CSRF token, bad input)."""
from __future__ import annotations

import re

import pytest
from conftest import STAFF_PASSWORD, add_staff, csrf_of, sign_in

SECRET = re.compile(r'id="secret-value"[^>]*>([^<]+)</code>')


def log_in(app, login: str, password: str):
    """(the client, the status of its login POST)."""
    client = app.test_client()
    token = csrf_of(client, "/login")
    answer = client.post("/login", data={"login": login, "password": password, "csrf_token": token})
    return client, answer.status_code


def signed_in(client) -> bool:
    """Whether the client's session still lets it in (a staff page answers, not the login page)."""
    answer = client.get("/account")
    if answer.status_code == 303:
        assert answer.headers["Location"].startswith("/login")
        return False
    assert answer.status_code == 200
    return True


@pytest.fixture
def admin(ticket_app):
    return sign_in(ticket_app, "root", "admin")


def post(client, path: str, form_page: str | None = None, **data):
    return client.post(path, data={"csrf_token": csrf_of(client, form_page or path), **data})


def add(admin, **fields):
    data = {"login": "anna", "name": "Anna Karpova", "role": "operator", "tier": "2", "seniority": "3",
            "password": STAFF_PASSWORD, **fields}
    return post(admin, "/admin/operators", **data)


def test_the_operators_page_lists_everyone_and_an_added_operator_can_sign_in(ticket_app, admin):
    add_staff(ticket_app, "boris", "lead", 3, name="Boris Lead")
    page = admin.get("/admin/operators")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    for text in ("root", "boris", "Boris Lead", 'name="csrf_token"', 'name="password"', "seniority"):
        assert text in html
    added = add(admin)
    assert added.status_code == 303 and added.headers["Location"] == "/admin/operators/anna"
    shown = admin.get("/admin/operators/anna").get_data(as_text=True)
    assert "Anna Karpova can now sign in as anna." in shown
    assert "Anna Karpova" in admin.get("/admin/operators").get_data(as_text=True)
    client, status = log_in(ticket_app, "anna", STAFF_PASSWORD)
    assert status == 303 and signed_in(client)
    assert client.get("/account").get_data(as_text=True).count("tier 2") >= 1


def test_a_generated_password_is_shown_once_and_works(ticket_app, admin):
    answer = add(admin, login="Vera", name="Vera Ivanova", password="")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    password = SECRET.search(html).group(1)
    assert len(password) >= 16 and "vera" in html and "shown only this once" in html
    assert password not in admin.get("/admin/operators/vera").get_data(as_text=True)
    assert password not in admin.get("/admin/operators").get_data(as_text=True)
    client, status = log_in(ticket_app, "vera", password)
    assert status == 303 and signed_in(client)


def test_a_login_taken_is_the_form_again_with_a_409(admin):
    assert add(admin).status_code == 303
    again = add(admin, login="ANNA", name="Another Anna")
    html = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "There is already an operator with this login." in html and 'value="Another Anna"' in html


@pytest.mark.parametrize("fields", [
    {"login": "two words"}, {"login": ""}, {"name": ""}, {"name": "x" * 201}, {"name": "a\x00b"},
    {"tier": "9"}, {"tier": "x"}, {"role": "boss"}, {"seniority": "-1"}, {"seniority": "many"},
    {"seniority": "9" * 5000}, {"password": "short"}, {"password": "p" * 1001}, {"login": "л" * 81},
])
def test_a_broken_add_form_is_a_400_with_the_form(admin, fields):
    answer = add(admin, **fields)
    assert answer.status_code == 400, fields
    assert 'class="error"' in answer.get_data(as_text=True)


def test_the_operator_page_changes_name_role_and_tier(ticket_app, admin):
    add_staff(ticket_app, "anna")
    page = admin.get("/admin/operators/anna")
    assert page.status_code == 200 and "Anna Testova" in page.get_data(as_text=True)
    changed = post(admin, "/admin/operators/anna", action="details", name="Anna K.", role="lead", tier="3")
    assert changed.status_code == 303
    html = admin.get("/admin/operators/anna").get_data(as_text=True)
    assert "Saved." in html and "Anna K." in html
    row = re.search(r"<tr>\s*<td[^>]*><a href=\"/admin/operators/anna\">.*?</tr>",
                    admin.get("/admin/operators").get_data(as_text=True), re.S).group(0)
    assert "Anna K." in row and "lead" in row and ">3<" in row
    broken = post(admin, "/admin/operators/anna", action="details", name="", role="lead", tier="3")
    assert broken.status_code == 400 and "Give a name." in broken.get_data(as_text=True)
    assert post(admin, "/admin/operators/anna", action="explode").status_code == 400
    assert admin.get("/admin/operators/nobody").status_code == 404
    assert post(admin, "/admin/operators/nobody", "/admin/operators/anna", action="deactivate").status_code == 404
    assert admin.get("/admin/operators/" + "x" * 300).status_code == 400


def test_deactivating_an_operator_ends_their_session_at_the_next_request(ticket_app, admin):
    olga = sign_in(ticket_app, "olga", "operator")
    assert signed_in(olga)
    answer = post(admin, "/admin/operators/olga", action="deactivate")
    assert answer.status_code == 303
    assert "olga is deactivated" in admin.get("/admin/operators/olga").get_data(as_text=True)
    sent = olga.get("/console")
    assert sent.status_code == 303 and sent.headers["Location"].startswith("/login")
    assert log_in(ticket_app, "olga", STAFF_PASSWORD)[1] == 400
    assert post(admin, "/admin/operators/olga", action="reactivate").status_code == 303
    client, status = log_in(ticket_app, "olga", STAFF_PASSWORD)
    assert status == 303 and signed_in(client)


def test_a_password_reset_refuses_the_old_one_and_ends_the_old_sessions(ticket_app, admin):
    olga = sign_in(ticket_app, "olga", "operator")
    answer = post(admin, "/admin/operators/olga", action="password", password="brand-new-password")
    assert answer.status_code == 303
    assert "other sessions have ended" in admin.get("/admin/operators/olga").get_data(as_text=True)
    assert not signed_in(olga)
    assert log_in(ticket_app, "olga", STAFF_PASSWORD)[1] == 400
    client, status = log_in(ticket_app, "olga", "brand-new-password")
    assert status == 303 and signed_in(client)
    # A generated one: shown once, and the session signed in a moment ago ends too.
    generated = post(admin, "/admin/operators/olga", action="password", password="")
    assert generated.status_code == 200 and generated.headers["Cache-Control"] == "no-store"
    assert log_in(ticket_app, "olga", SECRET.search(generated.get_data(as_text=True)).group(1))[1] == 303
    assert not signed_in(client)
    short = post(admin, "/admin/operators/olga", action="password", password="short")
    assert short.status_code == 400 and "At least 8 characters." in short.get_data(as_text=True)


def test_an_admin_cannot_deactivate_or_demote_themselves_but_keeps_their_session_on_their_own_reset(
        ticket_app, admin):
    html = admin.get("/admin/operators/root").get_data(as_text=True)
    assert "You cannot deactivate yourself" in html and 'value="deactivate"' not in html
    for data in ({"action": "deactivate"}, {"action": "details", "name": "Root", "role": "lead", "tier": "1"}):
        refused = post(admin, "/admin/operators/root", **data)
        assert refused.status_code == 403, data
        assert "You cannot deactivate yourself or take away your own admin role" in refused.get_data(as_text=True)
    other = sign_in(ticket_app, "root", create=False)
    assert post(admin, "/admin/operators/root", action="password", password="another-password").status_code == 303
    assert signed_in(admin) and not signed_in(other)
    assert log_in(ticket_app, "root", "another-password")[1] == 303


@pytest.mark.parametrize("role", ["operator", "editor", "lead"])
def test_only_admins_reach_the_admin_pages(ticket_app, role):
    client = sign_in(ticket_app, "someone", role)
    token = csrf_of(client, "/account")
    for method, path in (("get", "/admin/operators"), ("get", "/admin/operators/someone"), ("get", "/admin/tokens"),
                         ("post", "/admin/operators"), ("post", "/admin/tokens"), ("post", "/admin/tokens/1/revoke")):
        answer = getattr(client, method)(path, data={"csrf_token": token, "login": "x", "name": "x"})
        assert answer.status_code == 403, (role, method, path)


def test_anonymous_visitors_are_sent_to_the_login_page(ticket_app):
    client = ticket_app.test_client()
    for path in ("/admin/operators", "/admin/operators/root", "/admin/tokens"):
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["Location"].startswith("/login?next=")


def test_posts_without_a_csrf_token_are_refused(ticket_app, admin):
    add_staff(ticket_app, "anna")
    for path, data in (("/admin/operators", {"login": "eve", "name": "Eve", "role": "admin", "tier": "1",
                                             "seniority": "0", "password": STAFF_PASSWORD}),
                       ("/admin/operators/anna", {"action": "deactivate"}),
                       ("/admin/tokens", {"name": "x", "role": "admin"})):
        assert admin.post(path, data=data).status_code == 400, path
        assert admin.post(path, data={**data, "csrf_token": "forged"}).status_code == 400, path
    assert "eve" not in admin.get("/admin/operators").get_data(as_text=True)
    assert signed_in(sign_in(ticket_app, "anna", create=False))
