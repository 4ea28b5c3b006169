"""The editors' page: what customers asked and the knowledge base did not answer, as suggested
articles and wordings (kb.gaps, the worker's gap finder), and what an editor does with one: write
a draft article, add the wordings to an article, or dismiss it. `kb gaps` is its twin in the shell.

Every action is a POST with a CSRF token that ends in a 303 with a flash; what cannot be done (a
bad form, a suggestion someone closed first) shows the suggestion again with the reason and its 4xx
status, never a 500.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from kb.desk.records import utcnow
from kb.errors import Conflict, IndexMissing, KBError, NotFound
from webapp.core.auth import DESK, EDITORS, allow
from webapp.core.services import services
from webapp.staff.forms import AddWordingsForm, DismissForm, DraftForm

bp = allow(EDITORS)(Blueprint("editor", __name__, url_prefix="/editor"))

CLOSED = ("drafted", "accepted", "dismissed")
CLOSED_SHOWN = 50  # the most recently closed suggestions listed
COVERAGE_SHOWN = 15  # rows of "Articles that need wordings"


def _since() -> datetime | None:
    """The `since` parameter (YYYY-MM-DD) as the start of that day, UTC; None when there is none."""
    from kb.app.insights import date_range

    typed = request.args.get("since", "")
    return datetime.combine(date_range(typed, None, today=utcnow().date())[0], time()) if typed else None


def _articles() -> list[dict]:
    """The serving build's articles (none when no index is loaded here)."""
    try:
        return services().searcher.articles
    except IndexMissing:
        return []


@bp.get("/gaps")
def gaps():
    from kb.gaps.coverage import needing_wordings

    since = _since()
    store = services().gaps
    found = store.suggestions(since=since)
    closed = [s for status in CLOSED for s in store.suggestions(status=status)]
    if since is not None:
        closed = [s for s in closed if s["closed_at"] is None or s["closed_at"] >= since]
    closed.sort(key=lambda s: s["closed_at"] or datetime.min, reverse=True)
    articles = _articles()
    today = utcnow().date()
    return render_template(
        "editor/gaps.html", suggestions=found, closed=closed[:CLOSED_SHOWN], more_closed=len(closed) > CLOSED_SHOWN,
        coverage=needing_wordings(services().database, articles, since)[:COVERAGE_SHOWN],
        titles={a["id"]: a["title"] for a in articles}, since=since, last_run=store.last_run(),
        presets=[(days, (today - timedelta(days=days - 1)).isoformat()) for days in (7, 30, 90)],
        sees_desk=current_user.role in DESK)


def wordings_of(suggestion: dict) -> list[tuple[str, int]]:
    """The suggestion's distinct questions, most typical first, each with how often it was asked
    (the same words in any case or spacing are one)."""
    counts = Counter(" ".join(q.casefold().split()) for q in suggestion["questions"])
    seen, out = set(), []
    for text in suggestion["questions"]:
        key = " ".join(text.casefold().split())
        if key not in seen:
            seen.add(key)
            out.append((text, counts[key]))
    return out


def _forms(suggestion: dict, articles: list[dict], posted: dict | None = None) -> dict:
    """The page's three forms: the one posted (with what was typed and its errors), the others
    prefilled from the suggestion."""
    posted = posted or {}
    texts = [text for text, _count in wordings_of(suggestion)]
    lang = suggestion["lang"] if suggestion["lang"] in ("ru", "en") else "en"
    forms = {"draft": posted.get("draft") or DraftForm(formdata=None, title=suggestion["title"], lang=lang,
                                                       wordings=texts),
             "add": posted.get("add") or AddWordingsForm(
                 formdata=None, article=suggestion["article"] or suggestion["nearest_article"], wordings=texts),
             "dismiss": posted.get("dismiss") or DismissForm(formdata=None)}
    for form in forms.values():
        _choices(form, texts, articles)
    return forms


