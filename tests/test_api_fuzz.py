"""Schemathesis against a live `kb serve`: the JSON API, driven by its own OpenAPI document
(/api/v1/openapi.json), answers every generated request (valid and invalid ones) without a 5xx and
with a body that matches the document.

One `st run` of a few hundred requests over every operation, in all four phases (the documented
examples, the coverage of each schema's edges, random fuzzing, and stateful chains that follow a
created ticket's token into the other ticket routes). The seed is fixed, so a run is repeatable;
KB_TEST_FUZZ_SEED and KB_TEST_FUZZ_EXAMPLES (per operation) explore further.
"""
from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import RELAXED_RATES_ENV, SAMPLE_ARTICLES, free_port

BIN = Path(sys.executable).parent
SEED = os.environ.get("KB_TEST_FUZZ_SEED", "20261201")
EXAMPLES = os.environ.get("KB_TEST_FUZZ_EXAMPLES", "20")
START_TIMEOUT = 240  # seconds for `kb serve` to load and warm up the models (slow on a busy machine)


@pytest.fixture
def served(sample_index, tmp_path):
    """`kb serve` on the sample index and an empty SQLite database; its base URL. Killed at teardown."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_INDEX=str(sample_index), KB_ARTICLES=str(SAMPLE_ARTICLES),
               KB_DATABASE_URL=f"sqlite:///{tmp_path / 'kb.sqlite'}", KB_INSTANCE=str(tmp_path / "instance"),
               PYTHONUNBUFFERED="1", **RELAXED_RATES_ENV)  # hundreds of requests from one client
    log = tmp_path / "serve.log"
    with open(log, "w") as handle:
        process = subprocess.Popen([str(BIN / "kb"), "serve", "--port", str(port), "--threads", "4"],
                                   stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"kb serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"kb serve did not answer /api/v1/health in {START_TIMEOUT} s:\n{log.read_text()}")
            time.sleep(0.25)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def interactions(report: Path):
    """(operation, status) of every request the run made, from its NDJSON report."""
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        label = finished["recorder"]["label"]
        for interaction in finished["recorder"].get("interactions", {}).values():
            response = interaction.get("response")
            yield label, interaction["request"]["method"], response["status_code"] if response else None


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_document(served, tmp_path):
    base, log = served
    reports = tmp_path / "reports"
    command = [str(BIN / "st"), "run", f"{base}/api/v1/openapi.json",
               "--checks", "not_a_server_error,response_schema_conformance",
               "--max-examples", EXAMPLES, "--seed", SEED, "--workers", "1",
               "--generation-database", "none", "--request-timeout", "30",
               # Hypothesis's health checks judge the generator, not the API (a `path` parameter
               # filters out many strings; a busy machine is "too slow"), and would fail the run.
               "--suppress-health-check", "all",
               "--no-color", "--report", "ndjson", "--report-dir", str(reports)]
    started = time.monotonic()
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600, cwd=tmp_path,
                          env={k: v for k, v in os.environ.items() if not k.startswith("KB_")})
    took = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)}\n{output}"

    seen = list(interactions(next(reports.glob("*.ndjson"))))
    statuses = collections.Counter((label, status) for label, _method, status in seen)
    server_errors = [(label, status) for label, _method, status in seen if status is None or status >= 500]
    print(f"\nschemathesis: {len(seen)} requests in {took:.1f} s, {len(server_errors)} 5xx; "
          f"seed {SEED}, {EXAMPLES} examples per operation")
    assert not server_errors, f"{server_errors}\n{output}"
    assert len(seen) >= 200, output
    # The run reached the product, not only its input checks: real answers of every kind came back.
    for reached in (("GET /api/v1/search", 200), ("GET /api/v1/search", 400), ("POST /api/v1/tickets", 201),
                    ("POST /api/v1/tickets", 400), ("GET /api/v1/tickets/{token}", 200),
                    ("POST /api/v1/tickets/{token}/details", 200), ("POST /api/v1/tickets/{token}/rating", 409),
                    ("GET /api/v1/articles/{article_id}", 404), ("GET /api/v1/health", 200)):
        assert statuses[reached], f"no {reached[0]} answered {reached[1]}: {sorted(statuses.items())}"
    server_log = log.read_text()
    assert "Traceback" not in server_log and "unhandled error" not in server_log, server_log
