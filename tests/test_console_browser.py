"""An operator in a real browser (Debian's Chromium through Playwright) on the sample knowledge base:
logs in, types the caller's question key by key, opens the answer with the keyboard, copies it,
registers the call; and the time from a keystroke to the results drawn."""
from __future__ import annotations

import json
import re

import pytest
from conftest import STAFF_PASSWORD, add_staff, keystroke_latencies

# Wordings of our own, never an article's stored `questions:`.
CANCEL_WORDING = "покупатель раздумал брать товар и просит аннулировать покупку"


@pytest.fixture
def served(serve_sample):
    base, app = serve_sample()
    add_staff(app, "olga", "operator", name="Olga Petrova")
    return base, app.extensions["kb"]


def _signed_in(browser, base, lang="en"):
    context = browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang},
                                  viewport={"width": 1440, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    page.goto(base + "/login")
    page.locator("#login").fill("olga")
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(r"/console$"))
    return page


def test_an_operator_answers_a_call_with_the_keyboard_and_registers_it(served, browser):
    from playwright.sync_api import expect

    base, services = served
    page = _signed_in(browser, base)
    expect(page.locator("#q")).to_be_focused()

    # Key by key: the results follow, and the question is copied into the call form.
    page.keyboard.type(CANCEL_WORDING, delay=25)
    page.wait_for_function("q => document.getElementById('results').dataset.query === q", arg=CANCEL_WORDING)
    first = page.locator("#results .hit").first
    expect(first).to_have_attribute("data-id", "cancel-order")
    expect(page.locator("#question")).to_have_value(CANCEL_WORDING)
    expect(page.locator("#q")).to_be_focused()

    # ArrowDown + Enter: the answer beside the operator notes; focus leaves the box so letters act.
    page.keyboard.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    answer = page.locator("#answer-view")
    expect(answer).to_have_attribute("data-id", "cancel-order")
    expect(answer.locator(".notes")).to_contain_text("Отзыв отправления")
    expect(answer).to_be_focused()
    expect(page.locator("#call-article")).to_contain_text("Как отменить заказ?")

    # c copies the answer as plain text, with a visible confirmation.
    page.keyboard.press("c")
    expect(page.locator("#copied")).to_have_text("Copied: ready to paste")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Отменить заказ можно в Личный кабинет → Заказы") and "**" not in copied
    expect(page.locator("#q")).to_have_value(CANCEL_WORDING)  # the key did not type into the box

    # l: the other language, and back; Escape returns to the search box.
    page.keyboard.press("l")
    expect(answer).to_have_attribute("data-id", "en-cancel-order")
    page.keyboard.press("Alt+l")
    expect(answer).to_have_attribute("data-id", "cancel-order")
    page.keyboard.press("Escape")
    expect(page.locator("#q")).to_be_focused()

    # The caller's contact: their earlier tickets appear beside the form.
    services.desk.create_ticket("Где мой заказ 5531?", phone="+79123456789", now=None)
    page.keyboard.press("Alt+r")
    expect(page.locator("#contact")).to_be_focused()
    page.keyboard.type("+7 912 345-67-89", delay=10)
    expect(page.locator("#history")).to_contain_text("Где мой заказ 5531?")

    # Register: a confirmation with the ticket's link, a clean form, focus back in the search box.
    page.keyboard.press("Control+Enter")
    confirmation = page.locator("#call-confirm")
    expect(confirmation).to_contain_text("ticket #2")
    expect(confirmation.locator("a")).to_have_attribute("href", "/desk/tickets/2")
    expect(page.locator("#q")).to_be_focused()
    expect(page.locator("#q")).to_have_value("")
    expect(page.locator("#question")).to_have_value("")
    expect(page.locator("#contact")).to_have_value("")
    ticket = services.desk.show(2)
    assert ticket["status"] == "solved" and ticket["owner"] == "olga" and ticket["article_id"] == "cancel-order"
    assert ticket["question"] == CANCEL_WORDING and ticket["customer"]["phone"] == "+79123456789"

    # A question nothing answers: "no match" said plainly; registered as a call-back.
    page.keyboard.type("what is the best pancake recipe with buttermilk", delay=10)
    expect(page.locator("#results .nomatch")).to_contain_text("No match")
    page.locator("#contact").fill("anna@example.com")
    page.locator("label[for=outcome-1]").click()
    page.get_by_role("button", name="Register the call").click()
    expect(page.locator("#call-confirm")).to_contain_text("ticket #3")
    assert services.desk.show(3)["status"] == "open" and services.desk.show(3)["article_id"] is None


def test_without_javascript_the_console_searches_and_registers(served, browser):
    from playwright.sync_api import expect

    base, services = served
    context = browser.new_context(locale="ru", java_script_enabled=False, extra_http_headers={"Accept-Language": "ru"})
    page = context.new_page()
    page.goto(base + "/login")
    page.locator("#login").fill("olga")
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("#password").press("Enter")
    page.locator("#q").fill(CANCEL_WORDING)
    page.locator("#q").press("Enter")
    page.locator("#results .hit").first.click()
    expect(page.locator("#answer-view .notes")).to_contain_text("Отзыв отправления")
    page.locator("#contact").fill("12")  # not a phone number: the form comes back with the error
    page.locator("#call-form button[type=submit]").click()
    expect(page.locator("#contact")).to_have_attribute("aria-invalid", "true")
    page.locator("#contact").fill("+7 912 345-67-89")
    page.locator("#call-form button[type=submit]").click()
    expect(page.locator("#call-confirm a")).to_have_attribute("href", "/desk/tickets/1")
    assert services.desk.show(1)["status"] == "solved"


@pytest.mark.timing  # measured alone: `make test` runs it after the parallel part
def test_keystroke_to_results_drawn_in_the_console(served, browser):
    """Every keystroke of a few questions typed at a person's pace: the time from the input event
    to the results painted. The target is p95 under 100 ms."""
    base, _ = served
    page = _signed_in(browser, base, "ru")
    questions = ["клиент не может найти посылку", "вернуть деньги за брак", "не приходит смс с кодом",
                 "карта отклонена при оплате", "сколько стоит курьер", "customer forgot the password"]
    report = keystroke_latencies(page, questions)
    print("console: keystroke to results drawn:", json.dumps(report))
    assert report["p95_ms"] < 100, report


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_hints_register_key_works_from_the_search_box(served_without_index, browser, lang):
    """Focus is in the search box, where a bare letter is typed into the question: the key the hint
    shows for registering must take the operator to the call form from there, typing nothing."""
    from playwright.sync_api import expect

    page = _signed_in(browser, served_without_index, lang)
    box = page.locator("#q")
    box.fill("где мой заказ")
    box.focus()
    hint = page.locator(".keys span").filter(has_text="register" if lang == "en" else "зарегистрировать")
    keys = "+".join(hint.locator("kbd").all_inner_texts())
    page.keyboard.press(keys)
    expect(page.locator("#contact")).to_be_focused()
    expect(box).to_have_value("где мой заказ")
