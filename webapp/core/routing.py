"""The URL converters of every route. `<int:...>` is bounded to the database's integers (a signed
64-bit BIGINT on PostgreSQL, SQLite's INTEGER): a larger number in an address names nothing, so it is
a 404 before any view runs, instead of an OverflowError from the database driver."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

DATABASE_INT_MAX = 2**63 - 1


class DatabaseInt(IntegerConverter):
    def __init__(self, url_map, fixed_digits=0, min=None, max=DATABASE_INT_MAX, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register(app) -> None:
    app.url_map.converters["int"] = DatabaseInt
