"""Who asks: a request's fields checked (every problem at once), and the customer they belong to
(found by e-mail address or phone number, or added). Intake and registered calls both start here."""
from __future__ import annotations

import re
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kb.desk.records import MAX_QUESTION, MAX_TEXT
from kb.desk.tables import CHANNELS, Customer
from kb.errors import InvalidInput
from kb.text import text_problem


def checked_request(question, channel, language, name, email, phone, search_query, details) -> dict:
    """Every problem at once, in one InvalidInput. Lengths first: nothing else runs on a huge input."""
    from kb.text import guess_language

    texts = {"question": ("the question", question, MAX_QUESTION), "name": ("the name", name, 200),
             "email": ("the e-mail address", email, 320), "phone": ("the phone number", phone, 64),
             "search_query": ("the search query", search_query, MAX_QUESTION),
             "details": ("the details", details, MAX_TEXT)}
    problems, bad = [], set()
    for key, (label, value, limit) in texts.items():
        problem = text_problem(value, label, limit)
        if problem:
            problems.append(problem)
            bad.add(key)
    if not isinstance(channel, str) or channel not in CHANNELS:
        problems.append(f"the channel must be one of {', '.join(CHANNELS)}")
    if language is not None and (not isinstance(language, str) or language not in ("", "ru", "en")):
        problems.append("the language must be ru or en")
    question = "" if "question" in bad else (question or "").strip()
    if not question and "question" not in bad:
        problems.append("the question is empty")
    email = None if "email" in bad else (email or "").strip().lower() or None
    if email:
        try:
            validate_email(email, check_deliverability=False)  # a parser, not a backtracking pattern
        except EmailNotValidError:
            problems.append(f"{email[:100]!r} does not look like an e-mail address")
    phone = None if "phone" in bad else re.sub(r"[^0-9+]", "", phone or "") or None
    if phone and not 5 <= len(phone.lstrip("+")) <= 20:
        problems.append("the phone number must have 5 to 20 digits")
    if not email and not phone and not {"email", "phone"} & bad:
        problems.append("give an e-mail address or a phone number, so we can answer")
    if problems:
        raise InvalidInput("; ".join(problems))
    return {"question": question, "channel": channel, "language": language or guess_language(question),
            "name": (name or "").strip(), "email": email, "phone": phone,
            "search_query": (search_query or "").strip() or None, "details": (details or "").strip()}


def customer_for(session, request: dict, now: datetime) -> Customer:
    """The customer with the request's e-mail address, else its phone number; a new one when nobody has either."""
    for column, value in ((Customer.email, request["email"]), (Customer.phone, request["phone"])):
        if value:
            found = session.scalar(select(Customer).where(column == value))
            if found is not None:
                return found
    customer = Customer(name=request["name"], email=request["email"], phone=request["phone"], created_at=now)
    try:
        with session.begin_nested():  # another request may create the same customer at this moment
            session.add(customer)
    except IntegrityError:  # the savepoint is rolled back; the other request's customer is there now
        return customer_for(session, request, now)
    return customer
