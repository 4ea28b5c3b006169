"""The loop closes, end to end with the real models: customers ask in the help centre and nothing
answers, the worker suggests the missing article, the editor drafts it (`kb gaps draft`), completes
it, `kb index`; the next customer, asking in words nobody used before, finds it. And: tickets solved
with an article suggest their wordings for it; accepted (`kb gaps add`) and indexed, a new wording
of the same kind finds that article."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SAMPLE_ARTICLES, make_settings


@pytest.fixture
def shop(tmp_path, sample_index):
    """The sample shop with its own articles folder, index folder and database, as deployed."""
    from webapp import create_app

    articles, index = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(SAMPLE_ARTICLES, articles)
    shutil.copytree(sample_index, index, symlinks=True)  # `current` and the embedding cache come along
    env = {"KB_ARTICLES": str(articles), "KB_INDEX": str(index),
           "KB_DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}"}
    settings = make_settings(articles_dir=articles, index_dir=index, database_url=env["KB_DATABASE_URL"])
    app = create_app(settings, {"TESTING": True, "SECRET_KEY": "test"})
    yield app, env
    app.extensions["kb"].questions.close()


def kb(env, *args):
    from kb.cli import main

    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def run_worker_job(app):
    from kb.jobs.registry import JOBS

    services = app.extensions["kb"]
    assert services.questions.flush()
    JOBS["gaps"].run(services)
    return services


def test_questions_nothing_answered_become_an_article_that_answers_a_new_wording(shop):
    app, env = shop
    asked = [("can you gift wrap my order", 1), ("I'd like my purchase packed as a gift", 2),
             ("упакуйте, пожалуйста, как подарок", 3), ("is gift wrapping available", 1),
             ("можно ли заказать подарочную упаковку", 2)]
    visitors = {}
    for n, (question, visitor) in enumerate(asked):
        client = visitors.setdefault(visitor, app.test_client())  # each visitor their own browser and address
        page = client.get("/search/results", query_string={"q": question, "qid": f"q{n}"},
                          environ_base={"REMOTE_ADDR": f"198.51.100.{visitor}"})
        assert page.status_code == 200
    new_wording = "would you wrap my gift"
    services = app.extensions["kb"]
    before = services.searcher.search(new_wording)
    assert before.no_match

    services = run_worker_job(app)
    [suggestion] = services.gaps.suggestions()
    assert suggestion["kind"] == "missing"
    listed = kb(env, "gaps")
    assert f"#{suggestion['id']}" in listed and "missing article" in listed

    out = kb(env, "gaps", "draft", str(suggestion["id"]), "--title", "Do you gift wrap orders?", "--lang", "en")
    path = Path(out.split(": draft written")[0])
    assert path.parent == Path(env["KB_ARTICLES"])
    draft = path.read_text(encoding="utf-8")
    assert "draft: true" in draft and "is gift wrapping available" in draft
    assert kb(env, "gaps").startswith("no suggestions")  # drafted: off the list

    # The editor writes the answer and publishes it: removes `draft: true`.
    done = re.sub(r"^draft: true.*\n", "", draft, flags=re.MULTILINE).replace(
        draft.split("---\n", 2)[2], "Yes: tick \"Gift wrapping\" at checkout, 150 roubles per parcel.\n")
    path.write_text(done, encoding="utf-8")
    kb(env, "index")
    after = services.searcher.search(new_wording)
    assert not after.no_match
    assert after.results[0].title == "Do you gift wrap orders?"
    page = app.test_client().get("/search", query_string={"q": new_wording})
    assert "Do you gift wrap orders?" in page.get_data(as_text=True)


def test_wordings_of_tickets_solved_with_an_article_are_accepted_and_found(shop):
    from kb.desk.operators import add_operator

    app, env = shop
    services = app.extensions["kb"]
    add_operator(services.database, "olga", "Olga", "a-long-password-1", tier=1)
    for n, question in enumerate(["the package arrived soggy and ruined by rain",
                                  "parcel got wet in the rain, item ruined",
                                  "box left in the rain, everything soaked"]):
        ticket = services.desk.create_ticket(question, email=f"c{n}@example.com", language="en")
        services.desk.take(ticket["number"], "olga")
        services.desk.solve(ticket["number"], "olga", answer="We will replace it.", article_id="en-damaged-item")
    new_wording = "the delivery got rained on and my book is wet"
    before = services.searcher.search(new_wording)
    assert before.no_match

    import json

    [suggestion] = json.loads(kb(env, "gaps", "--refresh", "--json"))  # the worker's step, run by hand
    assert (suggestion["kind"], suggestion["article"]) == ("add", "en-damaged-item")
    assert "3 wording(s) added to en-damaged-item" in kb(env, "gaps", "add", str(suggestion["id"]), "en-damaged-item")
    kb(env, "index")
    after = services.searcher.search(new_wording)
    assert not after.no_match and after.results[0].id == "en-damaged-item"
