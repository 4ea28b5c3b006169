"""Shared fixtures: the sample knowledge base indexed once per test session with the real models."""
from __future__ import annotations

import os
import shutil
import socket
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ARTICLES = ROOT / "articles"
KB = Path(sys.executable).with_name("kb")  # the console script of this venv


def free_port() -> int:
    """A port nothing listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_settings(**values):
    """Settings with the declared defaults and these values, whatever the environment holds."""
    from kb.config import DeclaredSettings

    # Tests send many requests from one client: the rate limits are out of reach unless a test sets them
    # (tests/test_rate_limits.py); `kb serve` in a test gets the same through RELAXED_RATES.
    return DeclaredSettings(**{**RELAXED_RATES, **values})


RELAXED_RATES = {"rate_search": "100000 per minute", "rate_tickets": "100000 per minute",
                 "rate_votes": "100000 per minute", "rate_staff": "100000 per minute"}
RELAXED_RATES_ENV = {f"KB_{name.upper()}": value for name, value in RELAXED_RATES.items()}


def skip_unless_required(message: str, variable: str) -> None:
    """Skip the test for want of something this machine lacks; fail instead when `variable` is 1 (CI
    sets each, so that nothing it must run is skipped there)."""
    if os.environ.get(variable) == "1":
        pytest.fail(f"{message} ({variable}=1)")
    pytest.skip(message)


def eval_sets() -> Path:
    """The shared eval sets (`KB_EVAL_SETS`, else ../shared/eval beside the checkout, else
    /work/shared/eval); none there: skipped, unless KB_REQUIRE_EVAL_SETS=1 (CI)."""
    for candidate in (os.environ.get("KB_EVAL_SETS"), ROOT.parent / "shared" / "eval", "/work/shared/eval"):
        if candidate and (Path(candidate) / "banking-en" / "queries.jsonl").exists():
            return Path(candidate)
    skip_unless_required("the shared eval sets are not on this machine (set KB_EVAL_SETS)", "KB_REQUIRE_EVAL_SETS")


def write_article(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.md"
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


# Embeddings are keyed by model and text, so vectors kept from an earlier session are the ones the
# model would give again: each knowledge base the tests index keeps its own between sessions
# (KB_TEST_CACHE, else ~/.cache/kb-tests; "off" keeps nothing). Each build gets a copy, because a
# build keeps only its own texts in its cache and would prune what the next build needs.
TEST_CACHE = os.environ.get("KB_TEST_CACHE") or str(Path.home() / ".cache" / "kb-tests")


def index_folder(out: Path, kept: str = "sample") -> Path:
    """An index folder whose embedding cache starts as a copy of the one kept for `kept`."""
    out.mkdir(parents=True, exist_ok=True)
    seed = Path(TEST_CACHE) / kept
    if TEST_CACHE != "off" and seed.is_dir():
        shutil.copytree(seed, out / "cache", dirs_exist_ok=True)
    return out


def keep_embeddings(out: Path, kept: str = "sample") -> None:
    """Keep the embeddings of the build in `out` for the next build (and session) of `kept`."""
    if TEST_CACHE == "off":
        return
    folder = Path(TEST_CACHE) / kept
    folder.mkdir(parents=True, exist_ok=True)
    for vectors in (out / "cache").glob("*.npz"):
        partial = folder / f".{vectors.name}.{uuid.uuid4().hex[:8]}"  # then renamed: readers see whole files
        shutil.copy(vectors, partial)
        os.replace(partial, folder / vectors.name)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    from kb.search.build import build_index

    out = index_folder(tmp_path_factory.mktemp("index"))
    build_index(SAMPLE_ARTICLES, out)
    keep_embeddings(out)
    return out


@pytest.fixture(scope="session")
def searcher(sample_index):
    from kb.search.searcher import get_searcher

    return get_searcher(sample_index)


@pytest.fixture
def small_kb(tmp_path) -> Path:
    """A copy of a few sample articles that a test may edit."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in ("cancel-order", "track-order", "reset-password", "en-return-item", "en-payment-methods"):
        shutil.copy(SAMPLE_ARTICLES / f"{name}.md", folder)
    return folder


