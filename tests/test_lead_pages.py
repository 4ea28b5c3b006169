"""The lead pages: the month's report and its CSV, and what is open now (SQLite and PostgreSQL)."""
import csv
import io
import re
from datetime import timedelta

from kb.desk.records import utcnow
from kb.desk.reports import monthly_report
from tests.conftest import add_staff, csrf_of, sign_in

H = timedelta(hours=1)


def desk_of(app):
    return app.extensions["kb"].desk


def busy_month(app):
    """A few tickets handled this month: solved, passed on, one late (`app` assigns none by itself)."""
    desk = desk_of(app)
    add_staff(app, "anna")
    add_staff(app, "boris", tier=2)
    now = utcnow()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    at = max(start, now - 10 * H)  # inside this month, in the past, every 20-hour deadline still ahead
    for n, channel in enumerate(["web", "email", "chat"]):
        desk.create_ticket(f"Question {n}", email=f"c{n}@example.com", channel=channel, now=at)
    desk.take(1, "anna", now=at + 0.1 * H)
    desk.comment(1, "anna", "On it", now=at + 0.2 * H)
    desk.solve(1, "anna", answer="Done", now=at + 0.3 * H)
    desk.take(2, "anna", now=at + 0.1 * H)
    desk.pass_on(2, "anna", "needs tier 2", now=at + 0.2 * H)
    desk.take(2, "boris", now=at + 0.3 * H)
    desk.take(3, "anna", now=at + 0.1 * H)
    desk.comment(3, "anna", "Late reply", now=at + 0.2 * H)  # a chat: 5 minutes, so late
    return now.strftime("%Y-%m")


def cells(html: str, table_id: str) -> dict[str, list[str]]:
    table = html.split(f'id="{table_id}"')[1].split("</table>")[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S):
        values = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows[values[0]] = values[1:]
    return rows


def shown(value) -> str:
    return "—" if value is None else str(value)


