"""Issue 26: whoever only knows a customer's e-mail address cannot write into their open ticket nor
learn that there is one. A question from the public API or form is always a request of its own (the
proof that joins is the status link); staff see it linked to the open one as "same contact, maybe
related". SQLite and PostgreSQL."""
from __future__ import annotations

import re

from tests.conftest import sign_in

QUESTION = "Where is my parcel?"
HOSTILE_DETAILS = "Please change the delivery address to 1 Evil Street, Moscow"


def first_ticket(api) -> dict:
    created = api.post("/api/v1/tickets", json={"question": QUESTION, "email": "ann@example.com"})
    assert created.status_code == 201
    return created.get_json()


def shape(response) -> tuple:
    body = response.get_json()
    return response.status_code, tuple(sorted(body)), body["status"], body["joined"]


def test_the_api_answers_a_known_address_as_a_new_one_and_writes_nothing_into_its_ticket(api, ticket_app):
    first = first_ticket(api)
    desk = ticket_app.extensions["kb"].desk
    # Hostile: the same question, and a similar one, with the victim's address and "details".
    known = [api.post("/api/v1/tickets", json={"question": question, "email": "ann@example.com",
                                               "details": HOSTILE_DETAILS})
             for question in (QUESTION, "where is my parcel")]
    unknown = api.post("/api/v1/tickets", json={"question": QUESTION, "email": "nobody@example.com",
                                                "details": HOSTILE_DETAILS})
    assert {shape(r) for r in known} == {shape(unknown)} == {(201, shape(unknown)[1], "new", False)}
    assert len({r.get_json()["token"] for r in known} | {first["token"]}) == 3
    opened = desk.status(first["token"])
    assert opened["details"] == "" and opened["messages"] == []  # nothing the sender wrote reached it
    numbers = [r.get_json()["number"] for r in known]
    assert [desk.show(n)["related"] for n in numbers] == [[first["number"]], [first["number"], numbers[0]]]
    assert desk.show(unknown.get_json()["number"])["related"] == []


def csrf(client) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/ask").get_data(as_text=True)).group(1)


def test_the_form_answers_a_known_address_as_a_new_one(api, ticket_app):
    first = first_ticket(api)
    client = ticket_app.test_client()
    answers = [client.post("/ask", data={"csrf_token": csrf(client), "question": QUESTION, "email": email,
                                         "details": HOSTILE_DETAILS})
               for email in ("ann@example.com", "nobody@example.com")]
    assert [a.status_code for a in answers] == [303, 303]
    assert [re.sub(r"/tickets/[^?]+", "/tickets/T", a.headers["Location"]) for a in answers] == ["/tickets/T?new=1"] * 2
    assert first["token"] not in answers[0].headers["Location"]
    assert ticket_app.extensions["kb"].desk.status(first["token"])["details"] == ""


def test_staff_see_the_link_and_the_customer_does_not(api, ticket_app):
    first = first_ticket(api)
    again = api.post("/api/v1/tickets", json={"question": QUESTION, "email": "ann@example.com"}).get_json()
    staff = sign_in(ticket_app, "olga")
    html = staff.get(f"/desk/tickets/{again['number']}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    related = re.search(r'<p class="meta" id="related">(.*?)</p>', html, re.S).group(1)
    assert "Same contact, maybe related:" in related and f'href="/desk/tickets/{first["number"]}"' in related
    russian = staff.get(f"/desk/tickets/{again['number']}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Тот же контакт, возможно, связано с:" in russian
    status_page = api.get(f"/tickets/{again['token']}").get_data(as_text=True)
    assert "related" not in status_page and "#1" not in status_page


def test_the_status_link_is_the_proof_that_adds_to_a_request(api, ticket_app):
    first = first_ticket(api)
    added = api.post(f"/api/v1/tickets/{first['token']}/details", json={"text": "Order 12345"})
    assert added.status_code == 200 and "Order 12345" in added.get_json()["details"]
