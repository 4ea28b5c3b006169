"""`kb gaps`: suggested articles and wordings from the questions nothing answered."""
from __future__ import annotations

import json
import sys

import click

from kb.cli.common import fail, settings_of
from kb.errors import KBError

METRICS = ("topic_recall", "small_topic_recall", "precision", "fragmentation", "noise")


@click.group("gaps")
def gaps():
    """Gap suggestions: missing articles and new wordings for existing ones."""


@gaps.command("eval")
@click.argument("set_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the metrics and the suggestions.")
@click.option("--embedders", help="Comma-separated encoders of the search index instead of the default.")
@click.option("--tune/--no-tune", "tune_model", default=True, show_default=True,
              help="Adapt MiniLM to the set's articles first, as `kb eval` does.")
@click.option("--first", "limit", type=int, help="Only the first N questions of the stream (a quick check).")
@click.pass_context
def eval_gaps(ctx, set_dir, as_json, embedders, tune_model, limit):
    """Replay a gap set (articles/ and stream.jsonl) through the search, cluster what failed, score it."""
    from kb.evaluation.gaps import run_gaps_eval

    encoders = embedders.split(",") if embedders else settings_of(ctx).embedders
    try:
        outcome = run_gaps_eval(set_dir, index_base=settings_of(ctx).index_dir, encoders=encoders,
                                tune_model=tune_model, progress=sys.stderr.isatty(), limit=limit)
    except KBError as exc:
        fail(exc.message)
    metrics = outcome["metrics"]
    if as_json:
        click.echo(json.dumps({**metrics, "suggestions": outcome["suggestions"]}, ensure_ascii=False))
        return
    click.echo(f"set {metrics['set']}: {metrics['questions']} questions, {metrics['candidates']} unanswered or "
               f"weakly answered, {metrics['suggestions']} suggestions")
    for key in METRICS:
        click.echo(f"  {key:<20} {metrics[key]}")
    for s in outcome["suggestions"][:15]:
        where = f"add to {s['article']}" if s["kind"] == "add" else "missing"
        click.echo(f"  - [{where}] {s['title']}  ({s['count']} asked by {s['visitors']})")
