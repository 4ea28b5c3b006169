"""What every command needs: the settings, one-line errors, the shared services."""
from __future__ import annotations

import functools
import json
import sys

import click

from kb.errors import KBError


def settings_of(ctx):
    return ctx.find_root().obj["settings"]


def services_of(ctx):
    """The services over these settings, built once per command."""
    root = ctx.find_root().obj
    if "services" not in root:
        from kb.app.services import Services

        root["services"] = Services(root["settings"])
    return root["services"]


def fail(message: str, code: int = 1):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def user_errors(command):
    """Print a KBError (bad input, not found, conflict) as one line and exit 1, no traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KBError as exc:
            fail(exc.message)

    return wrapper


def database_of(ctx):
    return services_of(ctx).database


def desk_of(ctx):
    return services_of(ctx).desk


def when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def echo_json(value):
    from kb.desk.shapes import jsonable

    click.echo(json.dumps(jsonable(value), ensure_ascii=False, indent=2))
