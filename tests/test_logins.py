"""Logins: argon2 hashes, sessions, failed-login limits, password changes, CSRF on every staff form."""
from __future__ import annotations

import re

import pytest
from conftest import STAFF_PASSWORD, add_staff, csrf_of, make_settings, sign_in


@pytest.fixture
def login_app(tmp_path):
    """The app with CSRF on, as served (no search index: these pages do not search)."""
    from webapp import create_app

    settings = make_settings(index_dir=tmp_path / "no-index", database_url=f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "test"})


def _login(client, login, password, address="10.0.0.1"):
    token = csrf_of(client, "/login")
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def _stored_hash(app, login):
    from sqlalchemy import select

    from kb.desk.tables import Operator

    return app.extensions["kb"].database.run(
        lambda s: s.scalar(select(Operator.password_hash).where(Operator.login == login)))


def test_passwords_are_stored_as_argon2id_hashes_only(login_app):
    add_staff(login_app, "anna")
    stored = _stored_hash(login_app, "anna")
    assert stored.startswith("$argon2id$") and STAFF_PASSWORD not in stored


def test_an_older_hash_still_logs_in_and_is_replaced_by_argon2(login_app):
    from sqlalchemy import update
    from werkzeug.security import generate_password_hash

    from kb.desk.tables import Operator

    add_staff(login_app, "old")
    login_app.extensions["kb"].database.run(lambda s: s.execute(
        update(Operator).where(Operator.login == "old").values(password_hash=generate_password_hash(STAFF_PASSWORD))))
    assert _login(login_app.test_client(), "old", STAFF_PASSWORD).status_code == 303
    assert _stored_hash(login_app, "old").startswith("$argon2id$")