def test_the_month_page_shows_the_numbers_of_monthly_report(quiet_app):
    month = busy_month(quiet_app)
    lead = sign_in(quiet_app, "lena", role="lead")
    page = lead.get(f"/lead/month?month={month}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    report = monthly_report(quiet_app.extensions["kb"].database, month)
    operators = cells(html, "operators")
    for row in report["operators"]:
        assert operators[row["login"]][:5] == [shown(row[c]) for c in
                                               ("received", "solved", "passed_on", "escalated", "breaches")]
    anna = next(r for r in report["operators"] if r["login"] == "anna")
    assert anna["received"] == 3 and anna["solved"] == 1 and anna["passed_on"] == 1 and anna["breaches"] == 1
    tiers = cells(html, "tiers")
    assert tiers["tier 1"][0] == str(report["tiers"][0]["received"]) == "3"
    channels = cells(html, "channels")
    assert channels["chat"][4] == "1"  # the late chat reply
    assert 'class="num"' in html and 'type="month"' in html
    assert f'href="/lead/month.csv?month={month}"' in html
    # the default is the current month
    assert lead.get("/lead/month").get_data(as_text=True).count('class="name"') == html.count('class="name"')


def test_the_csv_download(quiet_app):
    month = busy_month(quiet_app)
    lead = sign_in(quiet_app, "lena", role="lead")
    answer = lead.get(f"/lead/month.csv?month={month}", headers={"Accept-Language": "en"})
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="tickets-{month}.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    anna = next(r for r in rows if r["Group"] == "Operator" and r["Name"] == "Anna Testova")
    assert anna["Month"] == month and anna["Received"] == "3" and anna["Solved"] == "1"
    assert {r["Name"] for r in rows if r["Group"] == "Tier"} == {"1", "2", "3"}
    assert {r["Name"] for r in rows if r["Group"] == "Channel"} == {"web", "e-mail", "chat", "phone", "social"}


def test_a_malformed_month_is_a_400_page(ticket_app):
    lead = sign_in(ticket_app, "lena", role="lead")
    for bad in ("2025-13", "25-03", "2025-3", "9999-12", "x" * 500, "2025-03-01", "０２０２５-03"):
        for path in ("/lead/month", "/lead/month.csv"):
            assert lead.get(path, query_string={"month": bad}).status_code == 400, (path, bad)
    assert lead.get("/lead/month?month=2000-01").status_code == 200


def test_operators_may_not_see_the_lead_pages(ticket_app):
    anna = sign_in(ticket_app, "anna")
    for path in ("/lead/month", "/lead/month.csv", "/lead/now"):
        assert anna.get(path).status_code == 403


def test_now_shows_counts_late_soon_flagged_holders_and_reassigns(quiet_app):
    desk = desk_of(quiet_app)
    now = utcnow()
    desk.create_ticket("Very late", email="a@example.com", now=now - 30 * H)
    desk.create_ticket("Soon", email="b@example.com", channel="social", now=now - 0.5 * H)
    desk.create_ticket("Held", email="c@example.com", channel="email", now=now)
    desk.create_ticket("Flagged one", email="d@example.com", now=now - 200 * H)
    add_staff(quiet_app, "anna")
    add_staff(quiet_app, "olga")
    add_staff(quiet_app, "tom", tier=3)
    desk.take(3, "anna")
    for hours in (180, 140, 100):  # 1 -> 2 -> 3 -> flagged
        desk.escalate_overdue(now=now - hours * H)
    lead = sign_in(quiet_app, "lena", role="lead")
    html = lead.get("/lead/now").get_data(as_text=True)
    tier1 = html.split('data-tier="1"')[1].split("</section>")[0]
    assert re.search(r'class="unowned">2<', tier1) and re.search(r'class="open">1<', tier1)
    assert re.search(r'class="unowned">1<', html.split('data-tier="3"')[1].split("</section>")[0])
    overdue = html.split('id="overdue"')[1].split("</table>")[0]
    assert 'data-number="1"' in overdue and 'data-number="4"' in overdue
    assert 'data-number="2"' in html.split('id="due-soon"')[1].split("</table>")[0]
    assert "Flagged one" in html.split('id="flagged"')[1].split("</ul>")[0]
    holding = html.split('id="holding"')[1].split("</table>")[0]
    assert re.search(r'data-login="anna">.*?class="num count-cell">1<', holding, re.S)
    # the compact reassign form; a tier-3 ticket offers only tier-3 people
    row4 = re.search(r'<tr data-number="4">(.*?)</tr>', overdue, re.S).group(1)
    assert 'value="tom"' in row4 and 'value="olga"' not in row4
    token = csrf_of(lead, "/lead/now")
    moved = lead.post("/desk/tickets/1/reassign", data={"csrf_token": token, "to": "olga", "back": "now"})
    assert moved.status_code == 303 and moved.headers["Location"].endswith("/lead/now")
    assert desk.show(1)["owner"] == "olga"
    refused = lead.post("/desk/tickets/4/reassign", data={"csrf_token": token, "to": "olga", "back": "now"})
    assert refused.status_code == 400 and "tier 3" in refused.get_data(as_text=True)


def test_due_soon_on_the_board_is_what_the_desk_page_colours_soon(quiet_app):
    """One "due soon" (kb.desk.deadlines): under an hour or a quarter of the time allowed left, for the
    ticket's next deadline; the board lists exactly the tickets the desk page colours so."""
    desk = desk_of(quiet_app)
    add_staff(quiet_app, "anna")
    now = utcnow()
    opened = [("chat", 0, False),     # 1: five minutes to reply: soon from the start
              ("web", 3.5, False),    # 2: the reply is due in half an hour
              ("email", 16.5, True),  # 3: answered; solved due in 3.5 h of 20 (a quarter: 5 h)
              ("web", 2.5, False),    # 4: the reply is due in 1.5 h of 4: on time
              ("email", 0, False),    # 5: the reply is due in 4 h: on time
              ("web", 5, False)]      # 6: the reply is late
    for n, (channel, hours, answered) in enumerate(opened, start=1):
        desk.create_ticket(f"Question {n}", email=f"c{n}@example.com", channel=channel, now=now - hours * H)
        if answered:
            desk.take(n, "anna", now=now - hours * H)
            desk.comment(n, "anna", "Looking into it", now=now - hours * H)
    desk_page = sign_in(quiet_app, "anna", create=False).get("/desk").get_data(as_text=True)
    rows = re.findall(r'<tr data-number="(\d+)">(.*?)</tr>', desk_page, re.S)
    assert len(rows) == len(opened)
    coloured = {int(n) for n, row in rows if 'class="pill soon"' in row}
    board = sign_in(quiet_app, "lena", role="lead").get("/lead/now").get_data(as_text=True)
    listed = {int(n) for n in re.findall(r'data-number="(\d+)"', board.split('id="due-soon"')[1].split("</table>")[0])}
    assert coloured == listed == {1, 2, 3}


def test_deactivating_an_operator_returns_their_tickets_and_an_unstaffed_tier_is_a_warning(ticket_app):
    """Deactivated, Anna's open tickets go back to tier 1's queue with a history line; with nobody left
    to assign tier 1 to, /lead/now warns instead of leaving tickets silently owned by nobody."""
    from kb.desk.operators import update_operator

    add_staff(ticket_app, "anna")
    add_staff(ticket_app, "petr", tier=2)
    desk = desk_of(ticket_app)
    held = desk.create_ticket("Where is my parcel?", email="a@example.com")
    assert held["owner"] == "anna"
    lead = sign_in(ticket_app, "lena", role="lead")
    page = lead.get("/lead/now").get_data(as_text=True)
    assert "data-unstaffed" in page and 'data-unstaffed="3"' in page and 'data-unstaffed="1"' not in page
    update_operator(ticket_app.extensions["kb"].database, "anna", active=False)
    shown = desk.show(held["number"])
    assert shown["owner"] is None and shown["status"] == "new"
    assert shown["events"][-1]["kind"] == "assigned" and shown["events"][-1]["params"] == {"how": "returned",
                                                                                        "from": "anna"}
    assert [t["number"] for t in desk.list_tickets(tier=1, unowned=True)] == [held["number"]]
    page = lead.get("/lead/now", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert 'data-unstaffed="1"' in page and "На уровне 1 нет активного оператора" in page
    history = lead.get(f"/desk/tickets/{held['number']}").get_data(as_text=True)
    assert "anna was deactivated: back to the tier&#39;s queue" in history
