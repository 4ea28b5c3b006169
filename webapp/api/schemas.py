"""The JSON API's shapes: a pydantic model for each route's query, body and answer, and for the one
error body; `spec`, the spectree instance that makes the OpenAPI 3 document from them.

The routes decorate themselves with `operation(...)`, which documents them and parses their input
with the same models (webapp.core.json_input). Not with spectree's own request checks: those answer
422 with pydantic's error list, and read a body that repeats a key or holds NaN without a word; the
API answers bad input with a 400 in the one error shape (webapp.core.errors).
tests/test_openapi.py checks real answers against the document, and tests/test_api_fuzz.py runs
Schemathesis on it against `kb serve`.
"""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType

from kb.articles.parsing import LANGUAGES
from kb.desk.records import MAX_QUESTION, MAX_TEXT
from kb.desk.tables import CHANNELS, STATUSES, TIERS
from kb.search.searcher import MAX_QUERY_CHARS, clean_query
from kb.text import UNTYPED_BMP
from webapp.core.json_input import json_body, query_args

# Text a person can type (kb.text.unprintable, which also refuses lone surrogates and the
# noncharacters past U+FFFF: JSON Schema cannot say those).
TYPED = f"^[^{UNTYPED_BMP}]*$"

Language = Literal[LANGUAGES]
Channel = Literal[CHANNELS]
Status = Literal[STATUSES]
Tier = Literal[TIERS]


class Shape(BaseModel):
    """No field beyond the declared ones: in a body, an unknown field is a 400; in an answer, one
    the document does not name fails the tests."""

    model_config = ConfigDict(extra="forbid")


# --- the one error shape --------------------------------------------------------------------------

class ErrorDetail(Shape):
    status: int = Field(ge=400, le=599, description="the HTTP status again")
    code: str = Field(description=("what went wrong, for programs: invalid_query, invalid_input, not_found, "
                                   "conflict, index_missing, request_entity_too_large, method_not_allowed, "
                                   "internal_error, ..."))
    message: str = Field(description="what went wrong, for people (English): what to fix")


class ErrorBody(Shape):
    """Every error under /api/ has this shape, whatever the status."""

    error: ErrorDetail


# What each error status means on this API; each operation lists those it can answer.
ERRORS = {
    400: "bad input: a missing or malformed parameter or body (invalid_query, invalid_input)",
    401: ("the `Authorization` header is not `Bearer <token>`, or the token is unknown or revoked "
          "(unauthorized); no header at all is an anonymous call"),
    404: "no such article or request; a malformed token is a 404 too (not_found)",
    409: "the request changed first: closed, or not answered yet (conflict)",
    413: "the body is larger than 1 MiB (request_entity_too_large)",
    429: "too many requests from this client: wait the seconds of the Retry-After header (too_many_requests)",
    500: "an error on our side, logged; the message gives no details (internal_error)",
    503: ("the search index is not built yet (index_missing), or the ticket database cannot be reached now "
          "(unavailable): try again after the seconds of the Retry-After header"),
}


# --- search and articles --------------------------------------------------------------------------

def _question(typed):
    """The search's own check of a question (its QueryError is the 400), which counts the length
    once runs of spaces are one; the question goes on as typed."""
    clean_query(typed)
    return typed


def _whole_number(typed):
    """Written in the digits 0-9 (pydantic, like int(), would also take " 5", "5_0" and other
    scripts' digits, which the document's `integer` does not allow)."""
    if isinstance(typed, str) and not (typed.isascii() and typed.isdigit() and len(typed) <= 9):
        raise ValueError(f"must be a whole number, not {typed[:20]!r}")
    return typed


class SearchQuery(Shape):
    # The bounds are the document's; the question is checked by the search itself (`_question`).
    q: Annotated[str, BeforeValidator(_question)] = Field(
        examples=["how do I cancel my order"], json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY_CHARS,
                                                                 "pattern": TYPED},
        description=(f"the question: up to {MAX_QUERY_CHARS} characters once runs of spaces are "
                     "one, no control characters"))
    lang: Literal["", *LANGUAGES] = Field("", examples=["en"], description="only articles in this language; empty: any")
    limit: Annotated[int, BeforeValidator(_whole_number)] = Field(5, ge=1, le=50, examples=[3],
                                                                  description="how many results at most")


class SearchResult(Shape):
    id: str
    title: str
    lang: Language
    score: float = Field(description="the ranking score (only its order means anything)")
    confidence: float = Field(ge=0, le=1, description="this article's calibrated confidence")
    matched: str = Field(description="the known phrasing (or answer passage) closest to the question")
    snippet: str = Field(description="HTML-escaped text of the answer with the question's words in <mark>")
    tags: list[str]
    # Present only for a caller with an operator, lead or admin token: absent, not null, otherwise.
    operator_notes: str = Field(None, json_schema_extra=lambda schema: schema.pop("default", None), description=(
        "only with an operator, lead or admin API token (`Authorization: Bearer`): the article's notes "
        "for the support team, Markdown (\"\" when it has none); never sent to anyone else"))


class SearchAnswer(Shape):
    query: str = Field(description="the question as it was searched (runs of spaces made one)")
    lang: Language = Field(description="the question's language")
    no_match: bool = Field(description="true when `confidence` is under 0.5: nothing answers the question")
    confidence: float = Field(ge=0, le=1, description="the first result's confidence (0 without results)")
    results: list[SearchResult]
    took_ms: float = Field(ge=0)


class Article(Shape):
    """The public part of an article (never the operators' notes)."""

    id: str
    title: str
    lang: Language
    questions: list[str] = Field(description="the questions the article answers")
    tags: list[str]
    body: str = Field(description="Markdown")


