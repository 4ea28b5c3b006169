"""The shop's brand on every page, the help centre's and the staff's: its name (KB_BRAND_NAME), its
logo (KB_BRAND_LOGO) and its accent colour (KB_BRAND_COLOR), and the favicon.

The logo is read once at start from the configured file and served from memory at /brand/logo with
the type its name gives (never a path from the request, never a type guessed from the content), under
a policy that lets nothing in it run: an SVG opened on its own cannot script this site. The colour
reaches the pages as a small style sheet, /brand.css, since the pages allow no inline style.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from kb.config import LOGO_TYPES, Settings
from webapp.core.auth import ANYONE, allow

bp = allow(ANYONE)(Blueprint("brand", __name__))

DEFAULT_NAME = _l("Help centre")
# Text on the accent (white, on buttons) and the accent as text (links, on white) need 4.5:1 (WCAG AA).
READABLE = 4.5
# A logo may be an SVG: even opened on its own, as a page of this site, nothing in it runs or loads.
LOGO_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_with_white(colour: str) -> float:
    return 1.05 / (_luminance(colour) + 0.05)


def _darker(colour: str, by: float) -> str:
    return "#" + "".join(f"{round(int(colour[i:i + 2], 16) * (1 - by)):02x}" for i in (1, 3, 5))


def palette(colour: str) -> dict[str, str]:
    """The style sheet's colours from the shop's: `brand` as given (the header's stripe), `accent` the
    same darkened in steps until white text on it reads (buttons, links), `accent-dark` for hover."""
    accent = colour
    while contrast_with_white(accent) < READABLE:
        accent = _darker(accent, 0.08)
    return {"brand": colour, "accent": accent, "accent-dark": _darker(accent, 0.22)}


@dataclass(frozen=True)
class Brand:
    name: str | None
    logo: bytes | None
    logo_suffix: str | None  # .svg, .png, ...: the type it is served with (LOGO_TYPES)
    css: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Brand:
        logo = settings.brand_logo.read_bytes() if settings.brand_logo else None
        css = None
        if settings.brand_color:
            colours = "; ".join(f"--{name}: {value}" for name, value in palette(settings.brand_color).items())
            css = f"/* KB_BRAND_COLOR */\n:root {{ {colours}; }}\n"
        return cls(name=settings.brand_name, logo=logo,
                   logo_suffix=settings.brand_logo.suffix.lower() if logo is not None else None, css=css)

    def version(self, data: bytes | str) -> str:
        """A short digest for the address, so a new logo or colour is fetched at once, and cached after."""
        return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:12]


def _brand() -> Brand:
    return current_app.extensions["kb_brand"]


def _cached(response: Response, data: bytes | str) -> Response:
    response.set_etag(_brand().version(data))
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response.make_conditional(request)


@bp.get("/brand/logo")
def logo():
    brand = _brand()
    if brand.logo is None:
        from werkzeug.exceptions import NotFound

        raise NotFound()
    response = Response(brand.logo, mimetype=LOGO_TYPES[brand.logo_suffix])
    response.headers["Content-Security-Policy"] = LOGO_POLICY
    response.headers["Content-Disposition"] = f"inline; filename=logo{brand.logo_suffix}"
    return _cached(response, brand.logo)


@bp.get("/brand.css")
def stylesheet():
    css = _brand().css or "/* no KB_BRAND_COLOR: the style sheets' own colours */\n"
    return _cached(Response(css, mimetype="text/css"), css)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says: the SVG the pages name."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


def register(app, settings: Settings) -> None:
    brand = app.extensions["kb_brand"] = Brand.from_settings(settings)
    app.register_blueprint(bp)

    @app.context_processor
    def shop():
        return {
            "site_name": brand.name or str(DEFAULT_NAME),
            "brand_name": brand.name,
            "logo_url": url_for("brand.logo", v=brand.version(brand.logo)) if brand.logo else None,
            "brand_css": url_for("brand.stylesheet", v=brand.version(brand.css)) if brand.css else None,
        }
