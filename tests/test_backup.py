"""`kb export` / `kb import`: a database full of real rows (tickets with their history, operators,
an API token, votes, the query log, the gap finder's state) goes out as JSON lines and comes back
into a new SQLite or PostgreSQL database row for row; the ticket numbering goes on after it."""
from __future__ import annotations

import json
import shutil
from datetime import datetime

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import fake_embed

NOW = datetime(2026, 11, 20, 10, 0)


@pytest.fixture
def source(tmp_path, sqlite_template):
    """A SQLite database with some of everything, as a month of work leaves it."""
    from kb.analytics.log import QueryLog
    from kb.db.engine import open_database
    from kb.desk.desk import Desk
    from kb.desk.operators import add_operator
    from kb.desk.rules import TicketRules
    from kb.desk.tokens import create_token
    from kb.analytics.votes import Votes
    from kb.gaps.tables import GapCluster, GapMark, GapQuestion

    path = tmp_path / "source.sqlite"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    database = open_database(url)
    desk = Desk(database, TicketRules(), embed=fake_embed)
    add_operator(database, "olga", "Olga Petrova", "a-long-password-1", tier=1)
    create_token(database, "crm", "operator")
    numbers = []
    for n, question in enumerate(["Где мой заказ 1234?", "refund for a broken kettle", "промокод не работает"]):
        numbers.append(desk.create_ticket(question, email=f"c{n}@example.com", language="ru")["number"])
    desk.take(numbers[0], "olga")
    desk.solve(numbers[0], "olga", answer="Едет, будет завтра.", article_id="track-order")
    Votes(database).record("track-order", False, question="где заказ")
    log = QueryLog(database)
    log.asked(visitor="v1", qid="q1", text="gift wrap?", source="help", lang="en", results=[("a", 0.2)],
              no_match=True, confidence=0.2, now=NOW)
    assert log.flush()
    log.close()
    database.run(lambda session: session.add_all([
        GapCluster(id=7, status="dismissed", title="gift wrap?", created_at=NOW, updated_at=NOW, closed_by="erin"),
        GapQuestion(source="question", ref=1, cluster_id=7, text="gift wrap?", lang="en", asked_at=NOW, visitor="v1",
                    no_match=True, confidence=0.2, results=[["a", 0.2]], vector=np.ones(4, np.float32).tobytes(),
                    folded_at=NOW),
        GapMark(source="question", seen_until=NOW)]))
    return url


def run(url, *args, input=None):
    from kb.cli import main

    return CliRunner().invoke(main, list(args), env={"KB_DATABASE_URL": url}, input=input)


def rows(text: str) -> list[str]:
    return sorted(line for line in text.splitlines()[1:] if line.strip())


def test_an_export_comes_back_row_for_row_and_numbering_goes_on(source, db_url, tmp_path):
    from kb.db.engine import open_database
    from kb.desk.desk import Desk
    from kb.desk.rules import TicketRules

    dump = tmp_path / "kb.jsonl"
    exported = run(source, "export", str(dump))
    assert exported.exit_code == 0, exported.output
    header = json.loads(dump.read_text(encoding="utf-8").splitlines()[0])
    assert header["format"] == "kb-export" and header["rows"]["tickets"] == 3 and header["rows"]["gap_questions"] == 1

    imported = run(db_url, "import", str(dump))
    assert imported.exit_code == 0, imported.output
    again = run(db_url, "export")
    assert again.exit_code == 0
    assert rows(again.stdout) == rows(dump.read_text(encoding="utf-8"))  # every row, every value

    desk = Desk(open_database(db_url), TicketRules(), embed=fake_embed)
    fresh = desk.create_ticket("новый вопрос про доставку", email="new@example.com", language="ru")
    assert fresh["number"] == 4  # the counter came along; no id or number collides with an imported one
    assert desk.show(fresh["number"])["question"] == "новый вопрос про доставку"


def test_an_import_refuses_a_database_in_use_and_a_broken_file_and_writes_nothing(source, db_url, tmp_path):
    dump = tmp_path / "kb.jsonl"
    assert run(source, "export", str(dump)).exit_code == 0
    lines = dump.read_text(encoding="utf-8").splitlines()

    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines[:5] + ['{"table": "tickets", "row": {"no_such_column": 1}}'] + lines[5:]) + "\n",
                      encoding="utf-8")
    result = run(db_url, "import", str(broken))
    assert result.exit_code == 1 and "broken.jsonl:6" in result.output and "no_such_column" in result.output
    untouched = ['{"table": "counters", "row": {"name": "ticket_number", "value": 0}}']  # as migrated
    assert rows(run(db_url, "export").stdout) == untouched  # nothing half-imported

    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:-2]) + "\n", encoding="utf-8")
    result = run(db_url, "import", str(cut))
    assert result.exit_code == 1 and "incomplete" in result.output

    assert run(db_url, "import", str(dump)).exit_code == 0
    result = run(db_url, "import", str(dump))
    assert result.exit_code == 1 and "not empty" in result.output
