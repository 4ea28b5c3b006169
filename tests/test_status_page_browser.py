"""A customer in a real browser (Chromium through Playwright): opens the status page, adds details, rates."""
import shutil
import threading

import pytest


@pytest.fixture
def served(sqlite_template, tmp_path):
    """The app on a real port, served by werkzeug in a thread."""
    from conftest import fake_embed, make_settings
    from werkzeug.serving import make_server

    from kb.app.services import Services
    from webapp import create_app

    shutil.copy(sqlite_template, tmp_path / "kb.sqlite")
    settings = make_settings(index_dir=tmp_path / "no-index", database_url=f"sqlite:///{tmp_path}/kb.sqlite")
    services = Services(settings, duplicate_embed=fake_embed)
    app = create_app(settings, services=services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", services.desk
    server.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser):
    return browser.new_page()


def test_customer_follows_adds_details_and_rates(served, page):
    from playwright.sync_api import expect

    from kb.desk.operators import add_operator

    base, desk = served
    add_operator(desk.db, "anna", "Anna Karenina", "secret-password", role="operator")
    ticket = desk.create_ticket("Where is my parcel?", email="ann@example.com", channel="web")

    page.goto(f"{base}/tickets/{ticket['token']}")
    expect(page.locator("h1")).to_contain_text(f"Request #{ticket['number']}")
    expect(page.locator("#operator")).to_have_text("Anna")
    expect(page.locator("#place")).to_have_text("1")
    expect(page.locator("#expected time")).not_to_be_empty()

    page.fill("#text", "Order 12345, sent on Monday")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    expect(page.locator("#details")).to_have_text("Order 12345, sent on Monday")

    desk.solve(ticket["number"], "anna", answer="It arrives tomorrow before noon")
    page.reload()
    expect(page.locator("#answer")).to_contain_text("It arrives tomorrow")
    page.get_by_label("4").check()
    page.get_by_role("button", name="Rate").click()
    expect(page.locator("#rating")).to_have_text("Your rating: 4 of 5")
    assert desk.show(ticket["number"])["rating"] == 4