@pytest.fixture
def small_index_dir(tmp_path) -> Path:
    """An empty index folder whose embedding cache starts with the sample's, where one is kept."""
    return index_folder(tmp_path / "index")


@pytest.fixture
def app(sample_index, tmp_path):
    """The web app over the sample index and an empty SQLite database of its own."""
    from webapp import create_app

    settings = make_settings(index_dir=sample_index, database_url=f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "test"})


@pytest.fixture
def client(app):
    return app.test_client()


# --- ticket database: every ticket test runs on SQLite and on PostgreSQL ---------------------------

POSTGRES_URL = os.environ.get("KB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TICKET_TABLES = ("ticket_events, tickets, customers, api_tokens, operators, votes, questions, question_days, "
                 "gap_questions, gap_clusters, gap_marks")


@pytest.fixture(scope="session")
def postgres_url():
    """A database of its own on the PostgreSQL server for this test session, dropped at the end.

    No server: the PostgreSQL variants skip, unless KB_REQUIRE_POSTGRES=1 (CI), when they fail.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"kb_test_{uuid.uuid4().hex[:12]}"
    try:
        with server.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        server.dispose()
        skip_unless_required(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.orig}", "KB_REQUIRE_POSTGRES")
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    from kb.db import engine as kb_db

    for url in [u for u in kb_db._databases if name in u]:
        kb_db._databases.pop(url).dispose()
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated, empty SQLite database, copied for each test (faster than migrating each time)."""
    from kb.db.engine import Database

    path = tmp_path_factory.mktemp("template") / "kb.sqlite"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """The URL of an empty, migrated ticket database (KB_DATABASE_URL for the CLI and the app)."""
    if request.param == "sqlite":
        path = tmp_path / "kb.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        from kb.db import engine as kb_db

        if (database := kb_db._databases.pop(f"sqlite:///{path}", None)) is not None:
            database.dispose()
        return
    from sqlalchemy import text

    from kb.db.engine import open_database

    url = request.getfixturevalue("postgres_url")
    with open_database(url).engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {TICKET_TABLES} RESTART IDENTITY CASCADE"))
        connection.execute(text("UPDATE counters SET value = 0"))
    yield url


@pytest.fixture
def kb(db_url):
    """The `kb` command on the ticket database, as `kb(...args)` → click's result."""
    from click.testing import CliRunner

    from kb.cli import main

    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, list(args), input=input, env={"KB_DATABASE_URL": db_url, "KB_OPERATOR": None},
                             catch_exceptions=False)

    return run


@pytest.fixture
def database(db_url):
    from kb.db.engine import open_database

    return open_database(db_url)


