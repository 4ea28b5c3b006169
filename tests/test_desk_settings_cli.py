"""KB_AUTO_ASSIGN=0, and the --json output of `kb tickets list` and `kb report` (SQLite and PostgreSQL)."""
import json
from datetime import datetime

from click.testing import CliRunner
from conftest import fake_embed

from kb.cli import main
from kb.config import load_settings
from kb.desk.desk import Desk
from kb.desk.operators import add_operator
from kb.desk.rules import TicketRules

MONDAY = datetime(2025, 3, 3, 10, 0)


def kb(db_url, *args):
    result = CliRunner().invoke(main, list(args), env={"KB_DATABASE_URL": db_url, "KB_OPERATOR": None},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_auto_assign_off_leaves_a_new_ticket_in_the_queue(database):
    assert TicketRules.from_settings(load_settings({"KB_AUTO_ASSIGN": "0"})).auto_assign is False
    assert TicketRules.from_settings(load_settings({"KB_AUTO_ASSIGN": "1"})).auto_assign is True
    add_operator(database, "anna", "Anna Smith", "secret-password", role="operator", tier=1, now=MONDAY)
    desk = Desk(database, TicketRules(auto_assign=False), embed=fake_embed)
    ticket = desk.create_ticket("Where is my parcel?", email="ann@example.com", now=MONDAY)
    assert ticket["owner"] is None and ticket["status"] == "new"
    assert [e["kind"] for e in desk.show(ticket["number"])["events"]] == ["created"]
    assigned = Desk(database, TicketRules(auto_assign=True), embed=fake_embed).create_ticket(
        "How do I reset my password?", email="bob@example.com", now=MONDAY)
    assert assigned["owner"] == "anna"  # the same operator is taken when assignment is on


def test_tickets_list_json(db_url, database):
    desk = Desk(database, TicketRules(auto_assign=False), embed=fake_embed)
    first = desk.create_ticket("Where is my parcel?", email="ann@example.com", channel="chat", now=MONDAY)
    desk.create_ticket("Как сбросить пароль?", email="bob@example.com", now=MONDAY)
    listed = json.loads(kb(db_url, "tickets", "list", "--json"))
    assert [t["number"] for t in listed] == [first["number"], first["number"] + 1]
    one = listed[0]
    assert one["status"] == "new" and one["tier"] == 1 and one["channel"] == "chat" and one["owner"] is None
    assert one["question"] == "Where is my parcel?" and one["language"] == "en" and listed[1]["language"] == "ru"
    assert one["created_at"] == "2025-03-03T10:00:00Z" and one["first_response_due"] == "2025-03-03T10:05:00Z"
    assert "token" not in one  # the customer's key is not listed
    assert json.loads(kb(db_url, "tickets", "list", "--status", "solved", "--json")) == []


def test_report_json(db_url, database):
    add_operator(database, "anna", "Anna Smith", "secret-password", role="operator", now=MONDAY)
    desk = Desk(database, TicketRules(), embed=fake_embed)
    ticket = desk.create_ticket("Where is my parcel?", email="ann@example.com", channel="email", now=MONDAY)
    desk.solve(ticket["number"], "anna", answer="It arrives tomorrow", now=datetime(2025, 3, 3, 12, 0))
    desk.rate(ticket["token"], 4, now=datetime(2025, 3, 3, 13, 0))
    report = json.loads(kb(db_url, "report", "--month", "2025-03", "--json"))
    assert report["month"] == "2025-03"
    anna = next(r for r in report["operators"] if r["login"] == "anna")
    assert anna["received"] == 1 and anna["solved"] == 1 and anna["average_rating"] == 4
    assert anna["median_first_response_minutes"] == 120 and anna["median_solution_hours"] == 2
    tier1 = next(r for r in report["tiers"] if r["tier"] == 1)
    assert tier1["received"] == 1 and tier1["solved"] == 1 and tier1["breaches"] == 0
    email = next(r for r in report["channels"] if r["channel"] == "email")
    assert email["received"] == 1 and email["solved"] == 1
    assert [r["tier"] for r in report["tiers"]] == [1, 2, 3]
    empty = json.loads(kb(db_url, "report", "--month", "2025-04", "--json"))
    assert empty["operators"] == [] and all(r["received"] == 0 for r in empty["tiers"])
