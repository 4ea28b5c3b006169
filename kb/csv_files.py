"""The one CSV writer of the product (the lead's tables on the web, `kb report --csv`): text a
spreadsheet opens as it is meant, and never runs.

- A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
  LibreOffice and Google Sheets (`=HYPERLINK(...)` sends the sheet's data away): it gets a leading
  `'`, which the spreadsheet shows as text. Numbers stay numbers, a negative one too.
- UTF-8 with a byte order mark: without it Excel in a Russian locale reads the file as Windows-1251.
- Rows end with CRLF, as RFC 4180 says.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as a cell: None as empty, a text that a spreadsheet would take for a formula quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence, rows: Iterable[Sequence]) -> str:
    """The table as CSV text, starting with the byte order mark."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(str(name)) for name in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue()
