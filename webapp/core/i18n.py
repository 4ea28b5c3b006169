"""The interface language: Russian or English, from the visitor's choice (a cookie set by the
switch) or else their browser's Accept-Language. Words come from the message catalogues in
webapp/translations (Flask-Babel); dates and plurals follow the language too.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import Babel, format_datetime, get_locale, gettext as _

from webapp.core.auth import ANYONE, allow
from webapp.core.redirects import local_path

LANGUAGES = ("ru", "en")
DEFAULT = "en"
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600
# The switch names the other language in that language, so a visitor who cannot read this one finds it.
NAMES = {"ru": "Русский", "en": "English"}

bp = allow(ANYONE)(Blueprint("i18n", __name__))


def select_locale() -> str:
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    try:
        return request.accept_languages.best_match(LANGUAGES) or DEFAULT
    except Exception:  # noqa: BLE001 (a broken header must not break a page, not even the error page)
        return DEFAULT


def language() -> str:
    """The language of this request's interface: 'ru' or 'en'."""
    try:
        return str(get_locale() or DEFAULT)
    except Exception:  # noqa: BLE001 (outside a request, or while an error page is being made)
        return DEFAULT


@bp.get("/language/<code>")
def switch(code):
    """Remember the visitor's choice and go back to the page they were on (or to its translation)."""
    if code not in LANGUAGES:
        from werkzeug.exceptions import NotFound

        raise NotFound()
    response = redirect(local_path(request.args.get("next")) or url_for("help.index"), code=303)
    response.set_cookie(COOKIE, code, max_age=COOKIE_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


# Times on the pages are the shop's (KB_TIMEZONE, Flask-Babel's default zone), and say so: a visitor
# elsewhere, or with JavaScript off (status.js rewrites them in the browser's own zone), reads "14:05
# +0300" or "11:05 UTC", never a bare hour in a zone they cannot know.
SHOP_TIME = "d MMMM y, HH:mm z"


def shop_time(value: datetime, pattern: str = SHOP_TIME) -> str:
    """`value` (naive values are UTC, as the database keeps them) in the shop's zone, with the zone."""
    return format_datetime(value, pattern)


def switch_link(target: str | None = None) -> dict:
    """The header's switch: the other language's name and the address that selects it, back to
    `target` (by default the page being shown)."""
    other = "en" if language() == "ru" else "ru"
    try:
        url = url_for("i18n.switch", code=other, next=target or request.full_path.rstrip("?"))
    except Exception:  # noqa: BLE001 (an address that cannot be quoted back, e.g. on an error page)
        url = url_for("i18n.switch", code=other)
    return {"lang": other, "name": NAMES[other], "url": url}


def channel_names() -> dict[str, str]:
    """Each ticket channel's name in the reader's language (pages, history lines and CSVs alike)."""
    return {"web": _("web"), "email": _("e-mail"), "chat": _("chat"), "phone": _("phone"), "social": _("social")}


def channel_name(channel: str) -> str:
    return channel_names().get(channel, channel)


def register(app, timezone: str = "UTC") -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", timezone)
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(bp)

    app.add_template_filter(shop_time)
    app.add_template_global(channel_name)

    @app.context_processor
    def interface_language():
        return {"ui_lang": language(), "switch_link": switch_link}
