"""Addresses and inputs that were each a 500 (issue 26, "Server errors"): a newline or a huge URL in
a redirect's target, a number past the database's integers in a route, full-width digits in a
month, a draft title too long for a file name; and what a draft's front matter reads back as."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import csrf_of, make_settings, sign_in
from test_editor_pages import add_gap, cluster

from kb.articles.authoring import add_questions, write_draft
from kb.articles.parsing import load_articles
from kb.errors import InvalidInput


@pytest.fixture
def staff_app(tmp_path):
    """The app over no index, an empty SQLite database and an empty articles folder it may write to."""
    from webapp import create_app

    articles = tmp_path / "articles"
    articles.mkdir()
    settings = make_settings(index_dir=tmp_path / "no-index", database_url=f"sqlite:///{tmp_path / 'kb.sqlite3'}",
                             articles_dir=articles)
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "test"})


@pytest.mark.parametrize("path", ["/language/en?next=/%0Ax", "/language/ru?next=/%0D%0ASet-Cookie:%20x=1"])
def test_a_newline_in_the_language_switchs_next_goes_home(staff_app, path):
    answer = staff_app.test_client().get(path)
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


def test_a_newline_in_the_logins_next_goes_to_the_landing_page(staff_app):
    client = sign_in(staff_app, "olga", "admin")
    assert client.get("/login?next=/%0Ax").headers["Location"] == "/console"
    fresh = staff_app.test_client()
    page = fresh.get("/login?next=/%0Ax")
    assert page.status_code == 200 and "%0A" not in page.get_data(as_text=True)


def test_a_huge_address_to_a_staff_page_is_not_carried_into_the_login_redirect(staff_app):
    answer = staff_app.test_client().get("/desk?q=" + "a" * 70_000)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/login"
    short = staff_app.test_client().get("/desk?q=abc")
    assert short.headers["Location"] == "/login?next=/desk?q%3Dabc"


@pytest.mark.parametrize("method, path", [
    ("get", "/editor/gaps/9223372036854775808"), ("post", "/editor/gaps/9223372036854775808/dismiss"),
    ("get", "/desk/tickets/99999999999999999999"), ("post", "/admin/tokens/9223372036854775808/revoke")])
def test_a_number_past_the_databases_integers_is_a_404(staff_app, method, path):
    client = sign_in(staff_app, "olga", "admin")
    data = {"csrf_token": csrf_of(client, "/admin/tokens")} if method == "post" else None
    answer = getattr(client, method)(path, data=data)
    assert answer.status_code == 404
    assert client.get("/editor/gaps/9223372036854775807").status_code == 404  # the largest: asked, not found


@pytest.mark.parametrize("month", ["２０２６-01", "2026-０1", "٢٠٢٦-01"])
def test_a_month_in_other_digits_is_a_400(staff_app, month):
    client = sign_in(staff_app, "pavel", "lead")
    for path in ("/lead/month.csv", "/lead/month"):
        answer = client.get(path, query_string={"month": month}, headers={"Accept-Language": "en"})
        assert answer.status_code == 400 and "2025-03" in answer.get_data(as_text=True)
    assert client.get("/lead/month.csv?month=2026-01").headers["Content-Disposition"] == \
        'attachment; filename="tickets-2026-01.csv"'


def test_a_draft_with_a_very_long_title_gets_a_short_file_name(staff_app):
    add_gap(staff_app, 1, ["do you ship to the moon", "moon delivery"])
    editor = sign_in(staff_app, "elena", "editor")
    title = " ".join(["Supercalifragilisticexpialidocious" * 3] * 2 + ["x" * 60])
    answer = editor.post("/editor/gaps/1/draft", data={
        "csrf_token": csrf_of(editor, "/editor/gaps/1"), "title": title, "lang": "en",
        "wordings": ["moon delivery"]})
    assert answer.status_code == 303, answer.get_data(as_text=True)[-3000:]
    written = Path(cluster(staff_app, 1)["outcome"])
    assert written.exists() and len(written.name) <= 64
    assert written.name.startswith("supercalifragilisticexpialidocious")
    assert f"title: {title}" in written.read_text(encoding="utf-8")


@pytest.mark.parametrize("title", ["yes", "on", "007", "0x1f", "null", "1e3", "no"])
def test_a_drafts_id_reads_back_as_the_text_written(tmp_path, title):
    path = write_draft(tmp_path, title, "en", ["a customer's question"])
    front = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
    assert front["id"] == path.stem == title.lower() and front["title"] == title


def test_drafts_titled_yes_and_on_are_two_articles_for_kb_check(tmp_path):
    for title in ("yes", "on", "007", "7"):
        write_draft(tmp_path, title, "en", ["some question"])
    _articles, problems = load_articles(tmp_path)
    assert [p.level for p in problems] == ["note"] * 4, problems


def test_a_refused_wordings_message_names_the_file_not_the_servers_folders(tmp_path):
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [unclosed\nlang: en\n---\nBody.\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        add_questions(broken, ["anything at all"])
    assert "broken.md" in refused.value.message and str(tmp_path) not in refused.value.message
