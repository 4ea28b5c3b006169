"""The leads' questions page in a real browser over the sample knowledge base and four weeks of
questions answered by the real search: the charts draw, nothing breaks the CSP, a CSV downloads, and
the page reads on a desktop and a phone in both languages (screenshots into /tmp/shots/)."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from conftest import STAFF_PASSWORD, add_staff

SHOTS = Path("/tmp/shots")

# Questions in words of our own, some the sample shop answers and some it does not.
ASKED = [
    ("where is my parcel", 9), ("как вернуть товар", 8), ("оплата картой не проходит", 6),
    ("how long does a refund take", 6), ("можно ли изменить адрес доставки", 5), ("delete my account", 3),
    ("бонусы за день рождения", 3), ("do you deliver to Kazakhstan", 3), ("сколько стоит доставка курьером", 4),
    ("подарочная упаковка", 4), ("gift wrapping for an order", 3), ("можно ли оплатить криптовалютой", 3),
    ("пришёл не тот размер, что делать", 2), ("работаете ли вы в праздники", 2), ("can I pick up in store today", 2),
]


def seed_month(services, today, rng: random.Random) -> None:
    """Four weeks of questions through the real search, with opens, votes and tickets."""
    log, votes, desk, searcher = services.questions, services.votes, services.desk, services.searcher
    answers = {text: searcher.search(text, limit=5) for text, _ in ASKED}
    visitor = 0
    for back in range(27, -1, -1):
        day = today - timedelta(days=back)
        busy = 0.6 + 0.4 * (day.weekday() < 5) + back / 60
        for text, weight in ASKED:
            for _ in range(rng.randint(0, round(weight * busy))):
                visitor += 1
                who = f"v{visitor}"
                when = datetime.combine(day, time(rng.randint(8, 21), rng.randint(0, 59)))
                found = answers[text]
                source = rng.choices(("help", "console", "api"), (7, 2, 1))[0]
                log.asked(visitor=who, qid="q", text=text, source=source, lang=found.lang,
                          results=[(r.id, r.confidence) for r in found.results], no_match=found.no_match,
                          confidence=found.confidence, now=when)
                if not found.no_match and rng.random() < 0.6:
                    article = found.results[0].id
                    log.opened(visitor=who, qid="q", article_id=article, now=when + timedelta(seconds=20))
                    if rng.random() < 0.5:
                        helpful = rng.random() < (0.35 if "размер" in text or "refund" in text else 0.8)
                        log.voted(visitor=who, qid="q", article_id=article, helpful=helpful,
                                  now=when + timedelta(minutes=1))
                        votes.record(article, helpful, question=text, lang=found.lang, now=when + timedelta(minutes=1))
                if (found.no_match or rng.random() < 0.08) and rng.random() < 0.35 and source == "help":
                    ticket = desk.create_ticket(text, email=f"{who}@example.com", now=when + timedelta(minutes=3))
                    log.ticket(visitor=who, qid="q", number=ticket["number"], now=when + timedelta(minutes=3))
    # The oldest tickets ran past their deadlines: some went up a tier.
    desk.escalate_overdue(now=datetime.combine(today - timedelta(days=18), time(12)))
    desk.escalate_overdue(now=datetime.combine(today - timedelta(days=9), time(12)))
    assert log.flush()


@pytest.fixture
def served(serve_sample):
    base, app = serve_sample(auto_assign=False)
    add_staff(app, "pavel", "lead", tier=3, name="Pavel Orlov")
    seed_month(app.extensions["kb"], datetime.utcnow().date(), random.Random(17))
    return base, app.extensions["kb"]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_questions_page_in_a_browser(served, browser, lang):
    from playwright.sync_api import expect

    base, services = served
    SHOTS.mkdir(exist_ok=True)
    for device, viewport in (("desktop", {"width": 1440, "height": 900}), ("phone", {"width": 390, "height": 844})):
        context = browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang}, viewport=viewport,
                                      accept_downloads=True, device_scale_factor=1 if device == "desktop" else 2)
        page = context.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                and not m.text.startswith("Failed to load resource") else None)  # the favicon
        page.goto(base + "/login")
        page.locator("#login").fill("pavel")
        page.locator("#password").fill(STAFF_PASSWORD)
        page.locator("#password").press("Enter")
        page.wait_for_load_state()
        page.goto(base + "/lead/questions")
        expect(page.locator("svg#questions-chart .bar rect.s-help").first).to_be_visible()
        expect(page.locator("svg#tickets-chart .bar rect").nth(1)).to_be_attached()
        assert page.locator("#questions-chart .bar").count() == 30
        expect(page.locator("#unanswered tbody tr").first).to_be_visible()
        expect(page.locator("#weakest tbody tr").first).to_be_visible()
        page.screenshot(path=str(SHOTS / f"analytics-{lang}-{device}.png"), full_page=True)
        if device == "phone":  # a screenful at a time, as it is read
            page.screenshot(path=str(SHOTS / f"analytics-{lang}-phone-top.png"))
            page.locator("#weakest").scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / f"analytics-{lang}-phone-weakest.png"))
        if device == "desktop":
            with page.expect_download() as download:
                page.locator("#weakest").locator("xpath=ancestor::section").locator("a.csv").click()
            assert download.value.suggested_filename.startswith("questions-weakest-")
            page.locator("a.button", has_text="7").click()
            page.wait_for_load_state()
            assert page.locator("#questions-chart .bar").count() == 7
        assert not problems, problems  # a CSP violation is a console error
        context.close()
