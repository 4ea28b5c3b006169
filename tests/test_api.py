import json

import pytest
from click.testing import CliRunner

from kb.cli import main


def test_search_returns_ranked_results(client):
    response = client.get("/api/v1/search", query_string={"q": "как узнать, где сейчас едет мой заказ", "limit": 3})
    assert response.status_code == 200
    data = response.get_json()
    assert data["results"][0]["id"] == "track-order" and len(data["results"]) == 3
    assert set(data["results"][0]) >= {"id", "title", "lang", "score", "confidence", "matched", "snippet"}
    assert data["no_match"] is False and 0 <= data["confidence"] <= 1


def test_api_and_cli_give_the_same_answer(client, sample_index):
    question = "can I pay by card on delivery"
    api = client.get("/api/v1/search", query_string={"q": question}).get_json()
    shell = CliRunner().invoke(main, ["--index-dir", str(sample_index), "search", question, "--json"],
                               catch_exceptions=False)
    assert shell.exit_code == 0, shell.output
    cli = json.loads(shell.output)
    assert api.pop("took_ms") >= 0 and cli.pop("took_ms") >= 0  # the one field that may differ
    assert cli == api and api["results"]


@pytest.mark.parametrize("query_string, status, code", [
    ({}, 400, "invalid_query"),
    ({"q": ""}, 400, "invalid_query"),
    ({"q": "a" * 501}, 400, "invalid_query"),
    ({"q": "пароль", "limit": "ten"}, 400, "invalid_query"),
    ({"q": "пароль", "limit": "0"}, 400, "invalid_query"),
    ({"q": "пароль", "lang": "de"}, 400, "invalid_query"),
])
def test_bad_input_gets_one_json_error_shape(client, query_string, status, code):
    response = client.get("/api/v1/search", query_string=query_string)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["status"] == status and error["message"]


def test_article_by_id_and_unknown_id(client):
    article = client.get("/api/v1/articles/reset-password").get_json()
    assert article["lang"] == "ru" and "operator_notes" not in article
    missing = client.get("/api/v1/articles/no-such-article")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_unknown_route_and_method_are_json_errors(client):
    assert client.get("/api/v1/nothing").get_json()["error"]["status"] == 404
    wrong = client.post("/api/v1/search")
    assert wrong.status_code == 405 and wrong.get_json()["error"]["code"] == "method_not_allowed"


def test_missing_index_is_a_json_503(tmp_path):
    from conftest import make_settings

    from webapp import create_app

    client = create_app(make_settings(index_dir=tmp_path), {"TESTING": True}).test_client()
    response = client.get("/api/v1/search", query_string={"q": "пароль"})
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "index_missing"


def test_help_page_is_served(client):
    page = client.get("/")
    assert page.status_code == 200 and 'action="/search"' in page.get_data(as_text=True)
