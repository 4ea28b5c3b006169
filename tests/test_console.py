"""The operator console: registering a call (the desk, on SQLite and PostgreSQL), and the console's
pages over the real sample index: the results fragment, the answer beside the operator notes, the
call form and the caller's earlier tickets."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from kb.desk.operators import add_operator
from kb.desk.reports import monthly_report
from kb.errors import InvalidInput, NotAllowed

MONDAY = datetime(2025, 3, 3, 10, 0)  # inside the default working hours
MINUTE = timedelta(minutes=1)


def staff(desk, login, tier=1, role="operator"):
    return add_operator(desk.db, login, f"{login.title()} Petrova", "a-long-password", tier=tier, role=role,
                        seniority=2, now=MONDAY)


def kinds(desk, number):
    return [(e["kind"], e["actor"], e["operator"]) for e in desk.show(number)["events"]]


# --- the desk: Desk.register_call and Desk.tickets_of_contact --------------------------------------

def test_an_answered_call_is_a_solved_ticket_of_the_operator_linked_to_the_article(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    staff(desk, "ivan")  # another operator of tier 1: auto-assignment must not give him the call
    call = desk.register_call("olga", "Can I still cancel the order I paid for yesterday?", phone="+7 (912) 000-11-22",
                              name="Maria", article_id="en-cancel-order", answer="Cancel it in Orders.",
                              search_query="cancel paid order", now=MONDAY + MINUTE)
    assert call["status"] == "solved" and call["owner"] == "olga" and call["outcome"] == "answered"
    assert call["channel"] == "phone" and call["article_id"] == "en-cancel-order" and not call["joined"]
    shown = desk.show(call["number"])
    assert shown["article_id"] == "en-cancel-order" and shown["answer"] == "Cancel it in Orders."
    assert shown["search_query"] == "cancel paid order" and shown["language"] == "en"
    assert shown["customer"] == {"name": "Maria", "email": None, "phone": "+79120001122"}
    assert shown["first_response_at"] == MONDAY + MINUTE and shown["solved_at"] == MONDAY + MINUTE
    assert kinds(desk, call["number"]) == [("created", "operator", "olga"), ("assigned", "operator", "olga"),
                                           ("solved", "operator", "olga")]
    created, assigned, solved = shown["events"]
    assert created["params"] == {"channel": "phone", "registered_by": "olga"} and created["note"] == ""
    assert solved["first_response"] and not solved["late"]
    assert solved["note"] == "Cancel it in Orders." and solved["params"] == {"article": "en-cancel-order"}
    # The month's statistics count it for the operator: received, solved, a first response.
    [row] = [r for r in monthly_report(desk.db, "2025-03")["operators"] if r["login"] == "olga"]
    assert row["received"] == 1 and row["solved"] == 1
    assert not [r for r in monthly_report(desk.db, "2025-03")["operators"] if r["login"] == "ivan"]


def test_an_open_call_stays_with_the_operator_for_a_call_back(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    staff(desk, "ivan")
    call = desk.register_call("olga", "Курьер не приехал, перезвоните мне после обеда", email="Anna@Example.COM",
                              channel="chat", outcome="open", now=MONDAY)
    assert call["status"] == "open" and call["owner"] == "olga" and call["tier"] == 1
    shown = desk.show(call["number"])
    assert shown["language"] == "ru" and shown["customer"]["email"] == "anna@example.com"
    assert shown["first_response_at"] is None and shown["article_id"] is None
    assert kinds(desk, call["number"]) == [("created", "operator", "olga"), ("assigned", "operator", "olga")]
    assert shown["events"][0]["params"] == {"channel": "chat", "registered_by": "olga"}
    # Olga owns it: she can solve it later from the desk.
    assert desk.solve(call["number"], "olga", answer="Delivered today.", now=MONDAY + 60 * MINUTE)["status"] == "solved"


def test_a_call_back_has_the_call_back_target_and_no_breach_against_the_operator(desk):
    """A phone call registered for a call-back is due within KB_CALLBACK working hours (4 h), not the
    phone channel's 5 minutes: calling back an hour later is on time and no breach in the month."""
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    call = desk.register_call("olga", "Перезвоните, когда найдёте мою посылку", phone="89120001122",
                              outcome="open", now=MONDAY)
    assert call["first_response_due"] == MONDAY + timedelta(hours=4)
    friday_evening = datetime(2025, 3, 7, 17, 0)  # one working hour left: three more on Monday
    staff(desk, "ivan")
    late_call = desk.register_call("ivan", "И вторую тоже", phone="89120001123", outcome="open", now=friday_evening)
    assert late_call["first_response_due"] == datetime(2025, 3, 10, 12, 0)
    desk.comment(call["number"], "olga", "Нашли, везём завтра.", now=MONDAY + timedelta(hours=1))
    assert not desk.show(call["number"])["events"][-1]["late"]
    report = monthly_report(desk.db, "2025-03", now=MONDAY + timedelta(hours=2))
    [row] = [r for r in report["operators"] if r["login"] == "olga"]
    assert row["breaches"] == 0