def test_the_first_admin_comes_from_kb_operators_add_and_signs_in(login_app, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from kb.cli import main

    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    result = CliRunner().invoke(main, ["operators", "add", "boss", "--name", "Olga Boss"],
                                input="a-long-password\na-long-password\n")
    assert result.exit_code == 0, result.output
    assert "admin" in result.output
    client = login_app.test_client()
    answer = _login(client, "boss", "a-long-password")
    assert answer.status_code == 303 and answer.headers["Location"] == "/console"
    assert client.get("/admin/operators").status_code == 200


def test_a_wrong_password_is_answered_on_the_form_without_saying_which_part_was_wrong(login_app):
    add_staff(login_app, "anna")
    client = login_app.test_client()
    for login, password in (("anna", "not-the-password"), ("nobody", STAFF_PASSWORD)):
        page = _login(client, login, password)
        assert page.status_code == 400
        assert "The login or the password is not right." in page.get_data(as_text=True)
    assert client.get("/desk").status_code == 303  # still not signed in


def test_failed_logins_from_one_address_make_that_address_wait_even_with_the_right_password(login_app):
    add_staff(login_app, "anna")
    add_staff(login_app, "boris")
    client = login_app.test_client()
    for attempt in range(5):
        assert _login(client, "anna", f"wrong-{attempt}", address="10.0.1.1").status_code == 400
    locked = _login(login_app.test_client(), "anna", STAFF_PASSWORD, address="10.0.1.1")
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "Too many" in locked.get_data(as_text=True)
    # Another account from the same address is not affected.
    assert _login(login_app.test_client(), "boris", STAFF_PASSWORD, address="10.0.1.1").status_code == 303


def _owners_browser(app, login, address="10.0.0.1"):
    """A browser that signed in to `login` (so it holds the account's device cookie), then signed out."""
    owner = app.test_client()
    assert _login(owner, login, STAFF_PASSWORD, address=address).status_code == 303
    owner.post("/logout", data={"csrf_token": csrf_of(owner, "/account")})
    return owner


def test_a_stranger_cannot_lock_the_owner_out(login_app):
    """Five wrong passwords from a stranger's address used to lock the account for everyone."""
    add_staff(login_app, "anna")
    owner = _owners_browser(login_app, "anna", "10.0.2.1")
    stranger = login_app.test_client()
    for attempt in range(6):
        _login(stranger, "anna", f"wrong-{attempt}", address="198.51.100.7")
    assert _login(stranger, "anna", STAFF_PASSWORD, address="198.51.100.7").status_code == 429
    # The owner's address, from a browser that never signed in, and the owner's own browser.
    assert _login(login_app.test_client(), "anna", STAFF_PASSWORD, address="10.0.2.1").status_code == 303
    assert _login(owner, "anna", STAFF_PASSWORD, address="10.0.2.1").status_code == 303


def test_a_guess_spread_over_many_addresses_stops_new_browsers_but_not_the_owners(login_app):
    add_staff(login_app, "anna")
    owner = _owners_browser(login_app, "anna", "10.0.3.1")
    for attempt in range(50):  # KB_LOGIN_LIMIT_UNTRUSTED, 4 tries from each of 13 addresses
        _login(login_app.test_client(), "anna", "wrong-guess", address=f"198.51.100.{attempt // 4}")
    assert _login(login_app.test_client(), "anna", STAFF_PASSWORD, address="10.0.3.1").status_code == 429
    # The browser that signed in before still can, from anywhere (it carries the device cookie).
    assert _login(owner, "anna", STAFF_PASSWORD, address="203.0.113.5").status_code == 303


def test_the_device_cookie_has_its_own_limit_and_cannot_be_forged(login_app):
    add_staff(login_app, "anna")
    owner = _owners_browser(login_app, "anna")
    for attempt in range(5):
        assert _login(owner, "anna", f"wrong-{attempt}", address=f"10.0.4.{attempt}").status_code == 400
    assert _login(owner, "anna", STAFF_PASSWORD, address="10.0.4.9").status_code == 429  # a stolen one guesses slowly
    forged = login_app.test_client()
    forged.set_cookie("kb_device", owner.get_cookie("kb_device", path="/login").value + "x", path="/login")
    for attempt in range(5):
        _login(forged, "anna", f"wrong-{attempt}", address="10.0.5.1")
    assert _login(forged, "anna", STAFF_PASSWORD, address="10.0.5.1").status_code == 429  # counted per address


def test_failed_logins_from_one_address_are_limited_across_accounts(login_app):
    add_staff(login_app, "anna")
    client = login_app.test_client()
    for attempt in range(20):
        assert _login(client, f"guess{attempt}", "whatever-it-is", address="10.9.9.9").status_code == 400
    assert _login(client, "anna", STAFF_PASSWORD, address="10.9.9.9").status_code == 429
    assert _login(client, "anna", STAFF_PASSWORD, address="10.9.9.10").status_code == 303


def test_the_session_cookie_is_http_only_and_same_site_and_secure_when_configured(login_app, tmp_path):
    from webapp import create_app

    add_staff(login_app, "anna")
    answer = _login(login_app.test_client(), "anna", STAFF_PASSWORD)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie

    settings = make_settings(index_dir=tmp_path / "no-index", database_url=f"sqlite:///{tmp_path / 'kb.sqlite3'}",
                             secure_cookies=True)
    secure = create_app(settings, {"TESTING": True, "SECRET_KEY": "test"})
    answer = _login(secure.test_client(), "anna", STAFF_PASSWORD)
    assert "Secure" in answer.headers["Set-Cookie"]


def test_login_goes_back_only_to_a_page_of_this_site(login_app):
    add_staff(login_app, "anna")
    client = login_app.test_client()
    assert client.get("/desk/tickets/1").headers["Location"] == "/login?next=/desk/tickets/1"
    token = csrf_of(client, "/login?next=/desk")
    answer = client.post("/login", data={"login": "anna", "password": STAFF_PASSWORD, "csrf_token": token,
                                         "next": "/desk"})
    assert answer.headers["Location"] == "/desk"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        other = login_app.test_client()
        token = csrf_of(other, "/login")
        answer = other.post("/login", data={"login": "anna", "password": STAFF_PASSWORD, "csrf_token": token,
                                            "next": evil})
        assert answer.headers["Location"] == "/console", evil


def test_sign_out_ends_the_session_and_needs_the_form_token(login_app):
    client = sign_in(login_app, "anna")
    assert client.post("/logout").status_code == 400  # no CSRF token: refused, still signed in
    assert client.get("/account").status_code == 200
    answer = client.post("/logout", data={"csrf_token": csrf_of(client, "/account")})
    assert answer.status_code == 303
    assert client.get("/account").status_code == 303


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(login_app):
    client = sign_in(login_app, "anna")
    elsewhere = sign_in(login_app, "anna", create=False)
    token = csrf_of(client, "/account")
    wrong = client.post("/account", data={"current": "not-it-at-all", "new": "brand-new-pass",
                                          "confirm": "brand-new-pass", "csrf_token": token})
    assert wrong.status_code == 400 and "The current password is not right." in wrong.get_data(as_text=True)
    differ = client.post("/account", data={"current": STAFF_PASSWORD, "new": "brand-new-pass",
                                           "confirm": "other-new-pass", "csrf_token": token})
    assert differ.status_code == 400
    short = client.post("/account", data={"current": STAFF_PASSWORD, "new": "short", "confirm": "short",
                                          "csrf_token": token})
    assert short.status_code == 400
    done = client.post("/account", data={"current": STAFF_PASSWORD, "new": "brand-new-pass",
                                         "confirm": "brand-new-pass", "csrf_token": token})
    assert done.status_code == 303
    assert client.get("/account").status_code == 200  # this session goes on
    assert elsewhere.get("/account").status_code == 303  # the other one has ended
    assert _login(login_app.test_client(), "anna", STAFF_PASSWORD).status_code == 400
    assert _login(login_app.test_client(), "anna", "brand-new-pass").status_code == 303


def test_a_deactivated_operator_is_signed_out_at_the_next_request(login_app):
    from kb.desk.operators import update_operator

    client = sign_in(login_app, "anna")
    assert client.get("/desk").status_code == 200
    update_operator(login_app.extensions["kb"].database, "anna", active=False)
    assert client.get("/desk").status_code == 303
    assert _login(login_app.test_client(), "anna", STAFF_PASSWORD).status_code == 400


def test_every_staff_form_post_without_a_csrf_token_is_refused(login_app):
    """A page on another site cannot make a signed-in admin's browser post anything."""
    add_staff(login_app, "target")
    client = sign_in(login_app, "boss", "admin", tier=3)
    for rule in login_app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        url = rule.build({"number": 1, "token": "x" * 32, "article_id": "cancel-order", "login": "target",
                          "token_id": 1}, append_unknown=False)[1]
        answer = client.post(url, data={"note": "hello", "name": "X"})
        assert answer.status_code == 400, url
        body = answer.get_data(as_text=True)
        assert re.search(r"form has expired|could not be understood|CSRF", body, re.IGNORECASE), url
    assert client.get("/account").status_code == 200  # and nothing signed the admin out


# --- issue 26: sign-in security ------------------------------------------------------------------

def _median_seconds(answer, tries: int = 5) -> float:
    import statistics
    import time

    spent = []
    for _ in range(tries):
        started = time.perf_counter()
        answer()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


def test_an_unknown_login_takes_as_long_as_a_wrong_password(login_app):
    """The time of the answer must not tell which logins exist: an unknown login is checked against a
    dummy hash (about 7 ms against 270 ms for a known one before)."""
    from kb.desk.operators import authenticate, update_operator

    add_staff(login_app, "anna")
    add_staff(login_app, "gone")
    database = login_app.extensions["kb"].database
    update_operator(database, "gone", active=False)
    authenticate(database, "nobody", "warm-up-call")  # the dummy hash is made once
    known = _median_seconds(lambda: authenticate(database, "anna", "not-the-password"))
    unknown = _median_seconds(lambda: authenticate(database, "nobody-here", "not-the-password"))
    deactivated = _median_seconds(lambda: authenticate(database, "gone", STAFF_PASSWORD))
    assert unknown >= 0.5 * known and deactivated >= 0.5 * known, (unknown, deactivated, known)


@pytest.fixture
def app_on(db_url, tmp_path):
    """The app with CSRF on over the ticket database on SQLite and on PostgreSQL."""
    from webapp import create_app

    return create_app(make_settings(index_dir=tmp_path / "no-index", database_url=db_url),
                      {"TESTING": True, "SECRET_KEY": "test"})


def _copy_of(client, app):
    """Another browser holding a copy of `client`'s session cookie (taken by whoever could read it)."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def test_sign_out_ends_the_session_on_the_server_so_a_copied_cookie_is_refused(app_on):
    client = sign_in(app_on, "anna")
    copied = _copy_of(client, app_on)
    assert copied.get("/console").status_code == 200  # the copy works while the session lives
    assert client.post("/logout", data={"csrf_token": csrf_of(client, "/account")}).status_code == 303
    assert copied.get("/console").status_code == 303
    assert sign_in(app_on, "anna", create=False).get("/console").status_code == 200  # a new sign-in works


def test_a_session_from_before_a_deactivation_does_not_come_back_with_the_reactivation(app_on):
    from kb.desk.operators import update_operator

    client = sign_in(app_on, "anna")
    database = app_on.extensions["kb"].database
    update_operator(database, "anna", active=False)
    update_operator(database, "anna", active=True)
    assert client.get("/console").status_code == 303


def test_with_redis_the_login_limits_hold_across_workers_and_spare_the_owners_browser(tmp_path):
    """Two app processes sharing one database and one Redis (KB_REDIS_URL), as `kb serve --workers 2`."""
    import os
    import uuid

    import redis
    from conftest import skip_unless_required

    from webapp import create_app

    url = os.environ.get("KB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        skip_unless_required(f"Redis is not reachable at {url}: {exc}", "KB_REQUIRE_REDIS")
    settings = make_settings(index_dir=tmp_path / "no-index", database_url=f"sqlite:///{tmp_path / 'kb.sqlite3'}",
                             redis_url=url, login_limit_untrusted="6 per 15 minutes")
    one, two = (create_app(settings, {"TESTING": True, "SECRET_KEY": "test"}) for _ in range(2))
    login = f"anna{uuid.uuid4().hex[:8]}"  # the counters outlive the test in Redis
    add_staff(one, login)
    owner = _owners_browser(one, login, "10.0.6.1")
    for attempt in range(6):  # alternately through each worker, from six addresses
        _login((one, two)[attempt % 2].test_client(), login, "wrong-guess", address=f"198.51.100.{attempt}")
    assert _login(two.test_client(), login, STAFF_PASSWORD, address="10.0.6.1").status_code == 429
    browser_on_two = two.test_client()
    browser_on_two.set_cookie("kb_device", owner.get_cookie("kb_device", path="/login").value, path="/login")
    assert _login(browser_on_two, login, STAFF_PASSWORD, address="10.0.6.1").status_code == 303
