"""Rate limits per client (webapp/core/rate_limits.py): searches, new tickets and votes; 429 with Retry-After
in the one error shape; staff counted apart; counters shared through Redis across app instances."""
from __future__ import annotations

import os
import re
import uuid

import pytest
from conftest import fake_embed, make_settings, sign_in

REDIS_URL = os.environ.get("KB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def limited_app(index_dir, tmp_path, config=None, **rates):
    from kb.app.services import Services
    from webapp import create_app

    settings = make_settings(index_dir=index_dir, database_url=f"sqlite:///{tmp_path / 'kb.sqlite'}", **rates)
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "test", **(config or {})},
                      services=Services(settings, duplicate_embed=fake_embed))


def ask(client, n: int, address: str = "203.0.113.7"):
    return client.post("/api/v1/tickets", json={"question": f"Where is my parcel number {n}?",
                                                "email": f"customer{n}@example.com"},
                       environ_base={"REMOTE_ADDR": address})


def test_the_declared_defaults_are_out_of_a_visitors_reach_and_in_a_scripts():
    from limits import parse

    from kb.config import DeclaredSettings

    settings = DeclaredSettings()
    search, tickets, votes = (parse(getattr(settings, f"rate_{kind}")) for kind in ("search", "tickets", "votes"))
    # As-you-type sends a search per keystroke: a fast typist (8 keys a second) for 15 s is 120.
    assert search.amount / search.get_expiry() == 2  # 120 a minute
    assert tickets.amount == 10 and tickets.get_expiry() == 3600
    assert votes.amount == 30 and votes.get_expiry() == 3600
    assert parse(settings.rate_staff).amount >= 5 * search.amount


