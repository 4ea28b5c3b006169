"""`kb eval` and `kb bench`: measuring matching quality and speed."""
from __future__ import annotations

import json
import sys

import click

from kb.cli.common import fail, settings_of
from kb.errors import KBError


@click.command("eval")
@click.argument("set_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object with the metrics.")
@click.option("--embedders", help="Comma-separated encoders to use instead of the default.")
@click.option("--tune/--no-tune", "tune_model", default=True, show_default=True,
              help="Adapt MiniLM to the set's articles first, as `kb tune` does (once per set of phrasings).")
@click.pass_context
def eval_command(ctx, set_dir, as_json, embedders, tune_model):
    """Score the search on an evaluation set (folder with articles/ and queries.jsonl)."""
    from kb.evaluation.quality import run_eval

    encoders = embedders.split(",") if embedders else settings_of(ctx).embedders
    try:
        metrics = run_eval(set_dir, index_base=settings_of(ctx).index_dir, encoders=encoders,
                           progress=sys.stderr.isatty(), tune_model=tune_model)
    except KBError as exc:
        fail(exc.message)
    if as_json:
        click.echo(json.dumps(metrics, ensure_ascii=False))
        return
    click.echo(f"set {metrics['set']}: {metrics['queries']} queries "
               f"({metrics['answerable']} answerable, {metrics['unanswerable']} with no article)")
    for key in ("top1", "recall_at_3", "accuracy", "no_match_recall", "false_no_match_rate", "auroc", "p50_ms", "p95_ms"):
        click.echo(f"  {key:<20} {metrics[key]}")
    click.echo("  by kind of question:")
    for kind, figures in metrics["by_kind"].items():
        click.echo(f"    {kind:<8} " + "  ".join(f"{k}={v}" for k, v in figures.items()))



@click.command()
@click.option("--sizes", default="100,1000,10000", show_default=True, help="Knowledge-base sizes to build.")
@click.option("--queries", default=200, show_default=True, type=int, help="Searches timed per size.")
@click.option("--out", "out_file", default="docs/benchmarks.md", show_default=True, type=click.Path())
@click.pass_context
def bench(ctx, sizes, queries, out_file):
    """Time index builds, the one-article rebuild, search latency and memory; write a table."""
    from kb.evaluation.bench import run_bench

    table = run_bench([int(s) for s in sizes.split(",")], queries, out_file, settings_of(ctx).embedders,
                      echo=click.echo)
    click.echo(table)
