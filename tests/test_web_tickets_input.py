"""Hostile input to the tickets API and the status page forms: always a 4xx, never a 500, and
nothing a person could not have typed reaches the desk or the database (SQLite and PostgreSQL)."""
import json
import re

import pytest
from conftest import make_settings

TEXT_FIELDS = ["question", "search_query", "channel", "language", "name", "email", "phone", "details"]


@pytest.fixture
def token(api):
    response = api.post("/api/v1/tickets", json={"question": "Where is my parcel?", "email": "ann@example.com"})
    assert response.status_code == 201
    return response.get_json()["token"]


@pytest.fixture
def guarded(ticket_app, token):
    """The desk fails the test if a hostile request reaches it: the web layer must turn it away itself."""
    desk = ticket_app.extensions["kb"].desk

    def reached(*args, **kwargs):
        raise AssertionError(f"reached the desk with {args!r} {kwargs!r}")

    for name in ("create_ticket", "add_details", "rate", "status"):
        setattr(desk, name, reached)
    return token


def post_raw(api, path, body: str | bytes):
    return api.post(path, data=body, content_type="application/json")


def assert_invalid(response, *mentions):
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["code"] == "invalid_input" and error["message"]
    for mention in mentions:
        assert mention in error["message"], error["message"]
    return error


def body_with(field: str, raw_value: str) -> str:
    """A JSON object text with a valid ticket and `field` set to `raw_value` (JSON text, escapes kept)."""
    fields = {"question": '"Where is my parcel?"', "email": '"ann@example.com"', field: raw_value}
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}"


# (a) lone surrogates, written as JSON escapes --------------------------------------------------------

@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_lone_surrogate_in_any_ticket_field_is_400_naming_it(api, guarded, field):
    assert_invalid(post_raw(api, "/api/v1/tickets", body_with(field, r'"ann\ud800"')), f'"{field}"')


def test_a_lone_surrogate_in_a_key_is_400_naming_it(api, guarded):
    error = assert_invalid(post_raw(api, "/api/v1/tickets", r'{"question": "Where?", "\udc00x": "1"}'))
    assert r"\udc00x" in error["message"]


def test_a_lone_surrogate_in_details_or_rating_is_400(api, guarded):
    assert_invalid(post_raw(api, f"/api/v1/tickets/{guarded}/details", r'{"text": "Order \ud800"}'), '"text"')
    assert_invalid(post_raw(api, f"/api/v1/tickets/{guarded}/rating", r'{"rating": "\ud800"}'), '"rating"')
    assert_invalid(post_raw(api, f"/api/v1/tickets/{guarded}/rating", r'{"\ud800": 5}'), r"\ud800")


# (b) nesting, (c) encoding, and JSON Python reads but no one should send ----------------------------

@pytest.mark.parametrize("body", ["[" * 100_000, '{"question": ' + "[" * 100_000, '{"a":' * 50_000])
def test_deeply_nested_json_is_400(api, guarded, body):
    for path in ("/api/v1/tickets", f"/api/v1/tickets/{guarded}/details", f"/api/v1/tickets/{guarded}/rating"):
        assert_invalid(post_raw(api, path, body), "nested")


@pytest.mark.parametrize("body", [b'{"question": "Where \xff?", "email": "ann@example.com"}',
                                  b'{"question": "Where \xed\xa0\x80?", "email": "ann@example.com"}',
                                  '{"question": "Где?", "email": "ann@example.com"}'.encode("cp1251")])
def test_a_body_that_is_not_utf8_is_400(api, guarded, body):
    assert_invalid(post_raw(api, "/api/v1/tickets", body), "UTF-8")


@pytest.mark.parametrize("body", ['{"rating": NaN}', '{"rating": Infinity}', '{"rating": 5, "rating": 1}',
                                  '{"rating": 1' + "0" * 5000 + "}"])
def test_odd_json_for_a_rating_is_400(api, guarded, body):
    assert_invalid(post_raw(api, f"/api/v1/tickets/{guarded}/rating", body))


# (d) control characters -----------------------------------------------------------------------------

@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_control_characters_in_any_ticket_field_are_400(api, guarded, field):
    for char in ("\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\ufffe", "\u202e"):
        assert_invalid(post_raw(api, "/api/v1/tickets", body_with(field, json.dumps(f"ann{char}"))), f'"{field}"')


def test_control_characters_in_details_are_400_but_tabs_and_line_breaks_are_text(api, token):
    assert_invalid(api.post(f"/api/v1/tickets/{token}/details", json={"text": "Order\x0012345"}), '"text"')
    fine = api.post(f"/api/v1/tickets/{token}/details", json={"text": "Order\t12345\r\nsent Monday"})
    assert fine.status_code == 200 and "\x00" not in fine.get_json()["details"]


@pytest.mark.parametrize("path", ["/api/v1/tickets/%00", "/api/v1/tickets/abc%00def", "/api/v1/tickets/%1b",
                                  "/api/v1/tickets/%ED%A0%80", "/api/v1/tickets/" + "a" * 300])
def test_a_token_that_cannot_be_one_is_404_without_the_database(api, guarded, path):
    for method, suffix, body in (("get", "", None), ("post", "/details", {"text": "x"}),
                                 ("post", "/rating", {"rating": 5})):
        response = getattr(api, method)(path + suffix, json=body)
        assert response.status_code == 404, (path, suffix)
        assert response.get_json()["error"]["code"] == "not_found"
    page = api.get(path.replace("/api/v1", ""))
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert api.post(path.replace("/api/v1", "") + "/details", data={"text": "x"}).status_code == 404


