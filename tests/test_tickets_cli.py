"""The ticket commands through click's CliRunner, on SQLite and PostgreSQL."""
import csv
import io
from datetime import timedelta

from kb.desk.records import utcnow


def test_db_upgrade_and_operators(kb):
    assert "is up to date" in kb("db", "upgrade").output
    first = kb("operators", "add", "root", "--name", "Root Admin", input="a-long-password\na-long-password\n")
    assert first.exit_code == 0 and "root (Root Admin): admin, tier 1" in first.output
    second = kb("operators", "add", "Anna", "--name", "Anna K", "--tier", "2", "--password", "a-long-password")
    assert second.exit_code == 0 and "anna (Anna K): operator, tier 2" in second.output
    again = kb("operators", "add", "anna", "--name", "Anna K", "--password", "a-long-password")
    assert again.exit_code == 1 and "already an operator with the login 'anna'" in again.output
    short = kb("operators", "add", "bob", "--name", "Bob", "--password", "short")
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    listed = kb("operators", "list").output
    assert "root" in listed and "anna" in listed and "bob" not in listed


def test_take_pass_and_solve(kb, desk):
    for login, tier in (("anna", 1), ("viktor", 2)):
        assert kb("operators", "add", login, "--name", login.title(), "--tier", str(tier), "--role", "lead",
                  "--password", "a-long-password").exit_code == 0
    number = desk.create_ticket("Where is my parcel?", email="ann@example.com")["number"]
    assert f"#{number}" in kb("tickets", "list").output
    assert "is yours, anna" in kb("tickets", "take", str(number), "--as", "anna").output
    taken = kb("tickets", "take", str(number), "--as", "viktor")
    assert taken.exit_code == 1 and "already taken by anna" in taken.output
    no_note = kb("tickets", "pass", str(number), "--as", "anna")
    assert no_note.exit_code == 2 and "--note" in no_note.output
    assert "passed on to tier 2" in kb("tickets", "pass", str(number), "--as", "anna", "--note", "courier").output
    kb("tickets", "take", str(number), "--as", "viktor")
    not_owner = kb("tickets", "solve", str(number), "--as", "anna", "--answer", "x")
    assert not_owner.exit_code == 1 and "only the owner" in not_owner.output
    assert "solved" in kb("tickets", "solve", str(number), "--as", "viktor", "--article", "track-order").output
    shown = kb("tickets", "show", str(number)).output
    for kind in ("created", "assigned", "passed_on", "solved"):
        assert kind in shown
    assert "to_tier=2  courier" in shown and "[track-order]" in shown
    assert kb("tickets", "list").output.strip() == "no tickets"
    assert f"#{number}" in kb("tickets", "list", "--status", "solved").output
    assert kb("tickets", "show", "999").exit_code == 1


def test_escalate_is_idempotent_and_report(kb, desk):
    number = desk.create_ticket("Where is my parcel?", email="ann@example.com", now=utcnow() - timedelta(hours=21))
    first = kb("tickets", "escalate").output
    assert f"#{number['number']}: not solved within 20 h at tier 1" in first and "1 ticket(s) escalated" in first
    assert "0 ticket(s) escalated" in kb("tickets", "escalate").output
    month = utcnow().strftime("%Y-%m")
    text = kb("report", "--month", month).output
    assert "operators" in text and "tiers" in text and "channels" in text
    rows = list(csv.DictReader(io.StringIO(kb("report", "--month", month, "--csv").output.removeprefix("\ufeff"))))
    tier1 = next(r for r in rows if r["group"] == "tier" and r["name"] == "1")
    assert tier1["escalated"] == "1" and tier1["breaches"] == "1" and tier1["solved"] == "0"
    bad = kb("report", "--month", "soon")
    assert bad.exit_code == 1 and "2025-03" in bad.output


def test_a_note_a_person_could_not_type_is_refused_and_never_printed(kb, desk):
    assert kb("operators", "add", "anna", "--name", "Anna", "--role", "lead", "--password", "a-long-password").exit_code == 0
    number = desk.create_ticket("Where is my parcel?", email="ann@example.com")["number"]
    kb("tickets", "take", str(number), "--as", "anna")
    for note in ("courier \x9b2J late", "courier \x85", "\u202eetal reiruoc", "courier \ufffe"):
        refused = kb("tickets", "pass", str(number), "--as", "anna", "--note", note)
        assert refused.exit_code == 1 and "control character" in refused.output, refused.output
    shown = kb("tickets", "show", str(number)).output
    assert "passed_on" not in shown and not any("\x80" <= c <= "\x9f" or c in "\u202e\ufffe" for c in shown)
