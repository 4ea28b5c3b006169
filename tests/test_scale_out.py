"""Scale-out as README "Deploying" describes it, on this machine: two `kb serve` processes over one
PostgreSQL and the same index folder, two `kb worker`s. A ticket sent through either server is
numbered once and seen by both; the scheduled jobs run once across the workers; a new `kb index`
build reaches both running servers without a restart and without a failed request."""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import KB, SAMPLE_ARTICLES, free_port


def wait_until_serving(base: str, deadline: float, logs, alive=lambda: True) -> None:
    """Until `base` answers its health check (a server loads its models first); fails with `logs()`
    when the deadline passes or `alive()` says the server is gone."""
    while True:
        try:
            if requests.get(f"{base}/api/v1/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still loading its models
            pass
        if time.monotonic() > deadline or not alive():
            pytest.fail(logs())
        time.sleep(0.5)


@pytest.fixture
def deployment(tmp_path, sample_index, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("scale-out is PostgreSQL's")
    articles, index = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(SAMPLE_ARTICLES, articles)
    shutil.copytree(sample_index, index, symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_DATABASE_URL=db_url, KB_INDEX=str(index), KB_ARTICLES=str(articles), PYTHONUNBUFFERED="1",
               KB_SECRET_KEY="scale-out-test-secret-key-0123456789", KB_ESCALATE_EVERY="0.2", KB_GAPS_EVERY="0",
               KB_QUERY_LOG_PRUNE_EVERY="0", KB_RATE_SEARCH="100000 per minute", KB_RATE_TICKETS="100000 per hour")
    processes = []

    def start(*args) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{args[0]}-{len(processes)}.log"
        with open(log, "w") as handle:
            process = subprocess.Popen([str(KB), *args], stdout=handle, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, env=env, cwd=tmp_path)
        processes.append(process)
        return process, log

    servers = []
    for _ in range(2):
        port = free_port()
        start("serve", "--port", str(port), "--threads", "4")
        servers.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 180
    for base in servers:  # both load their models at once
        wait_until_serving(base, deadline, lambda: "a server did not come up:\n" + "\n".join(
            p.read_text() for p in tmp_path.glob("*.log")))
    yield servers, start, articles, index
    for process in processes:
        process.kill()
        process.wait(10)


def test_two_servers_and_two_workers_share_one_database_and_one_index(deployment):
    from kb.search.build import build_index

    servers, start, articles, index = deployment
    confirmed = []
    for n in range(10):  # alternately through each server
        answer = requests.post(f"{servers[n % 2]}/api/v1/tickets", timeout=30,
                               json={"question": f"Where is my order {1000 + n}?", "email": f"c{n}@example.com"})
        assert answer.status_code == 201, answer.text
        confirmed.append(answer.json())
    assert sorted(t["number"] for t in confirmed) == list(range(1, 11))  # one numbering, no gap, no twice
    for n, ticket in enumerate(confirmed):  # each seen through the other server
        token = ticket["status_url"].rstrip("/").rsplit("/", 1)[-1]
        assert requests.get(f"{servers[(n + 1) % 2]}/api/v1/tickets/{token}", timeout=30).status_code == 200

    workers = [start("worker", "--verbose") for _ in range(2)]
    deadline = time.monotonic() + 60
    while not all(("running escalation" in log.read_text() or "standing by for escalation" in log.read_text())
                  for _, log in workers):
        assert time.monotonic() < deadline, [log.read_text() for _, log in workers]
        time.sleep(0.2)
    time.sleep(1)
    runners = [log for _, log in workers if "running escalation" in log.read_text()]
    assert len(runners) == 1, [log.read_text() for _, log in workers]  # one runs it, the other stands by

    # A new article, indexed while both servers answer searches in a loop.
    (articles / "gift-wrapping.md").write_text(
        "---\nid: gift-wrapping\ntitle: Do you gift wrap orders?\nlang: en\nquestions:\n  - Can my order be "
        "wrapped as a present?\n  - Is gift wrapping available?\ntags: [orders]\n---\nYes: tick \"Gift wrapping\" "
        "at checkout.\n", encoding="utf-8")
    failures, served, stop = [], [0], threading.Event()

    def searching(base):
        while not stop.is_set():
            answer = requests.get(f"{base}/api/v1/search", params={"q": "where is my parcel"}, timeout=30)
            served[0] += 1
            if answer.status_code != 200:
                failures.append((base, answer.status_code))

    loops = [threading.Thread(target=searching, args=(base,)) for base in servers]
    for loop in loops:
        loop.start()
    try:
        build_index(articles, index)
        deadline = time.monotonic() + 60
        for base in servers:
            while True:
                found = requests.get(f"{base}/api/v1/search", params={"q": "would you wrap my gift"}, timeout=30).json()
                if found["results"] and found["results"][0]["id"] == "gift-wrapping":
                    break
                assert time.monotonic() < deadline, f"{base} still serves the old build"
                time.sleep(0.2)
    finally:
        stop.set()
        for loop in loops:
            loop.join(30)
    assert served[0] > 0 and failures == []


def test_kb_serve_with_workers_runs_that_many_processes_over_one_database(tmp_path, sample_index, sqlite_template):
    shutil.copy(sqlite_template, tmp_path / "kb.sqlite")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_DATABASE_URL=f"sqlite:///{tmp_path / 'kb.sqlite'}", KB_INDEX=str(sample_index),
               KB_SECRET_KEY="workers-test-secret-key-0123456789", KB_RATE_TICKETS="100000 per hour")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with open(log, "w") as handle:
        server = subprocess.Popen([str(KB), "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
                                  stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                  cwd=tmp_path)
    try:
        wait_until_serving(base, time.monotonic() + 180, log.read_text, alive=lambda: server.poll() is None)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert len(children) == 2  # the master and two workers
        numbers, lock = [], threading.Lock()

        def send(n):
            answer = requests.post(f"{base}/api/v1/tickets", timeout=60,
                                   json={"question": f"Parcel {n} never came", "email": f"w{n}@example.com"})
            assert answer.status_code == 201, answer.text
            with lock:
                numbers.append(answer.json()["number"])

        senders = [threading.Thread(target=send, args=(n,)) for n in range(12)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join(120)
        assert sorted(numbers) == list(range(1, 13))
        found = requests.get(f"{base}/api/v1/search", params={"q": "где мой заказ"}, timeout=30).json()
        assert found["results"][0]["id"] == "track-order"
    finally:
        server.terminate()  # SIGTERM: the master stops its workers
        server.wait(60)
    assert server.returncode == 0, log.read_text()
    # Without KB_REDIS_URL each worker counts the rate limits alone: said at the start.
    assert "warning: without KB_REDIS_URL each of the 2 processes keeps its own rate-limit counts" in log.read_text()
    assert not any(Path(f"/proc/{pid}").exists() for pid in children)
