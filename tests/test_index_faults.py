"""A broken index build never serves: it is found when loaded, named with its file, and the last good
build keeps answering; `kb index` never points `current` at one; `kb serve` starts without one.

The builds here are copies of the session's sample build (`sample_index`), damaged on purpose."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, csrf_of, fake_embed, free_port, make_settings

from kb.errors import IndexBroken

QUESTION = "как отменить заказ"


def truncate(path: Path):
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])


DAMAGE = {  # what a full disk, a killed copy or a wrong file leaves behind
    "truncated faiss": ("e5.phrasings.faiss", truncate),
    "missing faiss": ("use.passages.faiss", Path.unlink),
    "deleted manifest": ("manifest.json", Path.unlink),
    "truncated manifest": ("manifest.json", truncate),
    "garbage numpy": ("phrase_article.npy", lambda p: p.write_bytes(os.urandom(300))),
    "numpy of the wrong length": ("passage_article.npy", lambda p: np.save(p, np.zeros(3, np.int64))),
    "truncated articles": ("articles.json", truncate),
    "truncated classifier": ("classifier.multi.weights.npy", truncate),
    "missing keywords": ("keywords.npz", Path.unlink),
    "missing n-grams": ("ngrams.counts.npz", Path.unlink),
    "truncated n-grams": ("ngrams.counts.npz", truncate),
    "faiss of another build": ("minilm.phrasings.faiss", "e5.passages.faiss"),
}


def damage(build: Path, kind: str):
    name, how = DAMAGE[kind]
    if isinstance(how, str):  # another file of the build copied over this one
        shutil.copy(build / how, build / name)
    else:
        how(build / name)
    return name


@pytest.fixture
def index_dir(sample_index, tmp_path) -> Path:
    """An index folder of this test's own: `builds/good` (a copy of the sample build) is current."""
    out = tmp_path / "index"
    (out / "builds").mkdir(parents=True)
    shutil.copytree(sample_index / "cache", out / "cache")
    shutil.copytree((sample_index / "current").resolve(), out / "builds" / "good")
    point(out, "good")
    return out


def point(index_dir: Path, build: str):
    """Move `current` the way `kb index` does: a new relative symlink replaced atomically."""
    tmp = index_dir / f".current-{build}"
    os.symlink(os.path.relpath(index_dir / "builds" / build, index_dir), tmp)
    os.replace(tmp, index_dir / "current")


def broken_copy(index_dir: Path, kind: str, name: str = "broken") -> str:
    shutil.copytree(index_dir / "builds" / "good", index_dir / "builds" / name)
    return damage(index_dir / "builds" / name, kind)


def app_over(index_dir: Path, tmp_path: Path):
    from kb.app.services import Services
    from webapp import create_app

    settings = make_settings(index_dir=index_dir, database_url=f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "test"},
                      services=Services(settings, duplicate_embed=fake_embed))


# -- found when loaded ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_build_is_an_index_broken_naming_the_build_and_the_file(index_dir, kind):
    from kb.search.loading import LoadedBuild

    name = broken_copy(index_dir, kind)
    point(index_dir, "broken")
    with pytest.raises(IndexBroken) as raised:
        LoadedBuild(index_dir)
    message = raised.value.message
    assert "index build broken" in message and name in message, message
    assert str(index_dir) not in message  # it reaches visitors: no folder of the server
    assert raised.value.status == 503 and raised.value.code == "index_broken"


def test_the_good_build_loads(index_dir):
    from kb.search.loading import LoadedBuild

    assert LoadedBuild(index_dir).path.name == "good"


# -- the last good build keeps serving ------------------------------------------------------------