def with_csrf(api, token, **fields) -> dict:
    """The form's fields with the CSRF token the status page gave this client."""
    page = api.get(f"/tickets/{token}").get_data(as_text=True)
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1), **fields}


def test_status_page_forms_without_their_csrf_token_are_refused(api, ticket_app, token):
    assert api.post(f"/tickets/{token}/details", data={"text": "Order 12345"}).status_code == 400
    assert ticket_app.extensions["kb"].desk.status(token)["details"] == ""


def test_control_characters_in_the_status_page_forms_are_400(api, ticket_app, token):
    for text in ("Order\x0012345", "\x1b[31mred", "bell\x07", "next line\x85", "\u202eder ro", "odd \ufffe"):
        sent = api.post(f"/tickets/{token}/details", data=with_csrf(api, token, text=text))
        assert sent.status_code == 400 and "control character" in sent.get_data(as_text=True)
    for rating in ("4\x00", "\x00", "4.5", "true", "1e400", "", "6"):
        rated = api.post(f"/tickets/{token}/rating", data=with_csrf(api, token, rating=rating))
        assert rated.status_code == 400 and "1 to 5" in rated.get_data(as_text=True), rating
    assert ticket_app.extensions["kb"].desk.status(token)["details"] == ""


def test_the_status_page_rating_form_hands_the_desk_a_whole_number(api, ticket_app, token):
    from kb.desk.operators import add_operator

    desk = ticket_app.extensions["kb"].desk
    add_operator(desk.db, "anna", "Anna K", "secret-password", role="lead")
    desk.take(1, "anna")
    desk.solve(1, "anna", answer="Tomorrow")
    seen = []
    rate = desk.rate
    desk.rate = lambda token, rating: seen.append(rating) or rate(token, rating)
    assert api.post(f"/tickets/{token}/rating", data=with_csrf(api, token, rating="4")).status_code == 303
    assert seen == [4] and type(seen[0]) is int


def test_control_characters_in_the_search_query_are_400(app_without_index):
    client = app_without_index.test_client()
    for q in ("where\x00", "\x1b[2J", "a\x7fb", "where\x85", "\x9b2J", "a\ufffe", "\u202ewhere"):
        response = client.get("/api/v1/search", query_string={"q": q})
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_query"


@pytest.fixture
def app_without_index(tmp_path):
    from webapp import create_app

    return create_app(make_settings(index_dir=tmp_path / "no-index"), {"TESTING": True})


# (e) channel, (f) rating, (g) types -----------------------------------------------------------------

@pytest.mark.parametrize("channel", [False, 0, [], {}, True, 1, ["web"], {"web": 1}])
def test_a_channel_that_is_not_text_is_400(api, guarded, channel):
    body = {"question": "Where is my parcel?", "email": "ann@example.com", "channel": channel}
    assert_invalid(api.post("/api/v1/tickets", json=body), '"channel"')


@pytest.mark.parametrize("channel", [None, "missing"])
def test_a_missing_or_null_channel_means_web(api, channel):
    body = {"question": "Can I pay by card?", "email": "bob@example.com"}
    if channel != "missing":
        body["channel"] = channel
    created = api.post("/api/v1/tickets", json=body)
    assert created.status_code == 201
    assert api.get(f"/api/v1/tickets/{created.get_json()['token']}").get_json()["channel"] == "web"


@pytest.mark.parametrize("raw", ["1e400", "true", "4.9"])
def test_a_rating_of_inf_true_or_a_fraction_is_400(api, guarded, raw):
    assert_invalid(post_raw(api, f"/api/v1/tickets/{guarded}/rating", '{"rating": ' + raw + "}"), '"rating"')


def test_only_a_whole_number_from_1_to_5_is_a_rating(api, guarded):
    for raw in ("-1e400", "false", "5.0", '"5"', "null", "[5]", '{"n": 5}', "0", "6", "-1"):
        assert_invalid(post_raw(api, f"/api/v1/tickets/{guarded}/rating", '{"rating": ' + raw + "}"), '"rating"')


def test_a_rating_must_be_sent(api, guarded):
    assert_invalid(api.post(f"/api/v1/tickets/{guarded}/rating", json={}), "rating")


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_text_field_of_another_json_type_is_400(api, guarded, field):
    for value in (42, 1.5, True, False, [], ["x"], {}, {"a": "b"}):
        body = {"question": "Where is my parcel?", "email": "ann@example.com", field: value}
        assert_invalid(api.post("/api/v1/tickets", json=body), f'"{field}"')


@pytest.mark.parametrize("value", [42, True, [], {"t": "x"}])
def test_details_of_another_json_type_are_400(api, guarded, value):
    assert_invalid(api.post(f"/api/v1/tickets/{guarded}/details", json={"text": value}), '"text"')


def test_unknown_fields_are_400_everywhere(api, guarded):
    assert_invalid(api.post("/api/v1/tickets", json={"question": "Where?", "colour": "red"}), '"colour"')
    assert_invalid(api.post(f"/api/v1/tickets/{guarded}/details", json={"text": "x", "rating": 5}), '"rating"')
    assert_invalid(api.post(f"/api/v1/tickets/{guarded}/rating", json={"rating": 5, "text": "x"}), '"text"')


# 4. asking again with the same address tells nothing about the open request ----------------------

def test_asking_again_is_a_new_request_that_reveals_nothing_about_the_open_one(api, token):
    """Only the status link proves a request is yours (tests/test_intake_proof.py has the rest)."""
    body = {"question": "Where is my parcel?", "email": "ann@example.com"}
    again = api.post("/api/v1/tickets", json=body)
    assert again.status_code == 201
    answer = again.get_json()
    assert answer["number"] == 2 and answer["token"] != token and token not in again.get_data(as_text=True)
