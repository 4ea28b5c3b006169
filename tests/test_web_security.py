"""Every page and API answer carries the headers that keep what is shown safe, and no page has
inline script (the Content-Security-Policy would block it)."""
import re

import pytest

# Written out here, not read from the app: a weaker policy in the app must fail this test.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.fixture
def token(api):
    created = api.post("/api/v1/tickets", json={"question": "Where is my parcel?", "email": "ann@example.com"})
    return created.get_json()["token"]


@pytest.mark.parametrize("path", ["/", "/api/v1/health", "/api/v1/search?q=parcel", "/no-such-page",
                                  "/api/v1/no-such-route", "/static/site.css"])
def test_every_answer_has_the_security_headers(api, path):
    response = api.get(path)
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (path, name)


def test_pages_have_no_inline_script_and_the_status_page_keeps_its_stricter_referrer_policy(api, token):
    for path in ("/", f"/tickets/{token}", "/no-such-page"):
        html = api.get(path).get_data(as_text=True)
        assert not INLINE_SCRIPT.search(html), path
        assert ' style="' not in html and "onclick" not in html, path
    status = api.get(f"/tickets/{token}")
    assert status.headers["Referrer-Policy"] == "no-referrer"
    assert api.get("/static/help.js").status_code == 200
