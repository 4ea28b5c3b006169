"""A ticket's history as the desk and lead pages show it: what the desk did (an event's kind and
parameters, kb.desk.records.record_event) worded in the reader's language, articles by their title.

Rows written before migration 0008 have no parameters, only the desk's English note: it is shown
as it was written, with a solution's "article: id" line turned into the article's title.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, gettext as _

from kb.desk.notes import ARTICLE_NOTE, JOINED_NOTE
from kb.errors import IndexMissing
from webapp.core.i18n import channel_name
from webapp.core.services import services


def article_title(article_id: str | None) -> str | None:
    """The article's title in the index being served; the id itself when there is none such."""
    if not article_id:
        return None
    try:
        found = services().searcher.by_id.get(article_id)
    except IndexMissing:
        found = None
    return found["title"] if found else article_id


def _what(kind: str, params: dict) -> str:
    """The line saying what the desk did, from the event's parameters ("" when it says nothing more)."""
    if kind == "created":
        if params.get("registered_by"):
            return _("via %(channel)s, registered by %(login)s", channel=channel_name(params.get("channel", "")),
                     login=params["registered_by"])
        return _("via %(channel)s", channel=channel_name(params.get("channel", "")))
    if kind == "assigned":
        how, to = params.get("how"), params.get("to", "")
        return {"taken": _("taken by %(login)s", login=to),
                "auto": _("assigned to %(login)s", login=to),
                "registered": _("registered by %(login)s", login=to),
                "reassigned": _("reassigned to %(login)s by %(lead)s", login=to, lead=params.get("by", "")),
                "returned": _("%(login)s was deactivated: back to the tier's queue", login=params.get("from", "")),
                }.get(how, "")
    if kind == "passed_on":
        return _("to tier %(tier)d", tier=params.get("to_tier", 0))
    if kind == "escalated":
        due = format_datetime(datetime.fromisoformat(params["due"]), "d MMM, HH:mm") if params.get("due") else ""
        why = _("not solved within %(hours)s h (due %(due)s)", hours=f"{params.get('hours', 0):g}", due=due)
        if params.get("flagged"):
            return _("%(why)s: flagged for the leads", why=why)
        return _("%(why)s: moved to tier %(tier)d", why=why, tier=params.get("to_tier", 0))
    if kind == "reopened":
        if params.get("why") == "low_rating":
            return _("the customer rated the answer %(rating)d of 5: back to its owner", rating=params.get("rating", 0))
        return _("the customer wrote again")
    if kind == "rated":
        return _("%(rating)d of 5", rating=params["rating"]) if "rating" in params else ""
    return ""


def event_lines(event: dict) -> dict:
    """{"what": the desk's line, "note": what a person wrote, "article": the linked article's title}."""
    params, note, article_id = event.get("params") or {}, event.get("note") or "", None
    if params:
        article_id = params.get("article")
    elif event["kind"] == "solved":  # before 0008: "answer\narticle: id"
        head, _sep, last = note.rpartition("\n")
        if last.startswith(ARTICLE_NOTE):
            note, article_id = head, last.removeprefix(ARTICLE_NOTE)
    elif event["kind"] == "rated":
        params = {"rating": int(note)} if note.isdigit() else {}
        note = "" if params else note
    what = _what(event["kind"], params) if params else ""
    if event["kind"] == "commented" and event["actor"] == "customer" and note.startswith(JOINED_NOTE):
        what, note = _("asked again"), note.removeprefix(JOINED_NOTE)
    return {"what": what, "note": note, "article_id": article_id, "article": article_title(article_id)}