def test_current_moved_to_a_broken_build_keeps_the_good_one_serving_and_is_tried_once(
        index_dir, tmp_path, monkeypatch, caplog):
    from kb.search import searcher as searching

    client = app_over(index_dir, tmp_path).test_client()
    assert client.get("/api/v1/search", query_string={"q": QUESTION}).status_code == 200
    article_id = client.get("/api/v1/search", query_string={"q": QUESTION}).get_json()["results"][0]["id"]

    loads = []
    real = searching.LoadedBuild
    monkeypatch.setattr(searching, "LoadedBuild", lambda *a: loads.append(a) or real(*a))
    broken_copy(index_dir, "truncated faiss")
    point(index_dir, "broken")
    for _ in range(3):
        for path, query in (("/api/v1/search", {"q": QUESTION}), ("/api/v1/health", {}),
                            (f"/articles/{article_id}", {}), (f"/api/v1/articles/{article_id}", {}), ("/", {}),
                            ("/search", {"q": QUESTION})):
            response = client.get(path, query_string=query)
            assert response.status_code == 200, (path, response.status_code)
    assert len(loads) == 1  # not once per request
    logged = [r.getMessage() for r in caplog.records if r.name == "kb.search.searcher"]
    assert len(logged) == 1 and "broken" in logged[0] and "e5.phrasings.faiss" in logged[0]
    assert "build good keeps serving" in logged[0]
    health = client.get("/api/v1/health").get_json()  # says so, while the good build answers
    assert health["status"] == "degraded" and "e5.phrasings.faiss" in health["index"]

    # After the back-off it is tried again (its files may have been put right in place).
    monkeypatch.setattr(searching, "RETRY_BROKEN_SECONDS", 0.0)
    state = searching._serving[str(index_dir.resolve())]
    state.failed = (*state.failed[:2], time.monotonic())
    assert client.get("/api/v1/health").status_code == 200 and len(loads) == 2

    # `current` moving on to a good build: served at once, no restart.
    shutil.copytree(index_dir / "builds" / "good", index_dir / "builds" / "good2")
    point(index_dir, "good2")
    assert client.get("/api/v1/search", query_string={"q": QUESTION}).status_code == 200
    assert searching.get_searcher(index_dir).path.name == "good2"
    assert client.get("/api/v1/health").get_json()["index"] == "ok"


def test_with_no_good_build_search_is_a_503_and_the_ticket_pages_work(index_dir, tmp_path):
    broken_copy(index_dir, "truncated faiss")
    point(index_dir, "broken")
    client = app_over(index_dir, tmp_path).test_client()

    api = client.get("/api/v1/search", query_string={"q": QUESTION})
    error = api.get_json()["error"]
    assert api.status_code == 503 and error["code"] == "index_broken"
    assert "e5.phrasings.faiss" in error["message"] and str(tmp_path) not in error["message"]
    assert client.get("/api/v1/health").status_code == 503
    page = client.get("/search", query_string={"q": QUESTION})
    assert page.status_code == 503 and page.mimetype == "text/html"

    assert client.get("/ask").status_code == 200
    sent = client.post("/ask", data={"csrf_token": csrf_of(client, "/ask"),
                                     "question": "Where is my parcel? It is late", "email": "ann@example.com"})
    assert sent.status_code == 303 and "/tickets/" in sent.headers["Location"]
    assert client.get(sent.headers["Location"]).status_code == 200
    created = client.post("/api/v1/tickets", json={"question": "My parcel never came", "email": "bo@example.com"})
    assert created.status_code == 201


# -- `kb index` never points current at a build that does not load ---------------------------------

def _writes_a_truncated_faiss(monkeypatch):
    from kb.search import build as indexing

    real = indexing._write_build

    def write_then_lose_half(folder, *args, **kwargs):  # a write that lost data without an error
        report = real(folder, *args, **kwargs)
        truncate(folder / "e5.phrasings.faiss")
        return report

    monkeypatch.setattr(indexing, "_write_build", write_then_lose_half)


