"""The editors' page: gap suggestions listed with their figures, one suggestion in full, and what an
editor does with it (draft, add wordings, dismiss). The gap state is written straight into
gap_clusters/gap_questions: the clustering that makes it is tested in test_gaps.py."""
from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    SAMPLE_ARTICLES,
    STAFF_PASSWORD,
    add_staff,
    csrf_of,
    make_settings,
    sign_in,
)

from kb.desk.records import utcnow

MISSING = ["можно ли оплатить заказ криптовалютой", "принимаете ли вы биткоин", "оплата в криптовалюте",
           "can I pay with bitcoin"]
ADD = ["как передумать с заказом", "заказ больше не нужен, что делать", "хочу отказаться от покупки"]


@pytest.fixture
def editor_app(sample_index, tmp_path):
    """The app over the sample index, an empty database and a copy of the articles it may write to."""
    from webapp import create_app

    articles = tmp_path / "articles"
    shutil.copytree(SAMPLE_ARTICLES, articles)
    settings = make_settings(index_dir=sample_index, database_url=f"sqlite:///{tmp_path / 'kb.sqlite3'}",
                             articles_dir=articles)
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "test"})


def add_gap(app, cluster_id, texts, *, kind="missing", article=None, status="open", first="payment-methods",
            tickets=(), days_ago=2.0):
    """One suggestion as the worker would have saved it: a cluster and its questions, each asked by
    another visitor (`tickets`: the first questions led to these ticket numbers)."""
    from kb.gaps.tables import GapCluster, GapQuestion

    now = utcnow()
    closed = status != "open"

    def work(session):
        session.add(GapCluster(id=cluster_id, status=status, suggested=True, kind=kind, article=article,
                               title=texts[0], nearest_article=article or first, nearest_similarity=0.7134,
                               created_at=now, updated_at=now, closed_at=now if closed else None,
                               closed_by="someone" if closed else None))
        for n, text in enumerate(texts):
            session.add(GapQuestion(
                source="question", ref=cluster_id * 100 + n, cluster_id=cluster_id, text=text,
                lang="en" if text.isascii() else "ru", asked_at=now - timedelta(days=days_ago + n), visitor=f"v{n}",
                no_match=True, confidence=0.2, results=[[first, 0.3]], vote=None,
                ticket=tickets[n] if n < len(tickets) else None, solved_with=None,
                vector=np.zeros(8, np.float32).tobytes(), folded_at=now))

    app.extensions["kb"].database.run(work)


def cluster(app, cluster_id):
    from kb.gaps.tables import GapCluster

    def read(session):
        row = session.get(GapCluster, cluster_id)
        return {"status": row.status, "by": row.closed_by, "outcome": row.outcome}

    return app.extensions["kb"].database.run(read)


def card(html: str, cluster_id: int) -> str:
    """One open suggestion's card on the list page."""
    html = html.split('id="open"', 1)[-1].split("</ol>")[0]
    return re.search(rf'<li class="panel gap-card" data-id="{cluster_id}">(.*?)</li>\s*(<li class|$)', html,
                     re.DOTALL).group(1)


