"""One working day across the roles, in a real browser (Debian's Chromium through Playwright) over the
sample knowledge base: a tier-1 operator takes a call nothing answers and passes it on with a note;
a tier-2 operator finds it in the tier's queue with its history, takes it and solves it; the customer
sees the answer on the status page; the lead reads the month and downloads its CSV. Pages that are
not someone's are refused, and a form posted without its CSRF token is refused."""
from __future__ import annotations

import csv
import io
import re

import pytest
from conftest import STAFF_PASSWORD, add_staff

# A caller's question in words of our own; nothing in the sample knowledge base answers it.
UNANSWERED = "в пункте выдачи мне выдали чужую посылку, что с ней делать"
NOTE = "Клиенту выдали чужой заказ; нужна сверка с пунктом выдачи, у первой линии доступа нет."


@pytest.fixture
def served(serve_sample):
    base, app = serve_sample(auto_assign=False)
    add_staff(app, "ivan", "operator", tier=1, name="Ivan Petrov")
    add_staff(app, "maria", "operator", tier=2, name="Maria Sokolova")
    add_staff(app, "pavel", "lead", tier=3, name="Pavel Orlov")
    return base, app.extensions["kb"]


def _page(browser, base, login=None, lang="en"):
    context = browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang},
                                  viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.problems = problems
    if login:
        page.goto(base + "/login")
        page.locator("#login").fill(login)
        page.locator("#password").fill(STAFF_PASSWORD)
        page.locator("#password").press("Enter")
        page.wait_for_load_state()
        assert "/login" not in page.url
    return page


def test_a_call_goes_from_tier_1_to_tier_2_is_solved_and_the_lead_sees_it_in_the_month(served, browser):
    from playwright.sync_api import expect

    base, services = served

    # Tier 1: the question finds nothing; the call is passed on with a note, in one step.
    ivan = _page(browser, base, "ivan")
    expect(ivan.locator("#q")).to_be_focused()
    ivan.keyboard.type(UNANSWERED, delay=15)
    expect(ivan.locator("#results .nomatch")).to_be_visible()
    expect(ivan.locator("#question")).to_have_value(UNANSWERED)
    ivan.locator("#contact").fill("+7 912 000-11-22")
    ivan.locator("label[for=outcome-2]").click()
    ivan.locator("#note").fill(NOTE)
    ivan.get_by_role("button", name="Register the call").click()
    expect(ivan.locator("#call-confirm")).to_contain_text("ticket #1")
    expect(ivan.locator("#call-confirm")).to_contain_text("tier 2")
    assert services.desk.show(1)["tier"] == 2 and services.desk.show(1)["owner"] is None
    # Not theirs: the lead's and the admin's pages.
    for path in ("/lead/month", "/admin/operators"):
        refused = ivan.goto(base + path)
        assert refused.status == 403
        expect(ivan.locator("h1")).to_have_text("Not allowed")
    # Nor the tier-2 ticket: it can be read, but not taken at tier 1.
    ivan.goto(base + "/desk")
    expect(ivan.locator('tr[data-number="1"]')).to_have_count(0)

    # Tier 2: the ticket waits in the queue; its page holds everything tier 1 did.
    maria = _page(browser, base, "maria", lang="ru")
    maria.goto(base + "/desk")
    row = maria.locator('tr[data-number="1"]')
    expect(row).to_contain_text(UNANSWERED)
    row.locator("button.take").click()
    maria.wait_for_url("**/desk/tickets/1")
    history = maria.locator("#history")
    expect(history).to_contain_text(NOTE)
    expect(history).to_contain_text("ivan")
    expect(maria.locator("body")).to_contain_text("+79120001122")
    maria.locator("#solve-box summary").click()
    maria.locator("#answer-text").fill("Пожалуйста, верните посылку в пункт выдачи: мы заберём её и доставим вашу.")
    maria.locator("#solve-box button[type=submit]").click()
    maria.wait_for_url("**/desk/tickets/1")
    ticket = services.desk.show(1)
    assert ticket["status"] == "solved" and ticket["owner"] == "maria"
    assert [e["kind"] for e in ticket["events"]] == ["created", "assigned", "passed_on", "assigned", "solved"]

    # The customer's status page shows the answer, and nothing of the operators' notes.
    token = services.database.run(lambda s: s.execute(__import__("sqlalchemy").text(
        "SELECT token FROM tickets WHERE number = 1")).scalar_one())
    customer = _page(browser, base)
    customer.goto(f"{base}/tickets/{token}")
    expect(customer.locator("body")).to_contain_text("верните посылку в пункт выдачи")
    expect(customer.locator("body")).not_to_contain_text("сверка с пунктом выдачи")
    expect(customer.locator("body")).not_to_contain_text("ivan")

    # The lead: the month with both operators, and its CSV.
    pavel = _page(browser, base, "pavel")
    pavel.goto(base + "/lead/month")
    expect(pavel.locator("main")).to_contain_text("ivan")
    expect(pavel.locator("main")).to_contain_text("maria")
    with pavel.expect_download() as download:
        pavel.locator("#csv").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    by_name = {(row["Group"], row["Name"]): row for row in rows}
    names = {"ivan": "Ivan Petrov", "maria": "Maria Sokolova"}  # people's names, not their logins
    assert by_name[("Operator", names["ivan"])]["Passed on"] == "1"
    assert by_name[("Operator", names["maria"])]["Solved"] == "1"
    assert re.fullmatch(r"tickets-\d{4}-\d{2}\.csv", download.value.suggested_filename)

    for page in (ivan, maria, customer, pavel):
        assert page.problems == [], page.problems  # no script error, no CSP refusal


