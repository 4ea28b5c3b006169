"""`kb export` and `kb import`: the whole database as JSON lines (kb.db.backup)."""
from __future__ import annotations

import sys

import click

from kb.cli.common import database_of, user_errors


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True), default="-")
@click.pass_context
@user_errors
def export_command(ctx, file):
    """Write every table (tickets, events, customers, operators, tokens, votes, the query log, the
    gap finder's state) as JSON lines to FILE (default: standard output), for a backup or a move."""
    from kb.db.backup import export_lines

    database = database_of(ctx)
    out = sys.stdout if file == "-" else open(file, "w", encoding="utf-8")  # noqa: SIM115
    rows = 0
    try:
        for line in export_lines(database):
            out.write(line + "\n")
            rows += 1
    finally:
        if out is not sys.stdout:
            out.close()
    click.echo(f"{rows - 1} row(s) exported", err=True)


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, exists=True))
@click.pass_context
@user_errors
def import_command(ctx, file):
    """Load an export into this database (KB_DATABASE_URL), which must be new (migrated, empty): all
    of it in one transaction, or nothing."""
    from kb.db.backup import import_lines

    database = database_of(ctx)
    handle = sys.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115
    try:
        loaded = import_lines(database, handle, source=file)
    finally:
        if handle is not sys.stdin:
            handle.close()
    total = sum(loaded.values())
    click.echo(f"{total} row(s) imported: " + ", ".join(f"{name} {n}" for name, n in loaded.items()))