def fake_embed(texts):
    """Bag of words hashed into 64 dimensions: same words, same vector (a stand-in for e5)."""
    import zlib

    import numpy as np

    vectors = np.zeros((len(texts), 64), np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            vectors[row, zlib.crc32(word.strip("?!.,").encode()) % 64] += 1
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


@pytest.fixture
def desk(database):
    from kb.desk.desk import Desk
    from kb.desk.rules import TicketRules

    return Desk(database, TicketRules(), embed=fake_embed)


@pytest.fixture
def ticket_app(db_url, tmp_path):
    """The web app over an empty ticket database (SQLite and PostgreSQL) and no search index: an
    empty folder keeps the models unloaded; the duplicate check uses the stand-in encoder."""
    return _ticket_app(db_url, tmp_path)


@pytest.fixture
def quiet_app(db_url, tmp_path):
    """`ticket_app` with auto-assignment off: new tickets wait in their tier's queue."""
    return _ticket_app(db_url, tmp_path, auto_assign=False)


def _ticket_app(db_url, tmp_path, **values):
    from kb.app.services import Services
    from webapp import create_app

    settings = make_settings(index_dir=tmp_path / "no-index", database_url=db_url, **values)
    return create_app(settings, {"TESTING": True}, services=Services(settings, duplicate_embed=fake_embed))


@pytest.fixture
def api(ticket_app):
    return ticket_app.test_client()


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium through Playwright (its own browser download does not work here), started
    once: each test gets contexts of its own (`browser`)."""
    if not CHROMIUM.exists():
        skip_unless_required("no /usr/bin/chromium: apt-get install chromium (.ci/run does it)", "KB_REQUIRE_BROWSER")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium):
    """The session's Chromium; what a test opened in it (contexts: cookies, pages) is closed after it."""
    yield chromium
    for context in chromium.contexts:
        context.close()


# --- staff: operators, editors, leads and admins signed in through the login page ------------------

STAFF_PASSWORD = "a-long-password"


def add_staff(app, login: str, role: str = "operator", tier: int = 1, name: str | None = None) -> dict:
    from kb.desk.operators import add_operator

    return add_operator(app.extensions["kb"].database, login, name or login.title() + " Testova", STAFF_PASSWORD,
                        role=role, tier=tier)


def sign_in(app, login: str, role: str = "operator", tier: int = 1, *, create: bool = True):
    """A test client signed in as a new (or, with create=False, an existing) member of staff."""
    if create:
        add_staff(app, login, role, tier)
    client = app.test_client()
    # The CSRF token lives in the session: fetch the login page first, as a browser does.
    page = client.get("/login")
    assert page.status_code == 200
    import re

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    data = {"login": login, "password": STAFF_PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    answer = client.post("/login", data=data)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    return client


def csrf_of(client, path: str) -> str:
    """The CSRF token of the form on the page at `path` (for posting as that page would)."""
    import re

    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


@pytest.fixture
def serve_sample(sample_index, sqlite_template, tmp_path):
    """Serve the app over the sample index on a real port, as `kb serve` runs it (waitress, in a
    thread here), with the search models warmed up and an SQLite database of its own. Call it with
    settings to change; it returns (base URL, app). The desk's duplicate check uses the stand-in."""
    import threading

    from waitress.server import create_server

    from kb.app.services import Services
    from webapp import create_app

    running = []

    def serve(**values):
        shutil.copy(sqlite_template, tmp_path / "kb.sqlite")
        settings = make_settings(index_dir=sample_index, database_url=f"sqlite:///{tmp_path}/kb.sqlite", **values)
        services = Services(settings, duplicate_embed=fake_embed)
        services.warm_up(log=lambda *_: None)
        app = create_app(settings, {"SECRET_KEY": "browser-test"}, services=services)
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.effective_port}", app

    yield serve
    for server, thread in running:
        server.close()
        thread.join(5)


def keystroke_latencies(page, questions) -> dict:
    """Type each question key by key at a person's pace into `#q` and time every keystroke from the
    input event to the results (`#results`' `results` event) painted. Returns the figures; with
    KB_BROWSER_LATENCY_OUT set, also writes them (and every value) to that file."""
    import json
    import statistics

    page.evaluate("""() => {
      window.latencies = [];
      const box = document.getElementById('q'), out = document.getElementById('results');
      let started = {};
      box.addEventListener('input', () => { started[box.value.trim()] = performance.now(); }, true);
      out.addEventListener('results', e => {
        const t0 = started[e.detail.query];
        if (t0 === undefined) return;
        requestAnimationFrame(() => setTimeout(() => window.latencies.push(performance.now() - t0), 0));
      });
    }""")
    for question in questions:
        page.locator("#q").fill("")
        page.locator("#q").press_sequentially(question, delay=140)
        page.wait_for_timeout(400)
    latencies = page.evaluate("window.latencies")
    assert len(latencies) >= 40, latencies
    report = {"keystrokes": len(latencies), "p50_ms": round(statistics.median(latencies), 1),
              "p95_ms": round(statistics.quantiles(latencies, n=20)[18], 1)}
    if out := os.environ.get("KB_BROWSER_LATENCY_OUT"):
        Path(out).write_text(json.dumps({**report, "all_ms": sorted(round(x, 1) for x in latencies)}))
    return report


@pytest.fixture
def served_without_index(ticket_app):
    """The app without a search index (no models to load) served on a real port, with the operator olga:
    for pages and keys that need no search."""
    import threading

    from waitress.server import create_server

    add_staff(ticket_app, "olga", "operator", name="Olga Petrova")
    server = create_server(ticket_app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(5)
