"""Hostile input: whatever is sent to any route with any method, the answer is never a 5xx; a body over
the limit is a 413 in the one shape whatever its type; the Host header never makes a link; status
tokens are secrets of at least 128 bits; a customer's contacts are shown to staff only."""
from __future__ import annotations

import pytest
from conftest import fake_embed, make_settings, sign_in

EVIL_HOST = "evil.example"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# A value for each kind of path parameter: plain, hostile (a NUL, bytes that are not UTF-8, far too long).
PARAMETERS = {"default": ("1", "%00x", "%ED%A0%80", "a" * 300), "int": ("1", "99999999999999"),
              "path": ("cancel-order", "..%2F..%2Fetc%2Fpasswd", "%FF%FE")}
BODIES = (
    {},
    {"data": b'{"question": "\xff\xfe", "rating": [1]}', "content_type": "application/json"},
    {"data": b'[1, {"x": NaN}]', "content_type": "application/json"},
    {"data": b"question=%FF%00&email=a%00b&rating=1e400&helpful=maybe&q=\x01",
     "content_type": "application/x-www-form-urlencoded"},
    {"data": b"--zz\r\nbroken", "content_type": "multipart/form-data; boundary=zz"},
)
QUERY = "?q=%00%FF&lang=xx&limit=-1&page=99999999999999999999&next=//elsewhere.example&article=%ED%A0%80"


def paths(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        variants = [rule.rule]
        for name, converter in rule._converters.items():
            kind = {"IntegerConverter": "int", "PathConverter": "path"}.get(type(converter).__name__, "default")
            variants = [v.replace(f"<{_arg(rule, name)}>", value) for v in variants for value in PARAMETERS[kind]]
        yield from variants


def _arg(rule, name):
    text = next(part for part in rule.rule.split("<")[1:] if part.split(">")[0].split(":")[-1] == name)
    return text.split(">")[0]


@pytest.fixture
def hostile_app(sample_index, tmp_path):
    from kb.app.services import Services
    from webapp import create_app

    settings = make_settings(index_dir=sample_index, database_url=f"sqlite:///{tmp_path / 'kb.sqlite'}")
    # Without CSRF the forms' own checks are reached too (with it, each POST stops at the token).
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False},
                      services=Services(settings, duplicate_embed=fake_embed))


def test_no_route_answers_a_5xx_to_any_method_with_any_body(hostile_app):
    created = hostile_app.test_client().post("/api/v1/tickets", json={"question": "Where is my parcel?",
                                                                      "email": "ann@example.com"})
    assert created.status_code == 201
    clients = {"visitor": hostile_app.test_client(), "admin": sign_in(hostile_app, "root", "admin")}
    server_errors, tried = [], 0
    for who, client in clients.items():
        for path in paths(hostile_app):
            for method in METHODS:
                for body in BODIES:
                    answer = client.open(path + QUERY, method=method, headers={"Host": EVIL_HOST}, **body)
                    tried += 1
                    if answer.status_code >= 500:
                        server_errors.append((who, method, path, body.get("content_type"), answer.status_code))
                    if EVIL_HOST in answer.get_data(as_text=True) or EVIL_HOST in str(answer.headers):
                        server_errors.append((who, method, path, "the forged Host is in the answer"))
    assert tried > 1000
    assert not server_errors, server_errors[:20]


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded", "text/plain",
                                          "multipart/form-data; boundary=zz"])
@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/tickets/abc/details", "/api/v1/tickets/abc/rating"])
def test_a_body_over_the_limit_is_a_json_413_on_the_api_whatever_its_type(api, path, content_type):
    answer = api.post(path, data=b"x" * (1024 * 1024 + 1), content_type=content_type)
    assert answer.status_code == 413
    assert answer.get_json()["error"]["code"] == "request_entity_too_large"


