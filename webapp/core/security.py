"""Headers that keep what is shown safe, on every page and API answer: scripts and styles only from
this site's own files (no inline script, no CDN), never framed, no MIME sniffing; and absolute links
that never come from the request's Host header (anyone can send any Host: a link built from it, in a
ticket's status_url say, would send a customer to the sender's site)."""
from __future__ import annotations

from flask import current_app, request, url_for
from werkzeug.exceptions import BadRequest

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
          "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": "same-origin",  # a page may ask for stricter (the status page: no-referrer)
}


def public_url(endpoint: str, **values) -> str:
    """The absolute link to `endpoint` under KB_PUBLIC_URL; without it, under the configured
    SERVER_NAME; with neither, the relative link (a browser or client resolves it against the address
    it called)."""
    path = url_for(endpoint, **values)
    base = current_app.extensions["kb_public_url"]
    if base is None and current_app.config.get("SERVER_NAME"):
        base = f"{current_app.config['PREFERRED_URL_SCHEME']}://{current_app.config['SERVER_NAME']}"
    return f"{base}{path}" if base else path


def shown_url(endpoint: str, **values) -> str:
    """The absolute link to `endpoint` written out on a page for the visitor who asked for it (the
    status link to keep): `public_url`, else under the address this very request came to. The one
    place the Host header makes a link, because this text goes back only to whoever sent that header,
    on a page never cached (no-store): a forged Host misleads only its sender. Links that leave the
    request (an API answer, an e-mail) use `public_url`."""
    link = public_url(endpoint, **values)
    return link if "://" in link else request.host_url.rstrip("/") + link


def register(app, public_base: str | None = None):
    app.extensions["kb_public_url"] = public_base
    app.add_template_global(shown_url)

    @app.before_request
    def forms_only():
        # Pages take forms; JSON is for /api/. Flask-WTF would read a JSON body as the form's fields
        # (an array there, or a number as a field, was a 500).
        if request.is_json and request.method not in ("GET", "HEAD", "OPTIONS") and \
                not request.path.startswith("/api/"):
            raise BadRequest("pages take form fields (application/x-www-form-urlencoded), not JSON")

    @app.after_request
    def secure(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
