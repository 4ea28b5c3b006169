"""Rate limits per client (webapp/core/rate_limits.py): searches, new tickets and votes; 429 with Retry-After
in the one error shape; staff counted apart; counters shared through Redis across the worker processes of
`kb serve --workers 2`."""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from conftest import KB, fake_embed, free_port, make_settings, sign_in, skip_unless_required

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
        skip_unless_required(f"Redis is not reachable at {REDIS_URL}: {exc}", "KB_REQUIRE_REDIS")
    return REDIS_URL


@pytest.fixture
def workers_with_redis(tmp_path, sqlite_template, redis_url):
    """`kb serve --workers 2` sharing the limits through Redis (no index: tickets and logins need none;
    the duplicate check uses MiniLM, the quickest encoder to load). Yields the process, its port and log."""
    shutil.copy(sqlite_template, tmp_path / "kb.sqlite")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_DATABASE_URL=f"sqlite:///{tmp_path / 'kb.sqlite'}", KB_INDEX=str(tmp_path / "no-index"),
               KB_SECRET_KEY="rate-limit-test-secret-key-0123", KB_REDIS_URL=redis_url, KB_TRUSTED_PROXIES="1",
               KB_DUPLICATE_EMBEDDER="minilm", KB_RATE_TICKETS="3 per hour", KB_LOGIN_LIMIT_ADDRESS="3 per 15 minutes")
    port, log = free_port(), tmp_path / "serve.log"
    with open(log, "w") as handle:
        server = subprocess.Popen([str(KB), "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
                                  stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                  cwd=tmp_path)
    try:
        yield server, port, log
    finally:
        server.terminate()
        server.wait(60)


def holder_of(connection: http.client.HTTPConnection, port: int, pids: list[str]) -> str:
    """Which of `pids` holds the server's end of `connection` (its socket among the process's files)."""
    ours = connection.sock.getsockname()[1]
    ends = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, remote, inode = (line.split()[i] for i in (1, 2, 9))
            if int(local.rsplit(":", 1)[1], 16) == port and int(remote.rsplit(":", 1)[1], 16) == ours:
                ends.add(f"socket:[{inode}]")
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) in ends:
                    return pid
    raise AssertionError(f"no worker holds the connection from port {ours}")


def one_connection_to_each_worker(server, port: int, log: Path) -> dict[str, http.client.HTTPConnection]:
    """Kept-alive connections to `kb serve --workers 2` by the pid of the worker that holds each
    (one each), each having answered a health check."""
    deadline = time.monotonic() + 120
    held: dict[str, http.client.HTTPConnection] = {}
    while len(held) < 2:
        assert time.monotonic() < deadline and server.poll() is None, f"not two workers answering:\n{log.read_text()}"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            answer(connection, "GET", "/api/v1/health", {})
        except OSError:
            time.sleep(0.5)
            continue
        workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        holder = holder_of(connection, port, workers)
        if holder in held:
            connection.close()
        else:
            held[holder] = connection
    return held


def address_of_its_own() -> dict:
    """A client address of this run's own (through the trusted proxy): the counts in Redis outlive the test."""
    return {"X-Forwarded-For": "2001:db8::" + ":".join(re.findall("....", uuid.uuid4().hex[:16]))}


def answer(connection, method: str, path: str, headers: dict, body: str | None = None):
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.getheaders(), response.read().decode()


def test_limits_in_redis_hold_across_the_workers_of_kb_serve(workers_with_redis):
    server, port, log = workers_with_redis
    address = address_of_its_own()

    def ticket(connection, n, sender=address):
        body = json.dumps({"question": f"Where is my parcel number {n}?", "email": f"customer{n}@example.com"})
        return answer(connection, "POST", "/api/v1/tickets", {**sender, "Content-Type": "application/json"}, body)

    def login_fails(connection, n):
        status, headers, page = answer(connection, "GET", "/login", address)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        cookies = "; ".join(value.split(";")[0] for name, value in headers if name.lower() == "set-cookie")
        form = urllib.parse.urlencode({"login": f"guess{n}", "password": "not-the-password", "csrf_token": token})
        return answer(connection, "POST", "/login", {
            **address, "Cookie": cookies, "Content-Type": "application/x-www-form-urlencoded"}, form)[0]

    # Each worker loads the duplicate check's encoder on a ticket from elsewhere first, so that no
    # kept-alive connection below times out waiting on it (one that did is tried again).
    warm: set[str] = set()
    while len(warm) < 2:
        for pid, connection in one_connection_to_each_worker(server, port, log).items():
            with contextlib.suppress(OSError):
                if pid not in warm:
                    assert ticket(connection, uuid.uuid4().hex[:8], address_of_its_own())[0] == 201
                    warm.add(pid)
            connection.close()
    one, two = one_connection_to_each_worker(server, port, log).values()
    # Alternately through each worker: counted alone, each would allow its own three.
    assert [ticket(one, 0)[0], ticket(two, 1)[0], ticket(one, 2)[0], ticket(two, 3)[0], ticket(one, 4)[0]] == \
        [201, 201, 201, 429, 429]
    assert [login_fails(one, 0), login_fails(two, 1), login_fails(one, 2), login_fails(two, 3)] == \
        [400, 400, 400, 429]
    assert "KB_REDIS_URL" not in log.read_text()  # no warning: the limits are shared


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


def test_an_unreachable_redis_does_not_take_logins_down(sample_index, tmp_path):
    app = limited_app(sample_index, tmp_path, {"WTF_CSRF_ENABLED": False}, redis_url="redis://127.0.0.1:1/0",
                      login_limit_address="2 per 15 minutes")
    client = app.test_client()
    assert [failed_login(client, n) for n in range(3)] == [400, 400, 429]


def test_a_question_form_sent_back_to_fix_does_not_spend_the_budget(tmp_path):
    app = limited_app(tmp_path / "no-index", tmp_path, {"WTF_CSRF_ENABLED": False}, rate_tickets="2 per hour")
    client = app.test_client()
    mistyped = {"question": "Where is my parcel?", "email": "not-an-address"}
    assert [client.post("/ask", data=mistyped).status_code for _ in range(4)] == [400] * 4
    assert [client.post("/api/v1/tickets", json={"question": "Where?"}).status_code for _ in range(3)] == [400] * 3
    sent = [client.post("/ask", data={"question": f"Where is parcel {n}?", "email": f"c{n}@example.com"})
            for n in range(3)]
    assert [answer.status_code for answer in sent] == [303, 303, 429]


def test_the_429_page_and_error_say_when_to_try_again(tmp_path):
    app = limited_app(tmp_path / "no-index", tmp_path, {"WTF_CSRF_ENABLED": False}, rate_tickets="1 per hour",
                      timezone="Europe/Moscow")
    client = app.test_client()
    assert ask(client, 0).status_code == 201
    refused = ask(client, 1)
    seconds = int(refused.headers["Retry-After"])
    assert 3500 <= seconds <= 3600
    message = refused.get_json()["error"]["message"]
    assert f"try again in {seconds} s" in message
    form = {"question": "Where is my parcel?", "email": "form@example.com"}
    for lang, words in (("en", "You can try again in 1 hour, at "), ("ru", "Повторить можно через 1 час, в ")):
        page = client.post("/ask", data=form, headers={"Accept-Language": lang},
                           environ_base={"REMOTE_ADDR": "203.0.113.7"})
        assert page.status_code == 429 and "Retry-After" in page.headers
        retry = re.search(r'<p class="retry" id="retry">([^<]*)</p>', page.get_data(as_text=True)).group(1)
        assert retry.startswith(words) and retry.endswith(" +0300."), retry