@pytest.mark.parametrize("path", ["/ask", "/login", "/tickets/abc/details", "/articles/cancel-order/vote"])
def test_a_body_over_the_limit_is_a_413_page_elsewhere(api, path):
    answer = api.post(path, data=b"x" * (1024 * 1024 + 1), content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 413 and answer.mimetype == "text/html"


# --- absolute links: KB_PUBLIC_URL, never the Host header -----------------------------------------

def ticket_app_with(db_url, tmp_path, config=None, **values):
    from kb.app.services import Services
    from webapp import create_app

    settings = make_settings(index_dir=tmp_path / "no-index", database_url=db_url, **values)
    return create_app(settings, {"TESTING": True, **(config or {})},
                      services=Services(settings, duplicate_embed=fake_embed))


def create(client, **headers):
    return client.post("/api/v1/tickets", json={"question": "Where is my parcel?", "email": "ann@example.com",
                                                "phone": "+7 900 123-45-67"}, headers=headers)


def test_a_forged_host_never_makes_the_links_of_a_new_ticket(api):
    created = create(api, Host=EVIL_HOST)
    assert created.status_code == 201
    body = created.get_json()
    assert EVIL_HOST not in created.get_data(as_text=True)
    assert body["status_url"] == f"/tickets/{body['token']}" and body["api_url"] == f"/api/v1/tickets/{body['token']}"
    # The status page writes its own address out for the one who asked for it (to keep, with JavaScript
    # off): a forged Host there reaches only its sender, on a page no cache keeps, that only the token opens.
    page = api.get(f"/tickets/{body['token']}?new=1", headers={"Host": EVIL_HOST})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert f'href="/tickets/{body["token"]}"' in page.get_data(as_text=True)


def test_the_public_url_makes_every_absolute_link(db_url, tmp_path):
    app = ticket_app_with(db_url, tmp_path, public_url="https://help.example.com/")
    client = app.test_client()
    body = create(client, Host=EVIL_HOST).get_json()
    assert body["status_url"] == f"https://help.example.com/tickets/{body['token']}"
    assert body["api_url"] == f"https://help.example.com/api/v1/tickets/{body['token']}"
    page = client.get(f"/tickets/{body['token']}?new=1", headers={"Host": EVIL_HOST}).get_data(as_text=True)
    assert f"https://help.example.com/tickets/{body['token']}" in page and EVIL_HOST not in page


def test_without_a_public_url_a_configured_server_name_is_used(db_url, tmp_path):
    app = ticket_app_with(db_url, tmp_path, {"SERVER_NAME": "help.example.org", "PREFERRED_URL_SCHEME": "https"})
    body = create(app.test_client(), Host="help.example.org").get_json()
    assert body["status_url"] == f"https://help.example.org/tickets/{body['token']}"


@pytest.mark.parametrize("value", ["help.example.com", "ftp://help.example.com", "https://help.example.com/?a=1"])
def test_a_public_url_that_is_not_one_stops_the_start(value):
    from kb.config import SettingsError, load_settings

    with pytest.raises(SettingsError, match="KB_PUBLIC_URL"):
        load_settings({"KB_PUBLIC_URL": value})


# --- status tokens and the customer's contacts ----------------------------------------------------

def test_status_tokens_are_at_least_128_bits_from_secrets(api, monkeypatch):
    import secrets

    from kb.desk import intake

    asked, original = [], secrets.token_urlsafe

    def token_urlsafe(nbytes=None):
        asked.append(nbytes)
        return original(nbytes)

    monkeypatch.setattr(intake.secrets, "token_urlsafe", token_urlsafe)
    token = create(api).get_json()["token"]
    assert asked and asked[0] * 8 >= 128
    assert len(token) * 6 >= 128  # URL-safe base64: 6 bits a character


def test_a_customers_email_and_phone_are_shown_to_staff_only(api, ticket_app):
    created = create(api)
    body, token = created.get_data(as_text=True), created.get_json()["token"]
    shown = [body, api.get(f"/api/v1/tickets/{token}").get_data(as_text=True),
             api.get(f"/tickets/{token}").get_data(as_text=True),
             api.get(f"/tickets/{token}?new=1").get_data(as_text=True),
             create(api).get_data(as_text=True)]  # the same question again: joined, says nothing
    for text in shown:
        assert "ann@example.com" not in text and "123-45-67" not in text and "9001234567" not in text
    number = created.get_json()["number"]
    # A visitor who guesses a ticket number sees nothing of it (the desk is behind the login).
    assert api.get(f"/desk/tickets/{number}").status_code in (302, 303, 401, 403)
    operator = sign_in(ticket_app, "olga")
    assert "ann@example.com" in operator.get(f"/desk/tickets/{number}").get_data(as_text=True)