def test_kb_index_refuses_a_build_that_does_not_load(small_kb, small_index_dir, monkeypatch):
    from click.testing import CliRunner

    from kb.cli import main
    from kb.search.build import BuildError, build_index

    build_index(small_kb, small_index_dir)
    serving = (small_index_dir / "current").resolve()
    _writes_a_truncated_faiss(monkeypatch)
    with pytest.raises(BuildError, match="e5.phrasings.faiss is truncated"):
        build_index(small_kb, small_index_dir)
    result = CliRunner().invoke(main, ["index", "--articles", str(small_kb), "--out", str(small_index_dir)])
    assert result.exit_code == 1, result.output
    assert "e5.phrasings.faiss is truncated" in result.output and "previous index keeps serving" in result.output
    assert "Traceback" not in result.output
    assert (small_index_dir / "current").resolve() == serving
    assert [p.name for p in (small_index_dir / "builds").iterdir()] == [serving.name]  # no debris


def test_kb_index_over_a_broken_current_builds_a_good_one(small_kb, small_index_dir):
    from kb.search.build import build_index
    from kb.search.searcher import get_searcher

    build_index(small_kb, small_index_dir)
    # The same articles again: the next build would copy the damaged n-gram model on as it is.
    shutil.copytree((small_index_dir / "current").resolve(), small_index_dir / "builds" / "broken")
    damage(small_index_dir / "builds" / "broken", "truncated n-grams")
    point(small_index_dir, "broken")
    build_index(small_kb, small_index_dir)
    assert (small_index_dir / "current").resolve().name != "broken"
    assert get_searcher(small_index_dir).search("cancel my order").results


# -- loading a new build does not stall the searches ----------------------------------------------

def test_a_new_build_is_swapped_in_without_a_failed_or_stalled_search(index_dir, tmp_path, monkeypatch):
    """Searches in a loop from four threads through the app while `current` moves to a new build
    whose loading takes 1.5 s (a large build): none fails, none but the one that loads it (a request
    thread may be the first to see `current` move) waits for the load, and the new build serves
    afterwards."""
    from kb.search import searcher as searching

    app = app_over(index_dir, tmp_path)
    assert app.test_client().get("/api/v1/search", query_string={"q": QUESTION}).status_code == 200
    real = searching.LoadedBuild
    monkeypatch.setattr(searching, "LoadedBuild", lambda *a: time.sleep(1.5) or real(*a))
    stop, lock = threading.Event(), threading.Lock()
    latencies, failures = [], []

    def ask():
        client = app.test_client()
        while not stop.is_set():
            started = time.perf_counter()
            response = client.get("/api/v1/search", query_string={"q": QUESTION})
            with lock:
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures.append(response.status_code)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    shutil.copytree(index_dir / "builds" / "good", index_dir / "builds" / "new")
    point(index_dir, "new")
    deadline = time.monotonic() + 20
    while searching.get_searcher(index_dir).path.name != "new" and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    print(f"swap: {len(latencies)} searches, {len(failures)} failed, max {max(latencies) * 1000:.0f} ms, "
          f"p50 {sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms")
    assert not failures and len(latencies) > 20
    assert searching.get_searcher(index_dir).path.name == "new"
    slow = [latency for latency in latencies if latency >= 1.0]  # the load took 1.5 s
    assert len(slow) <= 1, slow  # only the loader's own request, if a request thread loaded it


# -- `kb serve` starts over a broken build ----------------------------------------------------------

def test_kb_serve_over_a_truncated_faiss_starts_and_serves_the_ticket_pages(index_dir, tmp_path):
    import urllib.error
    import urllib.request

    broken_copy(index_dir, "truncated faiss")
    point(index_dir, "broken")
    port = free_port()
    env = {**os.environ, "KB_INDEX": str(index_dir), "KB_DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite'}",
           "KB_SECRET_KEY": "test-secret"}
    server = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"

    def get(path):
        try:
            with urllib.request.urlopen(base + path, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                status = get("/ask")
                break
            except OSError:
                assert time.monotonic() < deadline, "kb serve did not start"
                time.sleep(0.3)
        assert status == 200
        assert get("/api/v1/search?q=order") == 503
        assert get("/api/v1/health") == 503
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Traceback" not in output, output
    assert "index build broken cannot be loaded: e5.phrasings.faiss is truncated" in output, output
