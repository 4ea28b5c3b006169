"""The load test in small: tools/load_test.py's visitors and operators against a real server
(waitress on loopback, as `kb serve` runs it) for a few seconds: no error, every ticket the server
confirmed is in the database. docs/reliability.md has the full runs (50 users, 60 s)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from conftest import STAFF_PASSWORD, add_staff

TOOL = Path(__file__).resolve().parent.parent / "tools" / "load_test.py"


def load_tool():
    spec = importlib.util.spec_from_file_location("load_test", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_short_load_run_has_no_error_and_loses_no_ticket(serve_sample):
    tool = load_tool()
    base, app = serve_sample(rate_search="100000 per minute", rate_tickets="100000 per hour",
                             rate_votes="100000 per hour", rate_staff="100000 per minute")
    add_staff(app, "loadop")
    stats = tool.run(base, users=6, seconds=6, operators=2, login="loadop", password=STAFF_PASSWORD,
                     ticket_share=0.5)
    assert not stats.errors, dict(stats.errors)
    assert {"search (as you type)", "article", "console search", "ticket (API)"} <= set(stats.times)
    assert stats.tickets
    database_url = app.extensions["kb"].settings.database_url
    assert tool.count_tickets(database_url, stats.tickets) == len(stats.tickets)
    print(tool.report(stats))
