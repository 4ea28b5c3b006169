"""Weak passwords are refused wherever a password is set: the admin pages (adding and resetting staff),
one's own account page and the `kb operators` commands; the library refuses them too. Common passwords
and patterns (zxcvbn's score under 3) and ones built from the login or the name."""
from __future__ import annotations

import pytest
from conftest import STAFF_PASSWORD, add_staff, csrf_of, sign_in

COMMON = ("12345678", "password", "qwertyuiop", "Password123!")
PERSONAL = ("annaanna", "anna2026!", "Anna.Karpova", "karpova1990")
EN_COMMON = "This password is too easy to guess"
RU_COMMON = "Этот пароль слишком легко угадать"
EN_PERSONAL = "This password is built from the login or the name"
RU_PERSONAL = "Этот пароль составлен из логина или имени"


def test_the_library_refuses_common_and_personal_passwords_and_takes_a_strong_one(db_url):
    from kb.db.engine import open_database
    from kb.desk.operators import add_operator, change_password, update_operator
    from kb.errors import InvalidInput

    database = open_database(db_url)
    for password in COMMON:
        with pytest.raises(InvalidInput, match="too easy to guess") as refused:
            add_operator(database, "anna", "Anna Karpova", password)
        assert refused.value.code == "weak_password"
    for password in PERSONAL:
        with pytest.raises(InvalidInput, match="built from the login or the name") as refused:
            add_operator(database, "anna", "Anna Karpova", password)
        assert refused.value.code == "personal_password"
    add_operator(database, "anna", "Anna Karpova", STAFF_PASSWORD)
    with pytest.raises(InvalidInput, match="too easy"):
        update_operator(database, "anna", password="password")
    with pytest.raises(InvalidInput, match="the login or the name"):
        update_operator(database, "anna", password="anna-anna")
    with pytest.raises(InvalidInput, match="the login or the name"):
        change_password(database, "anna", STAFF_PASSWORD, "Karpova2024")
    assert change_password(database, "anna", STAFF_PASSWORD, "violet-harbour-lamp")["login"] == "anna"


@pytest.mark.parametrize(("language", "common", "personal"), [("en", EN_COMMON, EN_PERSONAL),
                                                               ("ru", RU_COMMON, RU_PERSONAL)], ids=["en", "ru"])
def test_the_admin_pages_refuse_weak_passwords_in_the_interface_language(ticket_app, language, common, personal):
    admin = sign_in(ticket_app, "root", "admin")
    admin.set_cookie("lang", language)
    fields = {"login": "anna", "name": "Anna Karpova", "role": "operator", "tier": "1", "seniority": "0"}
    for password, text in (("12345678", common), ("annaanna", personal)):
        page = admin.post("/admin/operators", data={"csrf_token": csrf_of(admin, "/admin/operators"), **fields,
                                                    "password": password})
        assert page.status_code == 400 and text in page.get_data(as_text=True), password
    assert admin.get("/admin/operators/anna").status_code == 404  # nobody was added
    add_staff(ticket_app, "boris", name="Boris Lebedev")
    for password, text in (("password", common), ("lebedev-boris", personal)):
        page = admin.post("/admin/operators/boris", data={
            "csrf_token": csrf_of(admin, "/admin/operators/boris"), "action": "password", "password": password})
        assert page.status_code == 400 and text in page.get_data(as_text=True), password
    assert sign_in(ticket_app, "boris", create=False).get("/account").status_code == 200  # unchanged


@pytest.mark.parametrize(("language", "common", "personal"), [("en", EN_COMMON, EN_PERSONAL),
                                                               ("ru", RU_COMMON, RU_PERSONAL)], ids=["en", "ru"])
def test_the_account_page_refuses_a_weak_new_password(ticket_app, language, common, personal):
    client = sign_in(ticket_app, "anna")  # named Anna Testova
    client.set_cookie("lang", language)
    for password, text in (("password", common), ("Testova123", personal)):
        page = client.post("/account", data={"csrf_token": csrf_of(client, "/account"), "current": STAFF_PASSWORD,
                                             "new": password, "confirm": password})
        assert page.status_code == 400 and text in page.get_data(as_text=True), password
    assert sign_in(ticket_app, "anna", create=False).get("/account").status_code == 200  # unchanged


def test_the_kb_operators_commands_refuse_weak_passwords(kb):
    refused = kb("operators", "add", "boss", "--name", "Olga Boss", "--password", "12345678")
    assert refused.exit_code != 0 and "too easy to guess" in refused.output
    refused = kb("operators", "add", "boss", "--name", "Olga Boss", "--password", "olgaboss")
    assert refused.exit_code != 0 and "built from the login or the name" in refused.output
    assert kb("operators", "add", "boss", "--name", "Olga Boss", "--password", STAFF_PASSWORD).exit_code == 0
    refused = kb("operators", "set", "boss", "--password", "password")
    assert refused.exit_code != 0 and "too easy to guess" in refused.output
