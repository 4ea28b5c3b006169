"""What the desk refuses, on SQLite and PostgreSQL: hostile lengths, control characters, bad
ratings, channels and tokens; each with InvalidInput (400) or NotFound (404), never a 500."""
import time
from datetime import datetime

import pytest

from kb.desk.desk import Desk
from kb.desk.operators import add_operator, authenticate
from kb.errors import InvalidInput, NotFound

MONDAY = datetime(2025, 3, 3, 10, 0)


class NoDatabase:
    """A database that must not be asked: malformed input is refused before any query."""

    def run(self, *args, **kwargs):
        raise AssertionError("the database was asked")


def solved_ticket(desk):
    add_operator(desk.db, "anna", "Anna Smith", "secret-password", role="operator", now=MONDAY)
    ticket = desk.create_ticket("Where is my parcel?", email="ann@example.com", now=MONDAY)
    desk.solve(ticket["number"], "anna", answer="It arrives tomorrow", now=MONDAY)
    return ticket


def test_a_hostile_email_is_refused_at_once_with_every_problem_named(desk):
    started = time.perf_counter()
    with pytest.raises(InvalidInput, match="e-mail address is longer than 320"):
        desk.create_ticket("hi", email="a@" + "." * 32000 + "@", now=MONDAY)
    with pytest.raises(InvalidInput, match="does not look like an e-mail address"):
        desk.create_ticket("hi", email="a@" + "." * 300 + "@", now=MONDAY)
    assert time.perf_counter() - started < 0.5
    with pytest.raises(InvalidInput) as refused:
        desk.create_ticket(" ", email="a@" + "." * 32000 + "@", phone="12", channel="fax", name="x" * 201)
    message = refused.value.message
    for problem in ("e-mail address is longer", "name is longer", "channel must be", "question is empty",
                    "5 to 20 digits"):
        assert problem in message, message


@pytest.mark.parametrize("rating", [1e400, True, False, 4.9, 4.0, "4.9", "abc", None, "", " 4", "04", "٤", 0, 6, "6",
                                    [4], -1])
def test_only_whole_ratings_from_1_to_5_are_taken(rating):
    with pytest.raises(InvalidInput, match="rating"):
        Desk(NoDatabase()).rate("a" * 32, rating)


def test_a_rating_from_a_form_or_a_number_closes_the_ticket(desk):
    ticket = solved_ticket(desk)
    with pytest.raises(InvalidInput):
        desk.rate(ticket["token"], 1e400)
    assert desk.rate(ticket["token"], "5", now=MONDAY)["rating"] == 5


@pytest.mark.parametrize("channel", [False, 0, [], None, {}, "fax", "WEB", "web\x00"])
def test_the_channel_must_be_one_of_the_channels(desk, channel):
    with pytest.raises(InvalidInput, match="the channel must be one of web, email, chat, phone, social"):
        desk.create_ticket("Where is my parcel?", email="ann@example.com", channel=channel, now=MONDAY)


BAD_TEXT = ["nul \x00 byte", "bell \x07", "escape \x1b[31m", "delete \x7f", "lone \ud800 surrogate",
            "C1 escape \x9b31m", "turned \u202e around", "nonchar \ufffe"]


@pytest.mark.parametrize("field", ["question", "name", "email", "phone", "search_query", "details", "language"])
@pytest.mark.parametrize("bad", BAD_TEXT)
def test_control_characters_in_a_new_question_are_refused(desk, field, bad):
    request = {"question": "Where is my parcel?", "email": "ann@example.com", field: bad}
    with pytest.raises(InvalidInput):
        desk.create_ticket(request.pop("question"), now=MONDAY, **request)


def test_tabs_and_line_breaks_are_fine_in_free_text(desk):
    ticket = desk.create_ticket("Where is\tmy parcel?\r\nIt is late", email="ann@example.com", name="Ann\tB",
                                details="line one\nline two", now=MONDAY)
    assert desk.show(ticket["number"])["details"] == "line one\nline two"


@pytest.mark.parametrize("bad", ["\x00", "\ud800", "\x1b"])
def test_control_characters_after_the_question_are_refused(desk, bad):
    ticket = solved_ticket(desk)
    number = ticket["number"]
    add_operator(desk.db, "boris", "Boris Smith", "secret-password", role="operator", now=MONDAY)
    refused = [
        lambda: desk.add_details(ticket["token"], f"more {bad}"),
        lambda: desk.solve(number, "anna", answer=f"done {bad}"),
        lambda: desk.solve(number, "anna", article_id=f"track{bad}order"),
        lambda: desk.take(number, f"anna{bad}"),
        lambda: desk.comment(number, "anna", f"note {bad}"),
        lambda: desk.pass_on(number, "anna", f"why {bad}"),
        lambda: desk.list_tickets(owner=f"anna{bad}"),
        lambda: desk.list_tickets(status=f"new{bad}"),
        lambda: add_operator(desk.db, "carl", f"Carl {bad}", "secret-password"),
        lambda: add_operator(desk.db, f"carl{bad}", "Carl", "secret-password"),
        lambda: add_operator(desk.db, "carl", "Carl", f"secret-password{bad}"),
    ]
    for call in refused:
        with pytest.raises(InvalidInput):
            call()
    assert authenticate(desk.db, f"anna{bad}", "secret-password") is None
    with pytest.raises(InvalidInput, match="article id is longer than 200"):
        desk.solve(number, "anna", article_id="a" * 201)
    with pytest.raises(NotFound):
        desk.take("9" * 30, "anna")
    assert desk.show(number)["status"] == "solved"


@pytest.mark.parametrize("token", ["", "a" * 65, "abc def", "ab/cd", "tok\x00en", "tok\ud800en", "ок", 123, None,
                                   ["a"]])
def test_a_malformed_link_is_not_found_without_asking_the_database(token):
    desk = Desk(NoDatabase())
    for call in (lambda: desk.status(token), lambda: desk.add_details(token, "more"), lambda: desk.rate(token, 5)):
        with pytest.raises(NotFound):
            call()


def test_a_nul_byte_is_refused_before_the_database_sees_it(desk):
    # On PostgreSQL a NUL in text is a database error (a 500) unless refused first.
    with pytest.raises(InvalidInput, match="control character"):
        desk.create_ticket("Where is \x00 my parcel?", email="ann@example.com", now=MONDAY)
    ticket = desk.create_ticket("Where is my parcel?", email="ann@example.com", now=MONDAY)
    with pytest.raises(NotFound):
        desk.status(ticket["token"] + "\x00")
    assert desk.status(ticket["token"], now=MONDAY)["status"] == "new"
