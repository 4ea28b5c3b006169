"""`kb gaps`: suggested articles and wordings from the questions nothing answered."""
from __future__ import annotations

import json
import sys
from datetime import datetime, time

import click

from kb.cli.common import echo_json, fail, services_of, settings_of, user_errors, when
from kb.errors import KBError

METRICS = ("topic_recall", "small_topic_recall", "precision", "fragmentation", "noise")


@click.group("gaps", invoke_without_command=True)
@click.option("--since", metavar="DATE", help="Count only the questions asked since this day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="The suggestions as one JSON list.")
@click.option("--refresh", is_flag=True, help="Fold the newest questions in first, as `kb worker` does every "
              "KB_GAPS_EVERY seconds (loads the models).")
@click.pass_context
@user_errors
def gaps(ctx, since, as_json, refresh):
    """Suggested articles and wordings: what customers asked and nothing answered, by topic, best first.

    Act on one with `kb gaps draft ID`, `kb gaps add ID ARTICLE` or `kb gaps dismiss ID` (or on the
    editors' page, /editor/gaps)."""
    if ctx.invoked_subcommand is not None:
        return
    from kb.app.insights import date_range

    services = services_of(ctx)
    if refresh:
        _refresh(services)
    start = datetime.combine(date_range(since, None)[0], time()) if since else None
    found = services.gaps.suggestions(since=start)
    if as_json:
        echo_json(found)
        return
    last = services.gaps.last_run()
    if not found:
        click.echo("no suggestions" + ("" if last else ": the gap finder has not run yet (`kb worker`, or "
                                                        "`kb gaps --refresh`)"))
        return
    for s in found:
        where = f"add wordings to {s['article']}" if s["kind"] == "add" else "missing article"
        trend = s["trend"]
        click.echo(f"#{s['id']:<5} [{where}] {s['title']}")
        click.echo(f"       asked {s['count']} times by {s['visitors']} visitor(s); last 7 days {trend['last_7']}, "
                   f"previous 30 {trend['previous_30']}; nearest article {s['nearest_article']} "
                   f"({s['nearest_similarity']})" + (f"; tickets {', '.join(map(str, s['tickets']))}"
                                                      if s["tickets"] else ""))
        for lang, texts in s["examples"].items():
            click.echo(f"       {lang}: " + " | ".join(texts))
    click.echo(f"last run of the gap finder: {when(last)} UTC")


def _refresh(services) -> None:
    from kb.jobs.locks import lock_for

    lock = lock_for(services.settings, "gaps")
    if not lock.try_acquire():
        click.echo("the worker is folding questions right now; showing its last run", err=True)
        return
    try:
        click.echo(services.gaps.refresh().line(), err=True)
    finally:
        lock.release()


@gaps.command("dismiss")
@click.argument("suggestion", type=int)
@click.option("--by", default="cli", show_default=True, help="Who dismissed it (kept with it).")
@click.pass_context
@user_errors
def dismiss(ctx, suggestion, by):
    """Close a suggestion: its topic's new questions join it silently and never come back."""
    from kb.gaps.actions import dismiss as close

    close(services_of(ctx).database, suggestion, by)
    click.echo(f"suggestion {suggestion} dismissed")


@gaps.command("draft")
@click.argument("suggestion", type=int)
@click.option("--title", help="The article's title [default: the most typical question].")
@click.option("--lang", type=click.Choice(["ru", "en"]), help="[default: the language most of it was asked in]")
@click.option("--by", default="cli", show_default=True, help="Who drafted it (kept with the suggestion).")
@click.pass_context
@user_errors
def draft(ctx, suggestion, title, lang, by):
    """Write a draft article (`draft: true`) from a suggestion into the articles folder."""
    from kb.gaps.actions import draft as write

    services = services_of(ctx)
    path = write(services.database, suggestion, by, services.settings.articles_dir, title=title, lang=lang)
    click.echo(f"{path}: draft written; write the answer, remove `draft: true`, `kb index`, commit")


@gaps.command("add")
@click.argument("suggestion", type=int)
@click.argument("article")
@click.option("--by", default="cli", show_default=True, help="Who accepted them (kept with the suggestion).")
@click.pass_context
@user_errors
def add(ctx, suggestion, article, by):
    """Add a suggestion's wordings to ARTICLE's `questions:` (the file keeps its layout and comments)."""
    from kb.gaps.actions import add_wordings

    services = services_of(ctx)
    added = add_wordings(services.database, suggestion, by, services.settings.articles_dir, article)
    click.echo(f"{len(added)} wording(s) added to {article}" + (": `kb index` to use them" if added else ""))


@gaps.command("eval")
@click.argument("set_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the metrics and the suggestions.")
@click.option("--embedders", help="Comma-separated encoders of the search index instead of the default.")
@click.option("--tune/--no-tune", "tune_model", default=True, show_default=True,
              help="Adapt MiniLM to the set's articles first, as `kb eval` does.")
@click.option("--first", "limit", type=int, help="Only the first N questions of the stream (a quick check).")
@click.option("--topics", "by_topic", is_flag=True,
              help="Also one line per missing topic: asked, reached the gap finder, held by its best suggestion.")
@click.pass_context
def eval_gaps(ctx, set_dir, as_json, embedders, tune_model, limit, by_topic):
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
        extra = {"topics": outcome["topics"]} if by_topic else {}
        click.echo(json.dumps({**metrics, "suggestions": outcome["suggestions"], **extra}, ensure_ascii=False,
                              default=str))
        return
    click.echo(f"set {metrics['set']}: {metrics['questions']} questions, {metrics['candidates']} unanswered or "
               f"weakly answered, {metrics['suggestions']} suggestions")
    for key in METRICS:
        click.echo(f"  {key:<20} {metrics[key]}")
    click.echo(f"  ceilings (topics with 3+ questions that reached the gap finder): topic_recall "
               f"{metrics['ceiling_topic_recall']}, small_topic_recall {metrics['ceiling_small_topic_recall']}")
    if by_topic:
        click.echo(f"  {'missing topic':<34} {'asked':>5} {'reached':>7} {'held':>4} {'of':>4}  found")
        for row in outcome["topics"]:
            click.echo(f"  {row['topic']:<34} {row['asked']:>5} {row['reached']:>7} {row['in_suggestion']:>4} "
                       f"{row['suggestion_size'] or '-':>4}  {'yes' if row['found'] else 'no'}")
    for s in outcome["suggestions"][:15]:
        where = f"add to {s['article']}" if s["kind"] == "add" else "missing"
        click.echo(f"  - [{where}] {s['title']}  ({s['count']} asked by {s['visitors']})")