def test_the_list_shows_each_suggestion_with_its_figures(editor_app):
    add_gap(editor_app, 1, MISSING)
    add_gap(editor_app, 2, ADD, kind="add", article="cancel-order", first="cancel-order")
    add_gap(editor_app, 3, ["old topic", "old topic again", "the old topic"], status="dismissed")
    editor = sign_in(editor_app, "elena", "editor")
    page = editor.get("/editor/gaps", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    open_list = html.split('id="open"')[1].split("</ol>")[0]
    first = card(open_list, 1)
    assert "asked 4 times by 4 visitors" in first
    assert "Missing article" in first
    assert "принимаете ли вы биткоин" in first and "can I pay with bitcoin" in first  # examples per language
    assert "71%" in first  # the nearest article's similarity
    second = card(open_list, 2)
    assert f"Add wordings to “{editor_app.extensions['kb'].searcher.by_id['cancel-order']['title']}”" in second
    assert 'href="/editor/gaps/2"' in second
    closed = html.split('id="closed"')[1].split("</table>")[0]
    assert 'data-id="3"' in closed and "dismissed" in closed and "someone" in closed
    assert 'data-id="3"' not in open_list
    # the article the add-suggestion names needs wordings, and links to it
    coverage = html.split('id="coverage"')[1].split("</table>")[0]
    row = re.search(r'<tr data-article="cancel-order">(.*?)</tr>', coverage, re.DOTALL).group(1)
    assert 'href="/editor/gaps/2"' in row and re.search(r'class="num bad">3<', row)


def test_tickets_link_to_the_desk_only_for_those_who_may_see_it(editor_app):
    add_gap(editor_app, 1, MISSING, tickets=(7,))
    editor = sign_in(editor_app, "elena", "editor")
    first = card(editor.get("/editor/gaps").get_data(as_text=True), 1)
    assert "#7" in first and "/desk/tickets/7" not in first  # an editor does not see the desk
    admin = sign_in(editor_app, "olga", "admin")
    assert "/desk/tickets/7" in card(admin.get("/editor/gaps").get_data(as_text=True), 1)
    assert "/desk/tickets/7" in admin.get("/editor/gaps/1").get_data(as_text=True)


def test_the_since_filter_counts_only_the_questions_asked_since(editor_app):
    add_gap(editor_app, 1, MISSING, days_ago=1.0)  # asked 1, 2, 3 and 4 days ago
    editor = sign_in(editor_app, "elena", "editor")
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    html = editor.get(f"/editor/gaps?since={since}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "asked 2 times by 2 visitors" in html
    assert editor.get("/editor/gaps?since=yesterday").status_code == 400


def test_who_may_see_the_page(editor_app):
    add_gap(editor_app, 1, MISSING)
    anonymous = editor_app.test_client()
    answer = anonymous.get("/editor/gaps")
    assert answer.status_code == 303 and "/login?next=/editor/gaps" in answer.headers["Location"]
    operator = sign_in(editor_app, "ivan", "operator")
    assert operator.get("/editor/gaps").status_code == 403
    assert operator.get("/editor/gaps/1").status_code == 403
    assert sign_in(editor_app, "pavel", "lead").get("/editor/gaps").status_code == 403
    for login, role in (("elena", "editor"), ("olga", "admin")):
        client = sign_in(editor_app, login, role)
        assert client.get("/editor/gaps").status_code == 200
        assert client.get("/editor/gaps/1").status_code == 200


def test_an_editor_lands_on_the_page_and_has_its_link(editor_app):
    add_staff(editor_app, "elena", "editor")
    client = editor_app.test_client()
    token = csrf_of(client, "/login")
    answer = client.post("/login", data={"login": "elena", "password": STAFF_PASSWORD, "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/editor/gaps")
    html = client.get("/editor/gaps").get_data(as_text=True)
    assert re.search(r'<a href="/editor/gaps" aria-current="page">', html)


def test_one_suggestion_in_full_with_its_forms_prefilled(editor_app):
    add_gap(editor_app, 2, ADD, kind="add", article="cancel-order", first="cancel-order")
    editor = sign_in(editor_app, "elena", "editor")
    html = editor.get("/editor/gaps/2").get_data(as_text=True)
    boxes = re.findall(r'<input type="checkbox" name="wordings" value="([^"]+)" checked>', html)
    assert sorted(boxes) == sorted(ADD)
    assert f'value="{ADD[0]}"' in html.split('id="title"')[1].split(">")[0]
    assert re.search(r'<option value="ru" selected>', html)
    assert re.search(r'<option value="cancel-order" selected>', html)
    assert html.count('<option value="') > 50  # every article of the build
    assert editor.get("/editor/gaps/999").status_code == 404


def test_draft_writes_the_chosen_wordings_and_closes_the_suggestion(editor_app):
    add_gap(editor_app, 1, MISSING)
    editor = sign_in(editor_app, "elena", "editor")
    token = csrf_of(editor, "/editor/gaps/1")
    answer = editor.post("/editor/gaps/1/draft", data={
        "csrf_token": token, "title": "Можно ли оплатить криптовалютой?", "lang": "ru", "wordings": MISSING[1:3]})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/editor/gaps")
    state = cluster(editor_app, 1)
    assert state["status"] == "drafted" and state["by"] == "elena"
    text = Path(state["outcome"]).read_text(encoding="utf-8")
    assert Path(state["outcome"]).parent == editor_app.extensions["kb"].settings.articles_dir
    assert "draft: true" in text and "title: Можно ли оплатить криптовалютой?" in text
    assert MISSING[1] in text and MISSING[2] in text and MISSING[0] not in text and MISSING[3] not in text
    listed = editor.get("/editor/gaps", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Draft written to" in listed and "remove draft: true" in listed
    folder = editor_app.extensions["kb"].settings.articles_dir
    assert f"{folder.name}/{Path(state['outcome']).name}" in listed and str(folder) not in listed  # not the server's folders
    assert 'data-id="1"' in listed.split('id="closed"')[1]
    assert 'data-id="1"' not in listed.split('id="open-title"')[1].split('id="coverage-title"')[0]
    # closed: the page shows what became of it instead of the actions; acting again is refused, not a 500
    page = editor.get("/editor/gaps/1").get_data(as_text=True)
    assert 'id="closed"' in page and 'type="checkbox"' not in page and Path(state["outcome"]).name in page
    again = editor.post("/editor/gaps/1/dismiss", data={"csrf_token": token})
    assert again.status_code == 409 and 'id="error"' in again.get_data(as_text=True)
    assert cluster(editor_app, 1)["status"] == "drafted"


def test_add_writes_the_wordings_into_the_article_file(editor_app):
    add_gap(editor_app, 2, ADD, kind="add", article="cancel-order", first="cancel-order")
    editor = sign_in(editor_app, "elena", "editor")
    token = csrf_of(editor, "/editor/gaps/2")
    answer = editor.post("/editor/gaps/2/add", data={"csrf_token": token, "article": "cancel-order",
                                                     "wordings": ADD[:2]}, headers={"Accept-Language": "en"})
    assert answer.status_code == 303
    path = editor_app.extensions["kb"].settings.articles_dir / "cancel-order.md"
    text = path.read_text(encoding="utf-8")
    assert ADD[0] in text and ADD[1] in text and ADD[2] not in text
    assert (SAMPLE_ARTICLES / "cancel-order.md").read_text(encoding="utf-8").count(ADD[0]) == 0
    assert cluster(editor_app, 2) == {"status": "accepted", "by": "elena", "outcome": "cancel-order"}
    flashed = editor.get("/editor/gaps", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "2 wordings added to" in flashed


def test_dismiss(editor_app):
    add_gap(editor_app, 1, MISSING)
    admin = sign_in(editor_app, "olga", "admin")
    token = csrf_of(admin, "/editor/gaps/1")
    answer = admin.post("/editor/gaps/1/dismiss", data={"csrf_token": token})
    assert answer.status_code == 303
    assert cluster(editor_app, 1)["status"] == "dismissed" and cluster(editor_app, 1)["by"] == "olga"


def test_bad_posts_are_refused_with_the_page_never_a_500(editor_app):
    add_gap(editor_app, 1, MISSING)
    articles = editor_app.extensions["kb"].settings.articles_dir
    before = sorted(p.name for p in articles.iterdir())
    editor = sign_in(editor_app, "elena", "editor")
    token = csrf_of(editor, "/editor/gaps/1")
    # no CSRF token
    assert editor.post("/editor/gaps/1/dismiss").status_code == 400
    assert editor.post("/editor/gaps/1/draft", data={"title": "T", "lang": "ru", "wordings": MISSING}).status_code == 400
    # a wording that is not one of the suggestion's questions
    smuggled = editor.post("/editor/gaps/1/draft", data={"csrf_token": token, "title": "T", "lang": "ru",
                                                         "wordings": [MISSING[0], "купите наши часы"]},
                           headers={"Accept-Language": "en"})
    assert smuggled.status_code == 400
    html = smuggled.get_data(as_text=True)
    assert "own questions can be added" in html and 'id="title"' in html
    added = editor.post("/editor/gaps/1/add", data={"csrf_token": token, "article": "cancel-order",
                                                    "wordings": ["купите наши часы"]})
    assert added.status_code == 400
    # nothing chosen, no title, an unknown language or article
    for path, data in (("draft", {"title": "T", "lang": "ru"}), ("draft", {"title": "", "lang": "ru", "wordings": MISSING}),
                       ("draft", {"title": "T", "lang": "de", "wordings": MISSING}),
                       ("add", {"article": "no-such-article", "wordings": MISSING}),
                       ("add", {"article": "", "wordings": MISSING})):
        answer = editor.post(f"/editor/gaps/1/{path}", data={"csrf_token": token, **data})
        assert answer.status_code == 400, (path, data)
    # the posted choices are kept: the wording left unchecked stays unchecked
    kept = editor.post("/editor/gaps/1/draft", data={"csrf_token": token, "title": "", "lang": "ru",
                                                     "wordings": MISSING[:2]}).get_data(as_text=True)
    assert sorted(re.findall(r'name="wordings" value="([^"]+)" checked', kept)) == sorted(MISSING[:2])
    assert sorted(p.name for p in articles.iterdir()) == before
    assert cluster(editor_app, 1)["status"] == "open"
    # an unknown suggestion
    assert editor.post("/editor/gaps/999/dismiss", data={"csrf_token": token}).status_code == 404
    assert editor.post("/editor/gaps/999/draft", data={"csrf_token": token, "title": "T", "lang": "ru",
                                                       "wordings": MISSING}).status_code == 404


def test_the_page_in_russian(editor_app):
    add_gap(editor_app, 1, MISSING)
    editor = sign_in(editor_app, "elena", "editor")
    html = editor.get("/editor/gaps", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Нет статьи" in html and "Открытые предложения" in html and "спросили 4 раза · 4 посетителя" in html
    assert "Missing article" not in html and "Open suggestions" not in html


def test_articles_that_need_wordings(editor_app):
    from kb.gaps.coverage import needing_wordings

    add_gap(editor_app, 1, MISSING, first="payment-methods")  # 4 misses of payment-methods
    add_gap(editor_app, 2, ADD, kind="add", article="cancel-order", first="track-order")
    add_gap(editor_app, 3, ["done one", "done two", "done three"], status="drafted", first="track-order")
    services = editor_app.extensions["kb"]
    rows = {r["id"]: r for r in needing_wordings(services.database, services.searcher.articles)}
    assert rows["payment-methods"]["misses"] == 4 and rows["payment-methods"]["suggestion"] is None
    assert rows["cancel-order"]["misses"] == 3 and rows["cancel-order"]["suggestion"] == 2  # named by the add
    assert rows["track-order"]["misses"] == 3  # first result of the add's questions; the drafted ones are done
    by_id = services.searcher.by_id
    assert rows["cancel-order"]["wordings"] == 1 + len(by_id["cancel-order"]["questions"])
    ranked = needing_wordings(services.database, services.searcher.articles)
    assert [r["misses"] / r["wordings"] for r in ranked] == sorted((r["misses"] / r["wordings"] for r in ranked),
                                                                   reverse=True)


def test_a_suggestion_closed_while_the_form_was_sent_is_a_409_not_a_500(editor_app, monkeypatch):
    from kb.gaps.store import GapStore

    add_gap(editor_app, 1, MISSING, status="dismissed")
    read = GapStore.suggestion
    monkeypatch.setattr(GapStore, "suggestion", lambda self, number: {**read(self, number), "status": "open"})
    editor = sign_in(editor_app, "elena", "editor")
    token = csrf_of(editor, "/editor/gaps/1")  # still shown open: someone closes it meanwhile
    answer = editor.post("/editor/gaps/1/draft", data={"csrf_token": token, "title": "T", "lang": "ru",
                                                       "wordings": MISSING}, headers={"Accept-Language": "en"})
    assert answer.status_code == 409
    assert "Someone has already acted on this suggestion." in answer.get_data(as_text=True)
    assert sorted(p.name for p in editor_app.extensions["kb"].settings.articles_dir.glob("draft-*")) == []
