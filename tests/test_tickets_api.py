"""The tickets JSON API and the status page through Flask's test client (SQLite and PostgreSQL)."""
import re

import pytest

from kb.desk.operators import add_operator


def csrf_token(api, token) -> str:
    """The CSRF token the status page's forms carry for this client (the JSON API needs none)."""
    page = api.get(f"/tickets/{token}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def create(api, **fields):
    body = {"question": "Where is my parcel?", "email": "ann@example.com", "search_query": "parcel",
            "channel": "chat", "name": "Ann", **fields}
    return api.post("/api/v1/tickets", json=body)


def test_create_then_read_the_status_by_token(api):
    response = create(api)
    assert response.status_code == 201
    created = response.get_json()
    assert created["number"] == 1 and created["status"] == "new" and created["joined"] is False
    # Relative without KB_PUBLIC_URL: never built from the Host header (tests/test_hostile_input.py).
    assert created["status_url"] == f"/tickets/{created['token']}"
    status = api.get(f"/api/v1/tickets/{created['token']}").get_json()
    assert status["question"] == "Where is my parcel?" and status["place_in_queue"] == 1
    assert status["expected_answer_at"].endswith("Z") and status["channel"] == "chat"
    assert "owner" not in status and "email" not in str(status)  # nothing internal or personal leaks
    again = create(api, question="where is my parcel")
    # Knowing an e-mail address proves nothing: the same question again is a request of its own
    # (tests/test_intake_proof.py), never added to the open one nor saying that there is one.
    assert again.status_code == 201 and again.get_json()["number"] == 2 and again.get_json()["joined"] is False


def test_details_and_rating_through_the_api(api, ticket_app):
    token = create(api).get_json()["token"]
    added = api.post(f"/api/v1/tickets/{token}/details", json={"text": "Order 12345"})
    assert added.status_code == 200 and added.get_json()["details"] == "Order 12345"
    early = api.post(f"/api/v1/tickets/{token}/rating", json={"rating": 5})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "conflict"
    

    desk = ticket_app.extensions["kb"].desk
    add_operator(desk.db, "anna", "Anna K", "secret-password", role="lead")
    desk.take(1, "anna")
    desk.solve(1, "anna", answer="Tomorrow")
    rated = api.post(f"/api/v1/tickets/{token}/rating", json={"rating": 5}).get_json()
    assert rated["status"] == "closed" and rated["rating"] == 5 and rated["operator"] == "Anna"


@pytest.mark.parametrize("send, status, code", [
    ({"json": {"email": "ann@example.com"}}, 400, "invalid_input"),
    ({"json": {"question": "Where?"}}, 400, "invalid_input"),
    ({"json": {"question": "Where?", "email": "ann@example.com", "channel": "pigeon"}}, 400, "invalid_input"),
    ({"json": {"question": "Where?", "email": "ann@example.com", "colour": "red"}}, 400, "invalid_input"),
    ({"json": {"question": 42, "email": "ann@example.com"}}, 400, "invalid_input"),
    ({"json": {"question": "Where?", "email": {"a": 1}}}, 400, "invalid_input"),
    ({"json": ["not", "an", "object"]}, 400, "invalid_input"),
    ({"data": "question=Where", "content_type": "application/x-www-form-urlencoded"}, 400, "invalid_input"),
    ({"data": "{broken json", "content_type": "application/json"}, 400, "invalid_input"),
])
def test_bad_input_is_a_4xx_in_the_one_error_shape(api, send, status, code):
    response = api.post("/api/v1/tickets", **send)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["status"] == status and error["code"] == code and error["message"]


def test_wrong_token_is_404_everywhere(api):
    csrf = csrf_token(api, create(api).get_json()["token"])
    for method, path, body in (("get", "/api/v1/tickets/nope", None),
                               ("post", "/api/v1/tickets/nope/details", {"text": "x"}),
                               ("post", "/api/v1/tickets/nope/rating", {"rating": 5})):
        response = getattr(api, method)(path, json=body)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert api.get("/tickets/nope").status_code == 404
    assert api.post("/tickets/nope/details", data={"text": "x", "csrf_token": csrf}).status_code == 404


def test_bad_details_and_ratings_are_4xx(api):
    token = create(api).get_json()["token"]
    for path, body in (("details", {"text": ""}), ("details", {"text": ["x"]}), ("rating", {"rating": "five"}),
                       ("rating", {"rating": 0}), ("details", {})):
        response = api.post(f"/api/v1/tickets/{token}/{path}", json=body)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_input", body


def test_status_page_shows_the_request_and_takes_details(api):
    token = create(api, name="Ann").get_json()["token"]
    page = api.get(f"/tickets/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Request #1" in html and "Where is my parcel?" in html
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert 'id="place">1<' in html and 'id="expected"' in html and "Rate the answer" not in html
    sent = api.post(f"/tickets/{token}/details", data={"text": "Order <b>12345</b>", "csrf_token": csrf_token(api, token)})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/tickets/{token}?done=1")
    html = api.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Order &lt;b&gt;12345&lt;/b&gt;" in html and "Thank you" in html
    empty = api.post(f"/tickets/{token}/details", data={"text": "  ", "csrf_token": csrf_token(api, token)})
    assert empty.status_code == 400 and "is required" in empty.get_data(as_text=True)
