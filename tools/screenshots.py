"""Screenshots of the pages at desktop and phone width, in Russian and English, into
docs/screenshots/, taken in Debian's Chromium from a running server (`make run`, or `kb serve`):

    .venv/bin/python tools/screenshots.py http://127.0.0.1:8000

It asks one question nothing answers through the form, so the confirmation page has a real ticket.
With `--staff PASSWORD` it also signs in as the team tools/demo_desk.py creates (run it first, on
the server's database, with the same password) and takes the console, desk, lead, editor and admin
pages; `--only editor-gaps,editor-suggestion` retakes just those staff pages.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 390}
PAGES = [  # (name, path, languages)
    ("home", "/", ("ru", "en")),
    ("search", "/search?q=где мой заказ", ("ru",)),
    ("search", "/search?q=how long until my refund arrives", ("en",)),
    ("no-answer", "/search?q=Можно ли оплатить заказ слитком золота?", ("ru",)),
    ("article", "/articles/cancel-order?q=отменить заказ&pos=1", ("ru",)),
    ("article", "/articles/en-cancel-order", ("en",)),
    ("article-other-language", "/articles/en-customs-duties", ("ru",)),
    ("topic", "/topics/delivery", ("ru", "en")),
    ("ask", "/ask?q=Можно ли оплатить заказ слитком золота?", ("ru",)),
    ("not-found", "/articles/no-such-article", ("ru", "en")),
]


STAFF_WIDTHS = {"desktop": 1440, "phone": 390}
STAFF_PAGES = [  # (who, name, path)
    (None, "staff-login", "/login"),
    ("ivan", "console", "/console?q=клиент хочет отказаться от заказа, он уже оплачен&article=cancel-order"),
    ("ivan", "console-no-match", "/console?q=можно ли оплатить заказ слитком золота"),
    ("ivan", "desk", "/desk"),
    ("maria", "desk-ticket", "/desk/tickets/3"),
    ("pavel", "lead-now", "/lead/now"),
    ("pavel", "lead-month", "/lead/month"),
    ("pavel", "lead-questions", "/lead/questions"),
    ("elena", "editor-gaps", "/editor/gaps"),
    ("elena", "editor-suggestion", "/editor/gaps/2"),  # demo_desk.py's gift cards
    ("elena", "editor-suggestion-closed", "/editor/gaps/6"),  # the one it dismisses
    ("olga", "admin-operators", "/admin/operators"),
    ("olga", "admin-operator", "/admin/operators/anna"),
    ("olga", "admin-tokens", "/admin/tokens"),
    ("elena", "staff-account", "/account"),
]


def staff(browser, base: str, password: str, only: set[str] | None = None) -> None:
    for device, width in STAFF_WIDTHS.items():
        for lang in ("ru", "en"):
            pages = {}
            for who, name, path in STAFF_PAGES:
                if only and name not in only:
                    continue
                if who not in pages:
                    context = browser.new_context(viewport={"width": width, "height": 900}, locale=lang,
                                                  extra_http_headers={"Accept-Language": lang})
                    pages[who] = page = context.new_page()
                    if who:
                        page.goto(base + "/login")
                        page.locator("#login").fill(who)
                        page.locator("#password").fill(password)
                        page.locator("#password").press("Enter")
                        page.wait_for_load_state()
                page = pages[who]
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=OUT / f"{name}-{lang}-{device}.png", full_page=True)
            for page in pages.values():
                page.context.close()


def main(base: str, password: str | None = None, only: set[str] | None = None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        if password:
            staff(browser, base, password, only)
        for device, width in WIDTHS.items() if not only else ():
            for lang in ("ru", "en"):
                context = browser.new_context(viewport={"width": width, "height": 900}, locale=lang,
                                              extra_http_headers={"Accept-Language": lang})
                page = context.new_page()
                for name, path, languages in PAGES:
                    if lang in languages:
                        page.goto(base + path)
                        page.screenshot(path=OUT / f"{name}-{lang}-{device}.png", full_page=True)
                # The confirmation and status page, from a question sent through the form.
                page.goto(base + "/ask?q=" + ("Можно ли оплатить заказ слитком золота?" if lang == "ru"
                                              else "Can I pay with a gold bar?"))
                page.locator("#name").fill("Анна" if lang == "ru" else "Anna")
                page.locator("#email").fill(f"screenshots-{device}-{lang}@example.com")
                page.locator("form.ask-form button[type=submit]").click()
                page.wait_for_load_state()
                page.screenshot(path=OUT / f"confirmation-{lang}-{device}.png", full_page=True)
                context.close()
        browser.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--staff", metavar="PASSWORD", help="the password tools/demo_desk.py was given")
    parser.add_argument("--only", metavar="NAMES", help="only these staff pages, comma-separated (editor-gaps,...)")
    arguments = parser.parse_args()
    main(arguments.base.rstrip("/"), arguments.staff, set(arguments.only.split(",")) if arguments.only else None)
