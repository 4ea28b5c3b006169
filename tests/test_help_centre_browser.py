"""A visitor in a real browser (Debian's Chromium through Playwright) on the sample knowledge base:
searches as they type and with JavaScript off, opens an article, votes, switches language, asks
what nothing answers and gets the confirmation page. Also measures keystroke → results drawn."""
from __future__ import annotations

import json
import re

import pytest
from conftest import keystroke_latencies


@pytest.fixture
def served(serve_sample):
    base, app = serve_sample()
    return base, app.extensions["kb"]


def _page(browser, lang="ru", javascript=True):
    context = browser.new_context(locale=lang, java_script_enabled=javascript,
                                  extra_http_headers={"Accept-Language": lang})
    return context.new_page()


def test_a_visitor_finds_reads_votes_switches_language_and_asks(served, browser):
    from playwright.sync_api import expect

    base, services = served
    page = _page(browser, "ru")
    page.goto(base + "/")
    expect(page.locator("h1")).to_have_text("Чем помочь?")
    expect(page.locator("#q")).to_be_focused()

    # As they type: results appear without pressing Enter, linking to the article pages.
    page.keyboard.type("передумал, можно отказаться от покупки?", delay=20)
    # The results of the whole question are drawn (the address follows what is shown).
    page.wait_for_function("() => decodeURIComponent(location.search).endsWith('покупки?')")
    first = page.locator("#results .result h2 a").first
    expect(first).to_have_text("Как отменить заказ?")
    expect(page.locator("#results")).not_to_contain_text("cancel-order")  # no internal ids

    first.click()
    expect(page.locator("article h1")).to_have_text("Как отменить заказ?")
    html = page.content()
    assert "Для оператора" not in html and "OMS" not in html, "the operator notes reached the visitor"

    # "Was this helpful?" → No: stored with the question, and the question form is offered.
    page.get_by_role("button", name="Нет").click()
    expect(page.get_by_role("status")).to_contain_text("Жаль, что не помогло")
    [vote] = services.votes.recent()
    assert vote["article_id"] == "cancel-order" and not vote["helpful"]
    assert vote["question"] == "передумал, можно отказаться от покупки?" and vote["position"] == 1

    # The switch: the same topic in English, and English stays chosen.
    page.get_by_role("link", name="English").click()
    expect(page.locator("article h1")).to_have_text("How do I cancel my order?")
    expect(page.locator("header .brand")).to_have_text("Help centre")
    assert "For operators" not in page.content() and "OMS" not in page.content()
    page.goto(base + "/")
    expect(page.locator("h1")).to_have_text("How can we help?")

    # Nothing answers: the page says so, the form is filled with the question; a ticket results.
    question = "What is a good recipe for pancakes with milk?"
    page.locator("#q").fill(question)
    expect(page.locator("#results .none")).to_contain_text("no ready answer")
    expect(page.locator("#question")).to_have_value(question)
    page.locator("#email").fill("visitor@example.com")
    page.get_by_role("button", name="Send the question").click()
    expect(page.locator("h1")).to_have_text("We have your question")
    expect(page.locator("#place")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#expected time")).not_to_be_empty()
    status_link = page.locator(".status-link a")
    token = status_link.get_attribute("href").rsplit("/", 1)[1]
    # Written out whole by the page's script from the address the browser is on (the server sends it
    # relative without KB_PUBLIC_URL: it never takes the host from the Host header).
    expect(status_link).to_have_text(f"{base}/tickets/{token}")
    assert services.desk.status(token)["question"] == question


def test_without_javascript_search_article_and_the_question_form_work(served, browser):
    from playwright.sync_api import expect

    base, services = served
    page = _page(browser, "en", javascript=False)
    page.goto(base + "/")
    page.locator("#q").fill("how long does a refund take to reach my card")
    page.locator("#q").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=how"))
    first = page.locator("#results .result h2 a").first
    expect(first).to_be_visible()
    first.click()
    expect(page.locator("article h1")).to_be_visible()
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("status")).to_contain_text("Glad it helped")
    assert services.votes.recent()[0]["helpful"] is True

    page.goto(base + "/search?q=" + "Do you sell tickets to the Moon landing?")
    expect(page.locator("#results .none")).to_be_visible()
    page.locator("#phone").fill("+7 912 345-67-89")
    page.get_by_role("button", name="Send the question").click()
    expect(page.locator("h1")).to_have_text("We have your question")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_under_an_answer_a_visitor_asks_a_person_with_the_question_carried(served, browser, javascript):
    """An answer that did not answer: one click under it, the form holds the question, and the query
    log's row of that question learns the ticket (so the lead's "answered" leaves it out)."""
    from playwright.sync_api import expect

    base, services = served
    question = "how long does a refund take to reach my card"
    page = _page(browser, "en", javascript=javascript)
    page.goto(base + "/")
    if javascript:
        page.locator("#q").focus()  # typing can start before the page's autofocus lands on a busy machine
        page.keyboard.type(question, delay=10)
        page.wait_for_function("() => decodeURIComponent(location.search).endsWith('my card')")
    else:
        page.locator("#q").fill(question)
        page.locator("#q").press("Enter")
    expect(page.locator("#results .result").first).to_be_visible()
    # the footer's "Ask a question" holds the question too, typed or sent
    footer = page.locator("footer").get_by_role("link", name="Ask a question")
    expect(footer).to_have_attribute("href", re.compile(r"/ask\?q=how\+long|/ask\?q=how%20long"))
    page.get_by_role("link", name="This didn't answer my question").click()
    expect(page.locator("h1")).to_have_text("Ask a question")
    expect(page.locator("#question")).to_have_value(question)
    page.locator("#email").fill("carried@example.com")
    page.get_by_role("button", name="Send the question").click()
    expect(page.locator("h1")).to_have_text("We have your question")
    services.questions.flush()
    # the row of the question, found by the page's id of it (typed: the last text may not be the whole)
    [row] = [r for r in services.questions.between() if r["ticket"] is not None]
    assert question.startswith(row["text"]) and not row["no_match"]


@pytest.mark.timing  # measured alone: `make test` runs it after the parallel part
def test_keystroke_to_results_drawn_in_the_browser(served, browser, tmp_path):
    """Every keystroke of a few questions typed at a person's pace: the time from the input event
    to the results painted. The target is p95 under 100 ms on this 2-core machine."""
    base, _ = served
    page = _page(browser, "ru")
    page.goto(base + "/")
    questions = ["где мой заказ", "как вернуть товар", "не приходит код", "оплата картой не проходит",
                 "сколько стоит доставка", "how do I reset my password"]
    report = keystroke_latencies(page, questions)
    print("keystroke to results drawn:", json.dumps(report))
    # The bound is loose for a loaded CI machine; the measured figures are quoted in the issue note.
    assert report["p95_ms"] < 300, report
