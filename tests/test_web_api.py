"""GET /api/v1/health on the sample index, and without an index."""
from conftest import SAMPLE_ARTICLES, make_settings


def test_health_reports_the_sample_knowledge_base(client):
    articles = [p for p in SAMPLE_ARTICLES.glob("*.md") if not p.name.startswith(("_", "."))]
    response = client.get("/api/v1/health")
    assert response.status_code == 200 and response.mimetype == "application/json"
    health = response.get_json()
    assert health["status"] == "ok" and health["articles"] == len(articles) > 0
    assert health["built_at"]


def test_health_without_an_index_is_a_503_in_the_error_shape(tmp_path):
    from webapp import create_app

    client = create_app(make_settings(index_dir=tmp_path / "no-index"), {"TESTING": True}).test_client()
    response = client.get("/api/v1/health")
    assert response.status_code == 503 and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == 503 and error["code"] == "index_missing" and "kb index" in error["message"]


def test_limit_is_written_in_the_digits_0_to_9(client):
    # Found probing the API beside the Schemathesis run: int() took " 5", "5_0" (50), "+5" and other scripts' digits ("٣", "５")
    # as a limit, which the OpenAPI document's `integer` does not allow.
    for limit in (" 5", "5_0", "+5", "٣", "５", "5.0", "-1", "1e1", "9" * 5000):
        response = client.get("/api/v1/search", query_string={"q": "refund", "limit": limit})
        assert response.status_code == 400, limit
        assert response.get_json()["error"]["code"] == "invalid_query"
    for limit, count in (("01", 1), ("3", 3), ("", 5)):
        response = client.get("/api/v1/search", query_string={"q": "refund", "limit": limit})
        assert response.status_code == 200 and len(response.get_json()["results"]) == count