class Health(Shape):
    status: Literal["ok", "degraded"] = Field(description="degraded: search answers, but the ticket database does "
                                                          "not, or the newest index build did not load")
    articles: int = Field(ge=0, description="articles in the loaded index")
    built_at: str = Field(description="when the index was built, local time with its offset (+0300)")
    database: str = Field(description="ok, or what keeps the ticket database from answering")
    index: str = Field(description="ok, or why the build `current` points at is not the one serving")


# --- tickets --------------------------------------------------------------------------------------

class TicketRequest(Shape):
    """A question nothing answered. Give an e-mail address or a phone number (or both). Text holds
    no control characters."""

    # Documentation only (the desk checks it): one of the two contacts is needed.
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": [contact], "properties": {contact: {"type": "string"}}} for contact in ("email", "phone")]})

    question: str = Field(min_length=1, max_length=MAX_QUESTION, pattern=TYPED, examples=["Where is my parcel?"])
    email: str | None = Field(None, max_length=320, pattern=TYPED, json_schema_extra={"format": "email"},
                              examples=["ann@example.com"])
    phone: str | None = Field(None, max_length=64, pattern=TYPED, examples=["+7 900 123-45-67"],
                              description="5 to 20 digits; spaces, dashes and brackets are ignored")
    name: str | None = Field(None, max_length=200, pattern=TYPED, examples=["Ann"])
    channel: Channel | None = Field(None, examples=["chat"], description="missing or null: web")
    language: Literal["", *LANGUAGES] | None = Field(None, examples=["en"], description="missing, null or empty: guessed")
    search_query: str | None = Field(None, max_length=MAX_QUESTION, pattern=TYPED, examples=["parcel"],
                                     description="what the customer searched for")
    details: str | None = Field(None, max_length=MAX_TEXT, pattern=TYPED, examples=["Order 12345"])


class TicketCreated(Shape):
    number: int
    token: str = Field(description="the secret the customer follows the request with")
    status: Status
    joined: Literal[False] = Field(description="always false: a question never joins another request here")
    status_url: str = Field(description="the customer's status page")
    api_url: str = Field(description="the request's status in this API")


class StatusMessage(Shape):
    """One message of the conversation the customer sees: an operator's reply or answer, or their own addition."""

    at: datetime
    author: Literal["operator", "customer"]
    name: str | None = Field(description="the operator's first name; null for the customer")
    text: str
    article_id: str | None = Field(description="the article an answer links to")
    answer: bool = Field(description="the operator's solution (true) or a reply along the way")


class TicketStatus(Shape):
    """What the customer may see of their request: no operator logins, no internal deadlines."""

    number: int
    status: Status
    tier: Tier
    channel: Channel
    language: Language | None
    question: str
    details: str | None
    created_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    operator: str | None = Field(description="the first name of whoever handles it")
    place_in_queue: int | None = Field(ge=1, description="while it waits: 1 is next")
    expected_answer_at: datetime | None
    answer: str | None
    article_id: str | None
    rating: int | None = Field(ge=1, le=5)
    can_add_details: bool
    can_rate: bool
    messages: list[StatusMessage] = Field(description="the conversation, oldest first; no internal notes")


class TicketDetails(Shape):
    text: str = Field(min_length=1, max_length=MAX_TEXT, pattern=TYPED, examples=["Order 12345"],
                      description="more about the question")


class TicketRating(Shape):
    rating: int = Field(ge=1, le=5, strict=True, examples=[5], description="a JSON integer (not 5.0, not true)")


TOKEN = {"token": "the token the request was created with"}


# --- the document ---------------------------------------------------------------------------------

spec = SpecTree(
    "flask",
    title="Help centre JSON API",
    version="1",
    description=("Search the knowledge base and follow a question as a ticket. Every error has one shape, "
                 "`{\"error\": {\"status\", \"code\", \"message\"}}`, and bad input is a 4xx, never a 500."),
    mode="strict",  # only the routes decorated with `operation`: not the HTML pages
    page_templates={},  # spectree's pages load scripts from a CDN; /api/v1/docs is ours
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    validation_error_model=ErrorBody,
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(
        type=SecureType.HTTP, scheme="bearer", bearer_format="kb_...",
        description="an API token an admin made at /admin/tokens or with `kb tokens create`"))],
)

# Anonymous, or with a token: the token's role decides what else the answer holds.
ANONYMOUS_OR_BEARER = [{}, {"bearer": []}]


def operation(ok: dict[int, type[BaseModel]], errors: tuple[int, ...], *, query: type[BaseModel] | None = None,
              json: type[BaseModel] | None = None, tag: str, path_parameters: dict[str, str] | None = None,
              security: list[dict] | None = None):
    """Document a route: its answers by status, the error statuses it can answer (each with
    `ErrorBody`), its query or JSON body; and parse that input with the same model, which the view
    gets as `params` (the query) or `body` (see the module)."""
    answers = {f"HTTP_{status}": model for status, model in ok.items()}
    answers.update({f"HTTP_{status}": (ErrorBody, ERRORS[status]) for status in errors})
    # spectree adds a response for its own validation errors: it is the first listed, already ErrorBody.
    document = spec.validate(query=query, json=json, resp=Response(**answers), tags=[tag], skip_validation=True,
                             validation_error_status=errors[0], path_parameter_descriptions=path_parameters,
                             security=security)

    def decorate(view):
        @functools.wraps(view)
        def parsed(*args, **kwargs):
            if query is not None:
                kwargs["params"] = query_args(query)
            if json is not None:
                kwargs["body"] = json_body(json)
            return view(*args, **kwargs)

        return document(parsed)

    return decorate