def test_a_passed_on_call_goes_to_the_next_tier_with_the_note(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    staff(desk, "petr", tier=2)
    call = desk.register_call("olga", "The refund for order 5531 never arrived", phone="89120001122",
                              outcome="pass_on", note="Refund shows as sent in OMS; bank says nothing came.",
                              now=MONDAY)
    assert call["status"] == "open" and call["tier"] == 2 and call["owner"] == "petr"
    events = desk.show(call["number"])["events"]
    assert [(e["kind"], e["operator"]) for e in events] == [
        ("created", "olga"), ("assigned", "olga"), ("passed_on", "olga"), ("assigned", "petr")]
    assert events[2]["note"] == "Refund shows as sent in OMS; bank says nothing came."
    assert events[2]["params"] == {"to_tier": 2}
    assert events[2]["tier"] == 1


def test_a_call_taken_at_tier_2_is_worked_there_and_passed_on_to_tier_3(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "petr", tier=2)
    staff(desk, "vera", tier=3)
    call = desk.register_call("petr", "Списали деньги дважды за заказ 5531", phone="89120001122",
                              outcome="pass_on", note="Двойное списание видно в биллинге, нужен возврат.", now=MONDAY)
    assert call["tier"] == 3 and call["owner"] == "vera"
    assert desk.show(call["number"])["events"][2]["tier"] == 2  # passed on from tier 2
    kept = desk.register_call("petr", "Ещё вопрос про тот же заказ", phone="89120001122", outcome="open", now=MONDAY)
    assert kept["tier"] == 2 and kept["owner"] == "petr"


def test_a_registered_call_never_joins_the_callers_open_ticket(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    first = desk.create_ticket("Where is my parcel?", phone="+79120001122", now=MONDAY)
    call = desk.register_call("olga", "Where is my parcel?", phone="+7 912 000 11 22", outcome="open",
                              now=MONDAY + MINUTE)
    assert call["number"] != first["number"] and not call["joined"]
    assert desk.show(call["number"])["customer"]["phone"] == desk.show(first["number"])["customer"]["phone"]


@pytest.mark.parametrize("fields, message", [
    ({"question": "  "}, "question is empty"),
    ({"phone": None}, "e-mail address or a phone"),
    ({"email": "not-an-address", "phone": None}, "does not look like"),
    ({"channel": "fax"}, "channel must be"),
    ({"outcome": "maybe"}, "outcome must be"),
    ({"article_id": None, "answer": None}, "answered call needs"),
    ({"outcome": "pass_on", "note": "  "}, "note for the next tier"),
    ({"answer": "x" * 5001}, "longer than"),
])
def test_bad_calls_are_refused_and_nothing_is_written(desk, fields, message):
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    call = {"question": "Where is my parcel?", "phone": "+79120001122", "article_id": "track-order", **fields}
    with pytest.raises(InvalidInput, match=message):
        desk.register_call("olga", call.pop("question"), now=MONDAY, **call)
    assert desk.list_tickets() == []
    assert desk.tickets_of_contact("+79120001122") == []


def test_editors_may_not_register_calls(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "eva", role="editor")
    with pytest.raises(NotAllowed):
        desk.register_call("eva", "Where is my parcel?", phone="+79120001122", outcome="open", now=MONDAY)
    assert desk.tickets_of_contact("+79120001122") == []


def test_the_tickets_of_a_contact_newest_first(desk):
    staff(desk, "admin", role="admin")
    staff(desk, "olga")
    desk.create_ticket("Where is my parcel?", email="ann@example.com", phone="+79120001122", now=MONDAY)
    desk.register_call("olga", "How do points work?", phone="+7 912 000-11-22", outcome="open", now=MONDAY + MINUTE)
    desk.create_ticket("Someone else's question", email="bob@example.com", now=MONDAY)
    assert [t["question"] for t in desk.tickets_of_contact("+7 912 000 11 22")] == [
        "How do points work?", "Where is my parcel?"]
    # intake keeps the digits as typed (8... and +7... are different numbers to it): the same here
    assert [t["question"] for t in desk.tickets_of_contact("8 (912) 000-11-22")] == []
    found = desk.tickets_of_contact("  ANN@example.com ")
    assert [(t["question"], t["status"], t["owner"]) for t in found] == [  # the same customer
        ("How do points work?", "open", "olga"), ("Where is my parcel?", "open", "olga")]
    assert desk.tickets_of_contact("+7 912", limit=5) == []  # not a number yet
    assert len(desk.tickets_of_contact("+79120001122", limit=1)) == 1
    assert desk.tickets_of_contact("nobody@example.com") == []
    with pytest.raises(InvalidInput):
        desk.tickets_of_contact("x" * 400)


# --- the console's pages over the real sample index ------------------------------------------------

# A wording of its own (none of cancel-order's stored `questions:`), as a caller might put it.
CANCEL_WORDING = "покупатель раздумал брать товар и просит аннулировать покупку"
PHONE = "+7 912 345-67-89"


def _call(client, **fields):
    from conftest import csrf_of

    data = {"csrf_token": csrf_of(client, "/console"), "contact": PHONE, "name": "", "channel": "phone",
            "question": CANCEL_WORDING, "outcome": "answered", "article_id": "cancel-order", "answer": "",
            "note": "", "search_query": CANCEL_WORDING, **fields}
    return data


def test_the_console_is_for_the_desk_roles_only(app):
    from conftest import sign_in

    anonymous = app.test_client().get("/console")
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["Location"]
    assert sign_in(app, "eva", "editor").get("/console").status_code == 403
    for login, role in (("olga", "operator"), ("lena", "lead"), ("adam", "admin")):
        page = sign_in(app, login, role).get("/console")
        assert page.status_code == 200 and 'id="q"' in page.get_data(as_text=True)


def test_the_results_fragment_finds_the_article_for_a_new_wording(app):
    from conftest import sign_in

    client = sign_in(app, "olga")
    answer = client.get("/console/results", query_string={"q": CANCEL_WORDING})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    hits = re.findall(r'class="hit"[^>]*data-id="([^"]+)"', html)
    assert hits[0] == "cancel-order" and len(hits) <= 5
    first = html[html.index('data-id="cancel-order"'):].split("</li>")[0]
    assert "Как отменить заказ?" in first and ">RU<" in first and re.search(r">\d{1,3}%<", first)
    assert "<mark>" in first  # the snippet, escaped by the search, with the question's words marked
    assert "No match" not in html
    assert len(html) < 8000  # small: it is fetched on every keystroke
    nothing = client.get("/console/results", query_string={"q": "what is the best pancake recipe with buttermilk"})
    assert "No match" in nothing.get_data(as_text=True)
    assert client.get("/console/results?q=").get_data(as_text=True) == ""
    assert client.get("/console/results", query_string={"q": "bad\x00text"}).status_code == 200


def test_operator_notes_show_in_the_console_and_never_on_the_public_page(app):
    from conftest import sign_in

    client = sign_in(app, "olga")
    panel = client.get("/console/articles/cancel-order")
    html = panel.get_data(as_text=True)
    assert panel.status_code == 200
    assert "Отзыв отправления" in html and "Operator notes" in html  # the notes, rendered from Markdown
    assert "Личный кабинет → Заказы" in html  # the answer beside them
    assert 'data-id="en-cancel-order"' in html  # the other language, one key away
    plain = re.search(r'<template id="answer-plain">(.*?)</template>', html, re.S).group(1)
    assert "**" not in plain and plain.startswith("Отменить заказ можно в Личный кабинет")
    public = app.test_client().get("/articles/cancel-order").get_data(as_text=True)
    assert "Отзыв отправления" not in public and "OMS" not in public
    assert client.get("/console/articles/no-such-article").status_code == 404
    assert client.get("/console/articles/../../etc/passwd").status_code == 404
    # Without JavaScript the page itself shows the results and the opened answer.
    page = client.get("/console", query_string={"q": CANCEL_WORDING, "article": "cancel-order"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Отзыв отправления" in html and 'data-id="cancel-order"' in html
    assert 'name="article_id" type="hidden" value="cancel-order"' in html
    assert client.get("/console", query_string={"article": "nope"}).status_code == 200


def test_an_answered_call_is_registered_with_a_redirect_and_a_confirmation(app):
    from conftest import sign_in

    client = sign_in(app, "olga")
    posted = client.post("/console/calls", data=_call(client))
    assert posted.status_code == 303 and posted.headers["Location"].endswith("/console")
    page = client.get("/console").get_data(as_text=True)
    assert 'href="/desk/tickets/1"' in page and "ticket #1" in page
    assert "ticket #1" not in client.get("/console").get_data(as_text=True)  # shown once
    ticket = app.extensions["kb"].desk.show(1)
    assert ticket["status"] == "solved" and ticket["owner"] == "olga" and ticket["article_id"] == "cancel-order"
    assert ticket["channel"] == "phone" and ticket["customer"]["phone"] == "+79123456789"
    assert ticket["search_query"] == CANCEL_WORDING
    assert [e["kind"] for e in ticket["events"]] == ["created", "assigned", "solved"]


def test_a_call_posted_by_the_script_gets_the_fresh_form_back(app):
    from conftest import sign_in

    client = sign_in(app, "olga")
    answer = client.post("/console/calls", headers={"X-Requested-With": "fetch"}, data=_call(
        client, outcome="pass_on", note="Tried the OMS; the carrier must recall it.", article_id=""))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'id="call-form"' in html and "<html" not in html
    assert 'href="/desk/tickets/1"' in html and "tier 2" in html
    assert 'name="question"' in html and CANCEL_WORDING not in html  # the form is reset
    ticket = app.extensions["kb"].desk.show(1)
    assert ticket["tier"] == 2 and ticket["status"] == "new" and ticket["owner"] is None  # no tier-2 operator yet
    assert [e["kind"] for e in ticket["events"]] == ["created", "assigned", "passed_on"]
    callback = client.post("/console/calls", headers={"X-Requested-With": "fetch"},
                           data=_call(client, outcome="open", article_id="", contact="anna@example.com"))
    assert callback.status_code == 200
    assert app.extensions["kb"].desk.show(2)["status"] == "open"
    assert app.extensions["kb"].desk.show(2)["owner"] == "olga"


@pytest.mark.parametrize("fields, error", [
    ({"contact": ""}, "phone number or e-mail"),
    ({"contact": "12"}, "5 to 20 digits"),
    ({"contact": "anna@"}, "does not look like an e-mail"),
    ({"question": ""}, "Write the caller"),
    ({"article_id": "", "answer": ""}, "Open the article you read out"),
    ({"outcome": "pass_on", "note": ""}, "why it goes up"),
    ({"outcome": "maybe"}, "Not a valid choice"),
    ({"channel": "fax"}, "Not a valid choice"),
    ({"answer": "x" * 5001}, "5000"),
    ({"csrf_token": "forged"}, None),  # refused by CSRFProtect before the view: the error page
])
def test_a_bad_call_form_is_shown_again_with_the_errors_and_nothing_is_written(app, fields, error):
    from conftest import sign_in

    client = sign_in(app, "olga")
    for headers in ({}, {"X-Requested-With": "fetch"}):
        answer = client.post("/console/calls", data=_call(client, **fields), headers=headers)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 400, html[:300]
        if error:
            assert error in html.replace("&#39;", "'")
            assert 'id="call-form"' in html and ('<html' in html) == (not headers)
    desk = app.extensions["kb"].desk
    assert desk.list_tickets() == [] and desk.list_tickets(status="solved") == []


def test_the_callers_earlier_tickets(app):
    from conftest import sign_in

    client = sign_in(app, "olga")
    desk = app.extensions["kb"].desk
    desk.create_ticket("Где мой заказ 5531?", phone="+79123456789")
    client.post("/console/calls", data=_call(client))
    html = client.get("/console/customer", query_string={"contact": "+7 (912) 345 67 89"}).get_data(as_text=True)
    assert html.index('href="/desk/tickets/2"') < html.index('href="/desk/tickets/1"')  # newest first
    assert "Где мой заказ 5531?" in html and ">solved<" in html and ">open<" in html  # auto-assigned to olga
    unknown = client.get("/console/customer", query_string={"contact": "nobody@example.com"})
    assert unknown.status_code == 200 and "No earlier tickets" in unknown.get_data(as_text=True)
    assert client.get("/console/customer", query_string={"contact": "x" * 1000}).status_code == 200
    assert client.get("/console/customer").get_data(as_text=True).strip() == ""


def test_without_an_index_the_console_still_registers_calls(ticket_app):
    from conftest import sign_in

    client = sign_in(ticket_app, "olga")
    assert client.get("/console").status_code == 200
    calm = client.get("/console/results", query_string={"q": "где мой заказ"})
    assert calm.status_code == 200 and "index is not built" in calm.get_data(as_text=True)
    assert client.get("/console/articles/cancel-order").status_code == 404
    posted = client.post("/console/calls", data=_call(client, article_id="", outcome="open"))
    assert posted.status_code == 303
    assert ticket_app.extensions["kb"].desk.show(1)["owner"] == "olga"


def test_a_registered_call_shows_the_status_link_and_says_nothing_is_sent(ticket_app):
    """A call's ticket reaches the customer only through its status link: the console shows it once
    after registering, the ticket page always, and both say plainly that nothing is sent."""
    from conftest import sign_in

    client = sign_in(ticket_app, "olga")
    posted = client.post("/console/calls", data=_call(client, article_id="", outcome="open"))
    assert posted.status_code == 303
    token = ticket_app.extensions["kb"].desk.show(1)["token"]
    console = client.get("/console", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    confirm = console.split('id="call-status-link"')[1].split("</div>")[0]
    assert f"/tickets/{token}" in confirm and "Клиенту ничего не отправляется" in confirm
    assert 'id="call-status-link"' not in client.get("/console").get_data(as_text=True)  # shown once
    page = client.get("/desk/tickets/1").get_data(as_text=True)
    assert f"/tickets/{token}" in page.split('id="status-link"')[1].split("</dd>")[0]
    assert "The customer sees this on their request page" not in page and "nothing is sent to them" in page
