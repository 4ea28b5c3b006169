"""An article as the pages show it, to visitors (webapp.public.articles) and to operators
(webapp.staff.console) alike: the id from an address, the public fields, the same topic in the
other language, and the answer's Markdown as safe HTML.

The body goes through `markdown` and then the `nh3` allow-list sanitizer, so nothing an editor (or a
pasted e-mail) writes can run in a browser.
"""
from __future__ import annotations

import re
from urllib.parse import unquote

import markdown
import nh3
from flask import url_for
from markupsafe import Markup
from werkzeug.exceptions import NotFound

from kb.articles.parsing import ID_PATTERN
from kb.text import unprintable

MAX_ID_CHARS = 200
MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
# What a rendered answer may contain; everything else is dropped (its text kept), and script and
# style elements are dropped with their content.
TAGS = {"p", "br", "hr", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "a",
        "strong", "em", "b", "i", "h2", "h3", "h4", "blockquote"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

PUBLIC = ("id", "title", "lang", "tags", "body")  # never operator_notes


def public_fields(article: dict) -> dict:
    return {key: article[key] for key in PUBLIC}


def checked_article_id(typed: str) -> str:
    """The id from the address, or the 404 page for what cannot be one (no database or index look-up)."""
    if len(typed) > MAX_ID_CHARS or not ID_PATTERN.match(typed) or unprintable(typed) is not None:
        raise NotFound()
    return typed


def translation_of(searcher, number: int, article: dict) -> dict | None:
    """The same topic in the other language, if there is one."""
    topic = searcher.build.topic
    for other, other_topic in enumerate(topic):
        candidate = searcher.articles[other]
        if other != number and other_topic == topic[number] and candidate["lang"] != article["lang"]:
            return public_fields(candidate)
    return None


def _link_target(href: str, known) -> str | None:
    """An article link's address on this site: `other-id` or `/articles/other-id` (with an optional
    #fragment) becomes `/articles/other-id` when that article exists. Other links are kept as they are;
    an article link to an id that does not exist loses its address (the text stays)."""
    scheme = re.match(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):", href)
    if scheme is not None:  # nh3 checks the scheme too; a javascript: address never gets this far
        return href if scheme.group(1).lower() in URL_SCHEMES else None
    path, hash_, fragment = href.partition("#")
    if not path or path.startswith("//"):
        return href
    if path.startswith("/articles/"):
        candidate = unquote(path[len("/articles/"):]).rstrip("/")
    elif "/" not in path and ":" not in path and "?" not in path and not path.startswith("."):
        candidate = unquote(path)
    else:
        return href  # another page of the site
    if candidate not in known:
        return None
    return url_for("articles.article", article_id=candidate) + hash_ + fragment


def render_body(body: str, known) -> Markup:
    """The answer's Markdown as safe HTML, links between articles resolved against `known` ids."""
    html = markdown.markdown(body, extensions=MARKDOWN_EXTENSIONS, output_format="html")

    def attribute_filter(tag, attribute, value):
        if tag == "a" and attribute == "href":
            return _link_target(value.strip(), known)
        return value

    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                      clean_content_tags={"script", "style"}, attribute_filter=attribute_filter,
                      link_rel=None, strip_comments=True)
    return Markup(clean)
