"""The `kb` command: a thin layer over the library, one module per command group (heavy imports
stay inside the commands, so `kb --help` answers at once)."""
from __future__ import annotations

import click

from kb.cli import analytics, backup, desk, gaps, index, measure, search, server, worker
from kb.cli.common import fail


@click.group()
@click.option("--articles", "articles_dir", type=click.Path(), help="Articles folder [env KB_ARTICLES, default ./articles].")
@click.option("--index-dir", type=click.Path(), help="Index folder [env KB_INDEX, default ./index].")
@click.pass_context
def main(ctx, articles_dir, index_dir):
    """Knowledge-base and FAQ search for customer support."""
    from kb.config import SettingsError, load_settings

    overrides = {k: v for k, v in (("articles_dir", articles_dir), ("index_dir", index_dir)) if v}
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        fail(exc.message, 2)
    ctx.obj = {"settings": settings}


for command in (index.check, index.index, index.tune, search.search, measure.eval_command, measure.bench,
                server.serve, worker.worker, server.config_command, desk.db, desk.operators, desk.tokens_group,
                desk.tickets, desk.report, gaps.gaps, analytics.analytics, backup.export_command,
                backup.import_command):
    main.add_command(command)


if __name__ == "__main__":
    main()
