"""The Russian catalogue covers every word of the interface, with Russian plurals, and the compiled
catalogue the server reads is the one in the .po file."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"
RU = WEBAPP / "translations" / "ru" / "LC_MESSAGES"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}


def _used() -> set[str]:
    return {message if isinstance(message, str) else message[0]
            for _file, _line, message, _comments, _context in extract_from_dir(WEBAPP, METHODS, KEYWORDS)}


def _catalogue(path: Path):
    with path.open("rb") as handle:
        return read_po(handle) if path.suffix == ".po" else read_mo(handle)


def test_every_interface_string_has_a_russian_translation():
    catalogue = _catalogue(RU / "messages.po")
    missing = []
    for text in sorted(_used()):
        message = catalogue.get(text)
        if message is None or message.fuzzy or not all(message.string if isinstance(message.string, tuple)
                                                        else [message.string]):
            missing.append(text)
    assert missing == [], f"no Russian for: {missing} (see README 'Translating the interface')"
    assert len(_used()) > 50  # the extraction found the pages' words


def test_plurals_have_the_three_russian_forms():
    catalogue = _catalogue(RU / "messages.po")
    assert catalogue.num_plurals == 3
    plurals = [m for m in catalogue if m.id and isinstance(m.id, tuple)]
    assert plurals and all(len(m.string) == 3 and all(m.string) for m in plurals)


def test_the_compiled_catalogue_is_the_po_file():
    def entries(path):
        def plain(value):
            return tuple(value) if isinstance(value, (list, tuple)) else value
        return {plain(m.id): plain(m.string) for m in _catalogue(path) if m.id}

    source, compiled = entries(RU / "messages.po"), entries(RU / "messages.mo")
    assert compiled == source, "run: pybabel compile -d webapp/translations"


def test_russian_plural_forms_and_dates_on_pages(app):
    from datetime import datetime

    from flask_babel import format_datetime, ngettext

    with app.test_request_context(headers={"Accept-Language": "ru"}):
        forms = [ngettext("%(num)d article", "%(num)d articles", n) for n in (1, 2, 5, 11, 21, 22, 112)]
        assert forms == ["1 статья", "2 статьи", "5 статей", "11 статей", "21 статья", "22 статьи", "112 статей"]
        assert format_datetime(datetime(2026, 12, 1, 9, 5), "d MMMM y, HH:mm") == "1 декабря 2026, 09:05"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert ngettext("%(num)d article", "%(num)d articles", 1) == "1 article"
        assert format_datetime(datetime(2026, 12, 1, 9, 5), "d MMMM y, HH:mm") == "1 December 2026, 09:05"
