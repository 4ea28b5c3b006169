"""Errors: JSON in one shape under /api/, an HTML page in the visitor's language everywhere else,
no traceback on a 500, and an error handler that cannot fail on text it cannot encode."""
import re
import shutil
from html.parser import HTMLParser

import pytest
from conftest import fake_embed, make_settings

from kb.errors import IndexMissing, InvalidInput, NotFound

RU = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def app(sqlite_template, tmp_path):
    """The app with routes that fail, registered only here."""
    from flask import abort

    from kb.app.services import Services
    from webapp import create_app
    from webapp.core.auth import ANYONE, allow

    shutil.copy(sqlite_template, tmp_path / "kb.sqlite")
    settings = make_settings(index_dir=tmp_path / "no-index", database_url=f"sqlite:///{tmp_path}/kb.sqlite")
    app = create_app(settings, {"TESTING": True, "MAX_CONTENT_LENGTH": 2048},
                     services=Services(settings, duplicate_embed=fake_embed))

    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    def kb_error(kind):
        raise {"invalid": InvalidInput("the thing \ud800 is wrong"), "missing": NotFound("no such thing"),
               "index": IndexMissing("no index yet: run kb index")}[kind]

    def fail_with(code):
        abort(code)

    for prefix in ("", "/api/v1"):
        for path, name, view in (("test-boom", "boom", boom), ("test-kb/<kind>", "kb", kb_error),
                                 ("test-abort/<int:code>", "abort", fail_with)):
            app.add_url_rule(f"{prefix}/{path}", f"{name}{prefix}", allow(ANYONE)(view))
    return app


@pytest.fixture
def client(app):
    return app.test_client()


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.chunks, self._skip, self.lang = [], 0, None

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        if tag == "html":
            self.lang = dict(attrs).get("lang")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append(data.strip())


def page_text(response):
    parser = _Text()
    parser.feed(response.get_data(as_text=True))
    return parser


def assert_one_language(response, lang):
    assert response.mimetype == "text/html"
    text = page_text(response)
    assert text.lang == lang
    other = re.compile("[A-Za-z]" if lang == "ru" else "[А-Яа-яЁё]")
    switch = {"ru": "English", "en": "Русский"}[lang]  # the header's language switch names the other language in it
    mixed = [chunk for chunk in text.chunks if other.search(chunk) and chunk != switch]
    assert not mixed, mixed
    return " ".join(text.chunks)


@pytest.mark.parametrize("path, method, status", [
    ("/no-such-page", "get", 404),
    ("/tickets/abc/details", "get", 405),
    ("/test-abort/400", "get", 400),
    ("/test-kb/invalid", "get", 400),
    ("/test-kb/missing", "get", 404),
    ("/test-kb/index", "get", 503),
    ("/test-boom", "get", 500),
    ("/tickets/abc/details", "post", 413),
])
@pytest.mark.parametrize("headers, lang", [(RU, "ru"), (EN, "en"), ({}, "en"), ({"Accept-Language": "de"}, "en")])
def test_pages_get_an_html_error_page_in_one_language(client, path, method, status, headers, lang):
    data = {"text": "x" * 5000} if status == 413 else None
    response = getattr(client, method)(path, headers=headers, data=data)
    assert response.status_code == status
    text = assert_one_language(response, lang)
    assert str(status) in text
    assert ("Справочный центр" in text) == (lang == "ru") and ("Help centre" in text) == (lang == "en")
    if status == 405:
        assert response.headers["Allow"]


def test_the_russian_and_english_404_pages_say_so(client):
    assert "Страница не найдена" in client.get("/nope", headers=RU).get_data(as_text=True)
    assert "Page not found" in client.get("/nope", headers=EN).get_data(as_text=True)


def test_a_500_shows_no_traceback_and_no_detail(client):
    for headers in (RU, EN):
        page = client.get("/test-boom", headers=headers)
        body = page.get_data(as_text=True)
        assert page.status_code == 500 and "Traceback" not in body and "hunter2" not in body
        assert "RuntimeError" not in body
    api = client.get("/api/v1/test-boom")
    assert api.status_code == 500 and "hunter2" not in api.get_data(as_text=True)
    assert api.get_json()["error"] == {"status": 500, "code": "internal_error",
                                       "message": "something went wrong on our side; it has been logged"}


@pytest.mark.parametrize("path, status, code", [
    ("/api/v1/no-such-route", 404, "not_found"),
    ("/api/v1/test-abort/400", 400, "bad_request"),
    ("/api/v1/test-kb/invalid", 400, "invalid_input"),
    ("/api/v1/test-kb/missing", 404, "not_found"),
    ("/api/v1/test-kb/index", 503, "index_missing"),
])
def test_the_api_answers_errors_in_the_one_json_shape_whatever_the_language(client, path, status, code):
    for headers in (RU, EN):
        response = client.get(path, headers=headers)
        assert response.status_code == status and response.mimetype == "application/json"
        error = response.get_json()["error"]
        assert error["status"] == status and error["code"] == code and error["message"]


def test_a_too_large_json_body_is_a_json_413(client):
    response = client.post("/api/v1/tickets", json={"question": "x" * 5000, "email": "ann@example.com"})
    assert response.status_code == 413 and response.get_json()["error"]["status"] == 413


def test_a_message_with_a_lone_surrogate_still_renders(client):
    api = client.get("/api/v1/test-kb/invalid")
    assert api.status_code == 400 and r"\ud800" in api.get_json()["error"]["message"]
    page = client.get("/test-kb/invalid", headers=EN)
    assert page.status_code == 400 and r"\ud800" in page.get_data(as_text=True)
    unknown = client.post("/api/v1/tickets", data=r'{"question": "Where?", "\ud800": 1}',
                          content_type="application/json")
    assert unknown.status_code == 400 and r"\ud800" in unknown.get_json()["error"]["message"]


def test_every_page_is_built_on_the_one_base_template(client, app):
    from kb.desk.operators import add_operator  # noqa: F401 (the desk is importable)

    token = client.post("/api/v1/tickets", json={"question": "Where?", "email": "ann@example.com"}).get_json()["token"]
    for path in ("/", f"/tickets/{token}", "/nope"):
        html = client.get(path).get_data(as_text=True)
        assert html.startswith("<!doctype html>") and 'name="viewport"' in html, path
        assert '<link rel="stylesheet" href="/static/site.css">' in html and 'class="site-header"' in html, path
        assert "<style>" not in html and "//cdn" not in html and "https://" not in html, path
    css = client.get("/static/site.css")
    assert css.status_code == 200 and "system-ui" in css.get_data(as_text=True)


def test_the_products_message_is_shown_to_english_visitors_on_a_4xx_only(client):
    assert "no such thing" in client.get("/test-kb/missing", headers=EN).get_data(as_text=True)
    assert "no such thing" not in client.get("/test-kb/missing", headers=RU).get_data(as_text=True)
    for headers in (EN, RU):  # a 5xx's message may name the server's folders
        assert "kb index" not in client.get("/test-kb/index", headers=headers).get_data(as_text=True)