def _choices(form, texts: list[str], articles: list[dict]) -> None:
    """What a form may be sent: the suggestion's own questions; an article of the serving build."""
    if hasattr(form, "wordings"):
        form.wordings.choices = [(t, t) for t in texts]
    if hasattr(form, "article"):
        form.article.choices = [("", _("— choose —"))] + [
            (a["id"], a["title"]) for a in sorted(articles, key=lambda a: a["title"].casefold())]


def suggestion_page(number: int, *, error: str | None = None, status: int = 200, posted: dict | None = None):
    suggestion = services().gaps.suggestion(number)  # NotFound: the 404 page
    articles = _articles()
    titles = {a["id"]: a["title"] for a in articles}
    return render_template("editor/suggestion.html", s=suggestion, wordings=wordings_of(suggestion),
                           forms=_forms(suggestion, articles, posted), titles=titles, error=error,
                           sees_desk=current_user.role in DESK), status


@bp.get("/gaps/<int:number>")
def suggestion(number):
    return suggestion_page(number)


def _error_text(exc: KBError) -> str:
    if isinstance(exc, Conflict):
        return _("Someone has already acted on this suggestion.") + " " + exc.message
    return _("That could not be done. Check it and try again.") + " " + exc.message


def _act(number: int, name: str, form, action, done):
    """One action on a suggestion: 303 to the list with the flash `done(result)`, or the suggestion
    again with why not (400 for the form, 409 when it was closed meanwhile)."""
    suggestion = services().gaps.suggestion(number)  # NotFound: the 404 page
    if suggestion["status"] != "open":
        return suggestion_page(number, error=_("This suggestion is already closed."), status=409)
    _choices(form, [t for t, _count in wordings_of(suggestion)], _articles())
    if not form.validate():
        return suggestion_page(number, error=_("Check the form and try again."), status=400, posted={name: form})
    try:
        result = action()
    except NotFound:
        services().gaps.suggestion(number)  # gone meanwhile: the 404 page; else it was the article
        return suggestion_page(number, error=_("That article is not in the articles folder."), status=400,
                               posted={name: form})
    except KBError as exc:
        return suggestion_page(number, error=_error_text(exc), status=exc.status, posted={name: form})
    flash(done(result))
    return redirect(url_for("editor.gaps"), code=303)


@bp.post("/gaps/<int:number>/draft")
def draft(number):
    from kb.gaps.actions import draft as write

    form = DraftForm()
    kept = services()
    return _act(number, "draft", form, lambda: write(
        kept.database, number, current_user.login, kept.settings.articles_dir, title=form.title.data,
        lang=form.lang.data, wordings=form.wordings.data),
        # The file as the editors' git checkout names it, never the server's folders.
        lambda path: _("Draft written to %(file)s: write the answer, remove draft: true, kb index, commit",
                       file=f"{kept.settings.articles_dir.name}/{Path(path).name}"))


@bp.post("/gaps/<int:number>/add")
def add(number):
    from kb.gaps.actions import add_wordings

    form = AddWordingsForm()
    kept = services()

    def done(added):
        title = {a["id"]: a["title"] for a in _articles()}.get(form.article.data, form.article.data)
        if not added:
            return _("The article already had these wordings: nothing added to “%(title)s”.", title=title)
        return ngettext("%(num)d wording added to “%(title)s”: kb index to use it.",
                        "%(num)d wordings added to “%(title)s”: kb index to use them.", len(added), title=title)

    return _act(number, "add", form, lambda: add_wordings(
        kept.database, number, current_user.login, kept.settings.articles_dir, form.article.data,
        wordings=form.wordings.data), done)


@bp.post("/gaps/<int:number>/dismiss")
def dismiss(number):
    from kb.gaps.actions import dismiss as close

    form = DismissForm()
    return _act(number, "dismiss", form, lambda: close(services().database, number, current_user.login),
                lambda _result: _("Suggestion #%(number)s dismissed: its topic will not be suggested again.",
                                  number=number))