def test_search_past_the_limit_is_a_json_429_with_retry_after_on_the_api(sample_index, tmp_path):
    app = limited_app(sample_index, tmp_path, rate_search="3 per minute")
    client = app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/search?q=cancel my order").status_code == 200
    refused = client.get("/api/v1/search?q=cancel my order")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    error = refused.get_json()["error"]
    assert error["status"] == 429 and error["code"] == "too_many_requests" and "Retry-After" in error["message"]
    # Another client is not held back by this one.
    other = client.get("/api/v1/search?q=cancel my order", environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert other.status_code == 200


def test_page_and_as_you_type_searches_share_the_budget_and_the_429_is_a_translated_page(sample_index, tmp_path):
    app = limited_app(sample_index, tmp_path, rate_search="2 per minute")
    client = app.test_client()
    assert client.get("/search?q=cancel").status_code == 200
    assert client.get("/search/results?q=cancel").status_code == 200
    refused = client.get("/search?q=cancel", headers={"Accept-Language": "ru"})
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert "Retry-After" in refused.headers
    assert "Слишком много попыток" in refused.get_data(as_text=True)
    # As one types, the results fragment says so in a line of its own (not a whole page inside the results).
    fragment = client.get("/search/results?q=cancel", headers={"Accept-Language": "ru"})
    assert fragment.status_code == 429 and "Retry-After" in fragment.headers
    assert fragment.get_data(as_text=True).startswith('<p class="error" role="alert">Слишком много попыток')


def test_ticket_creation_is_limited_on_the_api_and_the_question_form(sample_index, tmp_path):
    app = limited_app(sample_index, tmp_path, {"WTF_CSRF_ENABLED": False}, rate_tickets="2 per hour")
    client = app.test_client()
    assert [ask(client, n).status_code for n in range(3)] == [201, 201, 429]
    refused = ask(client, 3)
    assert int(refused.headers["Retry-After"]) > 3000  # the hour's window, not a minute
    # The question form spends the same budget; its GET (the empty form) does not.
    assert client.get("/ask", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 200
    form = {"question": "Where is my parcel?", "email": "form@example.com"}
    posted = client.post("/ask", data=form, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert posted.status_code == 429 and posted.mimetype == "text/html"
    assert app.extensions["kb"].database  # nothing of the refused requests was stored:
    from sqlalchemy import func, select

    from kb.desk.tables import Ticket

    assert app.extensions["kb"].database.run(lambda s: s.scalar(select(func.count(Ticket.id)))) == 2


def test_details_and_ratings_added_to_a_request_spend_the_ticket_budget(sample_index, tmp_path):
    app = limited_app(sample_index, tmp_path, {"WTF_CSRF_ENABLED": False}, rate_tickets="3 per hour")
    client = app.test_client()
    token = ask(client, 0).get_json()["status_url"].rstrip("/").rsplit("/", 1)[-1]
    address = {"REMOTE_ADDR": "203.0.113.7"}
    api = client.post(f"/api/v1/tickets/{token}/details", json={"text": "It was a blue box."}, environ_base=address)
    page = client.post(f"/tickets/{token}/details", data={"text": "And it had a red ribbon."}, environ_base=address)
    assert (api.status_code, page.status_code) == (200, 303)
    refused = client.post(f"/api/v1/tickets/{token}/details", json={"text": "One more thing."}, environ_base=address)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert client.post(f"/tickets/{token}/rating", data={"rating": "5"}, environ_base=address).status_code == 429


def test_votes_are_limited(sample_index, tmp_path):
    app = limited_app(sample_index, tmp_path, {"WTF_CSRF_ENABLED": False}, rate_votes="2 per hour")
    client = app.test_client()
    statuses = [client.post("/articles/cancel-order/vote", data={"helpful": "yes"}).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]


def test_staff_are_counted_per_account_with_their_own_higher_limit(sample_index, tmp_path):
    app = limited_app(sample_index, tmp_path, rate_search="2 per minute", rate_staff="5 per minute")
    visitor = app.test_client()
    operator = sign_in(app, "olga")
    assert [visitor.get("/search/results?q=cancel").status_code for _ in range(3)] == [200, 200, 429]
    # Same address as the visitor who is held back, but an operator: the console still searches.
    statuses = [operator.get("/console/results?q=cancel").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


# A value for each kind of URL argument, so that every page can be asked for (a 404 is fine: only
# whether the view runs a search counts).
URL_VALUES = {"article_id": "cancel-order", "tag": "orders", "token": "no-such-token", "number": 1, "login": "root",
              "token_id": 1, "code": "en", "table": "articles", "filename": "site.css"}


def test_every_route_that_runs_a_search_spends_the_search_budget(sample_index, tmp_path, monkeypatch):
    """Walk every page and API route (as an admin, who reaches them all) with a question in `q`: each
    view that ran a search must carry `@limit("search")`."""
    from flask import request, url_for

    from kb.search.searcher import Searcher

    app = limited_app(sample_index, tmp_path)
    admin = sign_in(app, "root", role="admin", tier=3)
    searching = set()
    search = Searcher.search

    def spy(self, *args, **kwargs):
        searching.add(request.endpoint)
        return search(self, *args, **kwargs)

    monkeypatch.setattr(Searcher, "search", spy)
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            with app.test_request_context():
                url = url_for(rule.endpoint, **{name: URL_VALUES[name] for name in rule.arguments})
            admin.get(url, query_string={"q": "how do I cancel my order", "article": "cancel-order"})
    assert {"help.search", "help.results", "console.index", "console.results", "api.search.search"} <= searching
    unlimited = sorted(endpoint for endpoint in searching
                       if getattr(app.view_functions[endpoint], "kb_limit", {}).get("budget") != "search")
    assert not unlimited, f"these routes run a search without the search limit: {unlimited}"


def test_an_address_behind_a_proxy_counts_only_when_the_proxy_is_trusted(sample_index, tmp_path):
    untrusted = limited_app(sample_index, tmp_path, rate_search="1 per minute").test_client()
    assert untrusted.get("/search/results?q=a", headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 200
    # A forged X-Forwarded-For does not buy a fresh budget.
    assert untrusted.get("/search/results?q=a", headers={"X-Forwarded-For": "192.0.2.2"}).status_code == 429
    trusted = limited_app(sample_index, tmp_path, rate_search="1 per minute", trusted_proxies=1).test_client()
    assert trusted.get("/search/results?q=a", headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 200
    assert trusted.get("/search/results?q=a", headers={"X-Forwarded-For": "192.0.2.2"}).status_code == 200
    assert trusted.get("/search/results?q=a", headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 429


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("KB_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


def test_limits_in_redis_are_shared_by_two_app_instances(sample_index, tmp_path, redis_url):
    # Two create_app over one KB_REDIS_URL: two worker processes or hosts. A key prefix of this test's own.
    config = {"RATELIMIT_KEY_PREFIX": f"kb-test-{uuid.uuid4().hex}"}
    first = limited_app(sample_index, tmp_path, config, redis_url=redis_url, rate_tickets="3 per hour")
    second = limited_app(sample_index, tmp_path, config, redis_url=redis_url, rate_tickets="3 per hour")
    one, two = first.test_client(), second.test_client()
    assert [ask(one, 0).status_code, ask(two, 1).status_code, ask(one, 2).status_code] == [201, 201, 201]
    refused = ask(two, 3)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 3000
    assert ask(one, 4).status_code == 429
    # Without Redis each instance would count alone: the contrast that makes the test mean something.
    alone = limited_app(sample_index, tmp_path, config, rate_tickets="3 per hour").test_client()
    assert ask(alone, 5).status_code == 201


def test_an_unreachable_redis_does_not_take_search_down(sample_index, tmp_path):
    app = limited_app(sample_index, tmp_path, redis_url="redis://127.0.0.1:1/0", rate_search="2 per minute")
    client = app.test_client()
    assert [client.get("/api/v1/search?q=cancel").status_code for _ in range(3)] == [200, 200, 429]


def test_a_rate_that_cannot_be_read_stops_the_start_naming_the_setting():
    from kb.config import SettingsError, load_settings

    with pytest.raises(SettingsError, match=re.escape("KB_RATE_SEARCH")):
        load_settings({"KB_RATE_SEARCH": "lots"})


def failed_login(client, n: int):
    return client.post("/login", data={"login": f"guess{n}", "password": "not-the-password"},
                       environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code


def test_failed_logins_are_counted_in_redis_across_app_instances(sample_index, tmp_path, redis_url):
    # The login's own limits (webapp/staff/login.py) share the store; keys of this test's own address.
    config = {"WTF_CSRF_ENABLED": False}
    address = f"kb-test-{uuid.uuid4().hex}"
    apps = [limited_app(sample_index, tmp_path, config, redis_url=redis_url, login_limit_address="3 per 15 minutes")
            for _ in range(2)]
    one, two = (app.test_client() for app in apps)

    def fail(client, n):
        return client.post("/login", data={"login": f"guess{n}", "password": "not-the-password"},
                           environ_base={"REMOTE_ADDR": address}).status_code

    assert [fail(one, 0), fail(two, 1), fail(one, 2), fail(two, 3)] == [400, 400, 400, 429]


def test_an_unreachable_redis_does_not_take_logins_down(sample_index, tmp_path):
    app = limited_app(sample_index, tmp_path, {"WTF_CSRF_ENABLED": False}, redis_url="redis://127.0.0.1:1/0",
                      login_limit_address="2 per 15 minutes")
    client = app.test_client()
    assert [failed_login(client, n) for n in range(3)] == [400, 400, 429]
