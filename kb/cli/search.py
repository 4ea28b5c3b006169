"""`kb search`: ask a question from the shell, as the API answers it."""
from __future__ import annotations

import json

import click

from kb.cli.common import fail, services_of, settings_of
from kb.errors import IndexMissing, KBError


@click.command()
@click.argument("question")
@click.option("--lang", type=click.Choice(["ru", "en"]), help="Only articles in this language.")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (as the API returns it).")
@click.pass_context
def search(ctx, question, lang, limit, as_json):
    """Search the knowledge base."""
    try:
        response = services_of(ctx).searcher.search(question, lang=lang, limit=limit)
    except IndexMissing as exc:
        fail(f"{exc.message} (index folder {settings_of(ctx).index_dir})", 2)
    except KBError as exc:
        fail(exc.message, 2)
    if as_json:
        click.echo(json.dumps(response.to_dict(), ensure_ascii=False, indent=2))
        return
    if response.no_match:
        click.echo(f"no match (confidence {response.confidence:.2f}): no article answers this; closest:")
    for rank, result in enumerate(response.results, start=1):
        click.echo(f"{rank}. [{result.id}] {result.title}  (confidence {result.confidence:.2f}, {result.lang})")
        click.echo(f"   matched: {result.matched}")