def test_an_anonymous_visitor_is_sent_to_sign_in_and_a_form_without_its_token_is_refused(served, browser):
    from playwright.sync_api import expect

    base, services = served
    visitor = _page(browser, base)
    for path in ("/console", "/desk", "/lead/now", "/admin/tokens"):
        visitor.goto(base + path)
        assert visitor.url.startswith(base + "/login?next=" + path)
        expect(visitor.locator("#login")).to_be_visible()

    # A page on another site cannot post for a signed-in operator: the form without its token fails.
    services.desk.create_ticket("Где мой заказ 4410?", email="csrf@example.com")
    ivan = _page(browser, base, "ivan")
    ivan.goto(base + "/desk")
    ivan.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    ivan.locator('tr[data-number="1"] button.take').click()
    ivan.wait_for_load_state()
    expect(ivan.locator("h1")).to_have_text("The request could not be understood")
    assert services.desk.show(1)["owner"] is None


OUTSIDE_CELL = """() => [...document.querySelectorAll('table.tickets .pill, table.tickets button, table.tickets select')]
    .filter(e => { const r = e.getBoundingClientRect(), cell = e.closest('td').getBoundingClientRect();
                   return r.right > cell.right + 1 || r.left < cell.left - 1; })
    .map(e => e.textContent.trim().slice(0, 40))"""


@pytest.mark.parametrize("width", [1440, 1280])
def test_deadlines_and_buttons_stay_inside_their_cells_in_russian(served_without_index, ticket_app, browser, width):
    """A ticket 15 hours late ("просрочено на 15 ч 07 мин", and "ответ" before it on the board) and the
    board's reassign form fit their columns on /desk and /lead/now at laptop widths."""
    from datetime import timedelta

    from kb.desk.records import utcnow

    desk = ticket_app.extensions["kb"].desk
    now = utcnow()
    for n, minutes in enumerate((35 * 60 + 7, 20 * 60 + 30, 21 * 60)):
        desk.create_ticket(f"Курьер не приехал, а в приложении написано, что заказ {n} доставлен вчера вечером",
                           email=f"c{n}@example.com", name="Анна Сергеевна Кузнецова-Волконская",
                           now=now - timedelta(minutes=minutes))
    add_staff(ticket_app, "lena", "lead", tier=3, name="Елена Лидова")
    for login, path in (("olga", "/desk"), ("lena", "/lead/now")):
        page = _page(browser, served_without_index, login, lang="ru")
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(served_without_index + path)
        assert "просрочено на" in page.content()
        assert page.evaluate(OUTSIDE_CELL) == [], f"{path} at {width} px"
        page.context.close()
