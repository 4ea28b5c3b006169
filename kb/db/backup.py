"""`kb export` / `kb import`: every table of the database (tickets and their events, customers,
operators, API tokens, votes, the query log and its daily counts, the gap finder's state, the
ticket counter) as JSON lines, for backups and for moving from SQLite to PostgreSQL.

The first line says what the file is and the schema revision it was written at; each other line is
one row, `{"table": name, "row": {column: value}}`, tables in the order their foreign keys need.
Times are ISO strings (naive UTC, as stored), bytes base64. An import goes into an empty database
at the same revision, in one transaction: it all lands or nothing does. PostgreSQL's id sequences
are moved past the imported ids, so the next ticket does not collide with an imported one.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timezone

from sqlalchemy import Date, DateTime, Integer, LargeBinary, delete, func, insert, select, text

import kb.analytics.tables  # noqa: F401  (every part's tables, so the metadata holds them all)
import kb.desk.tables  # noqa: F401
import kb.gaps.tables  # noqa: F401
from kb.db.engine import Base, Database
from kb.errors import Conflict, InvalidInput

FORMAT = "kb-export"
VERSION = 1
BATCH = 1000
SEEDED = ("counters",)  # tables the migrations fill (the ticket counter starts at 0)


def tables():
    return list(Base.metadata.sorted_tables)  # parents before children


def _revision(session) -> str | None:
    """The schema revision (a session or a connection)."""
    return session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def export_lines(database: Database) -> Iterator[str]:
    """The whole database as JSON lines, read in one transaction (a consistent snapshot)."""
    with database.engine.connect() as connection, connection.begin():
        revision = _revision(connection)
        counts = {t.name: connection.execute(select(func.count()).select_from(t)).scalar() for t in tables()}
        yield json.dumps({"format": FORMAT, "version": VERSION, "revision": revision,
                          "exported_at": datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat(), "rows": counts})
        for table in tables():
            order = list(table.primary_key.columns) or list(table.columns)
            for row in connection.execute(select(table).order_by(*order)).mappings():
                yield json.dumps({"table": table.name, "row": {k: _plain(v) for k, v in row.items()}},
                                 ensure_ascii=False)


def _typed(table, row: dict, where: str) -> dict:
    out = {}
    for name, value in row.items():
        column = table.columns.get(name)
        if column is None:
            raise InvalidInput(f"{where}: the table {table.name} has no column {name!r}")
        if value is not None:
            kind = column.type
            try:
                if isinstance(kind, DateTime):
                    value = datetime.fromisoformat(value)
                elif isinstance(kind, Date):
                    value = date.fromisoformat(value)
                elif isinstance(kind, LargeBinary):
                    value = base64.b64decode(value, validate=True)
            except (TypeError, ValueError) as exc:
                raise InvalidInput(f"{where}: {table.name}.{name}: {exc}") from exc
        out[name] = value
    return out


def import_lines(database: Database, lines: Iterable[str], source: str = "<input>") -> dict[str, int]:
    """Load an export into this (empty, migrated) database; returns the rows per table."""
    by_name = {t.name: t for t in tables()}
    lines = iter(lines)
    try:
        header = json.loads(next(lines))
    except (StopIteration, ValueError) as exc:
        raise InvalidInput(f"{source}:1: not a kb export (no header line)") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("version") != VERSION:
        raise InvalidInput(f"{source}:1: not a kb export of version {VERSION}")

    def work(session) -> dict[str, int]:
        here = _revision(session)
        if header.get("revision") != here:
            raise Conflict(f"{source} was exported at schema revision {header.get('revision')}; this database is "
                           f"at {here}: bring both to the same revision (`kb db upgrade`) first")
        used = [t.name for t in tables() if t.name not in SEEDED
                and session.execute(select(func.count()).select_from(t)).scalar()]
        if used:
            raise Conflict(f"the database is not empty ({', '.join(used)}): import into a new database")
        for name in SEEDED:  # the migration's starting rows give way to the exported ones
            session.execute(delete(by_name[name]))
        loaded: dict[str, int] = {}
        pending: list[tuple] = []

        def flush():
            for table, rows in _grouped(pending):
                session.execute(insert(table), rows)
            pending.clear()

        for number, line in enumerate(lines, start=2):
            if not line.strip():
                continue
            where = f"{source}:{number}"
            try:
                item = json.loads(line)
                table = by_name[item["table"]]
                row = item["row"]
            except (ValueError, KeyError, TypeError) as exc:
                raise InvalidInput(f"{where}: not a row line ({exc})") from exc
            if not isinstance(row, dict):
                raise InvalidInput(f"{where}: the row is not an object")
            pending.append((table, _typed(table, row, where)))
            loaded[table.name] = loaded.get(table.name, 0) + 1
            if len(pending) >= BATCH:
                flush()
        flush()
        expected = {k: v for k, v in (header.get("rows") or {}).items() if v}
        if expected and expected != loaded:
            raise InvalidInput(f"{source} is incomplete: the header promises {expected}, the file holds {loaded}")
        if session.get_bind().dialect.name == "postgresql":
            _move_sequences(session)
        return loaded

    return database.run(work, attempts=1)


def _grouped(pending):
    """Consecutive rows of one table together (the file lists tables in order)."""
    group, rows = None, []
    for table, row in pending:
        if table is not group and rows:
            yield group, rows
            rows = []
        group = table
        rows.append(row)
    if rows:
        yield group, rows


def _move_sequences(session) -> None:
    for table in tables():
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement is not False:
                session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                    f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false) "
                    f"WHERE pg_get_serial_sequence('{table.name}', '{column.name}') IS NOT NULL"))
