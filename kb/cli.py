"""The `kb` command: a thin layer over the library (heavy imports stay inside the commands)."""
from __future__ import annotations

import functools
import json
import sys

import click

from kb.config import Settings
from kb.errors import KBError


def _settings(ctx) -> Settings:
    return ctx.obj


def _fail(message: str, code: int = 1):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _user_errors(command):
    """Print a KBError (bad input, not found, conflict) as one line and exit 1, no traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KBError as exc:
            _fail(exc.message)

    return wrapper


def _database(ctx):
    from kb.db import open_database

    return open_database(_settings(ctx).database_url)


def _desk(ctx):
    from kb.tickets import Desk

    return Desk(_database(ctx))


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _echo_json(value):
    from kb.tickets import jsonable

    click.echo(json.dumps(jsonable(value), ensure_ascii=False, indent=2))


@click.group()
@click.option("--articles", "articles_dir", type=click.Path(), help="Articles folder [env KB_ARTICLES, default ./articles].")
@click.option("--index-dir", type=click.Path(), help="Index folder [env KB_INDEX, default ./index].")
@click.pass_context
def main(ctx, articles_dir, index_dir):
    """Knowledge-base and FAQ search for customer support."""
    settings = Settings()
    if articles_dir:
        settings.articles_dir = articles_dir
    if index_dir:
        settings.index_dir = index_dir
    ctx.obj = settings


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings (near-duplicates) as errors.")
@click.pass_context
def check(ctx, strict):
    """Check every article and report every problem with its file and line."""
    from kb.articles import check_articles

    try:
        articles, problems = check_articles(_settings(ctx).articles_dir)
    except FileNotFoundError as exc:
        _fail(str(exc))
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    click.echo(f"{len(articles)} article(s) OK to index; {errors} error(s), {warnings} warning(s)"
               + (" (--strict: warnings fail)" if strict and warnings else ""))
    sys.exit(1 if errors or (strict and warnings) else 0)


@main.command()
@click.option("--articles", "articles_dir", type=click.Path(), help="Articles folder to index.")
@click.option("--out", "out_dir", type=click.Path(), help="Index folder to write.")
@click.option("--watch", is_flag=True, help="Keep running: rebuild whenever an article changes (models stay loaded).")
@click.pass_context
def index(ctx, articles_dir, out_dir, watch):
    """Build the search index (incremental: unchanged text is not embedded again)."""
    from kb import index as indexing

    settings = _settings(ctx)
    articles_dir, out_dir = articles_dir or settings.articles_dir, out_dir or settings.index_dir
    if watch:
        click.echo(f"watching {articles_dir}; Ctrl-C stops", err=True)
        try:
            indexing.watch(articles_dir, out_dir, settings.embedders, _echo_build, _echo_build_error)
        except KeyboardInterrupt:
            pass
        return
    try:
        report = indexing.build_index(articles_dir, out_dir, encoders=settings.embedders, progress=sys.stderr.isatty())
    except indexing.BuildError as exc:
        _echo_build_error(exc)
        sys.exit(1)
    except FileNotFoundError as exc:
        _fail(f"{exc}; the previous index keeps serving")
    _echo_build(report)


@main.command()
@click.option("--articles", "articles_dir", type=click.Path(), help="Articles folder to learn from.")
@click.option("--out", "out_dir", type=click.Path(), help="Index folder to save the model beside.")
@click.option("--epochs", default=2, show_default=True, type=click.IntRange(1, 20))
@click.pass_context
def tune(ctx, articles_dir, out_dir, epochs):
    """Adapt MiniLM to the articles' own English phrasings (minutes on the CPU), then re-index with it."""
    from kb import index as indexing
    from kb.tune import tune as adapt

    settings = _settings(ctx)
    articles_dir, out_dir = articles_dir or settings.articles_dir, out_dir or settings.index_dir

    def progress(epoch, epochs):
        click.echo(f"epoch {epoch}/{epochs} done", err=True)

    try:
        report = adapt(articles_dir, out_dir, epochs=epochs, progress=progress)
        click.echo(f"tuned MiniLM on {report.pairs} pairs of phrasings from {report.articles} English articles "
                   f"in {report.seconds:.0f} s → {report.path}")
        _echo_build(indexing.build_index(articles_dir, out_dir, encoders=settings.embedders, progress=sys.stderr.isatty()))
    except indexing.BuildError as exc:
        _echo_build_error(exc)
        sys.exit(1)
    except (KBError, FileNotFoundError) as exc:
        _fail(getattr(exc, "message", str(exc)))


def _echo_build(report):
    click.echo(f"indexed {report.articles} articles ({report.phrasings} phrasings, {report.passages} passages; "
               f"{report.embedded} texts embedded anew) in {report.seconds:.1f} s → {report.path}")


def _echo_build_error(exc):
    for problem in getattr(exc, "problems", []):
        click.echo(str(problem), err=True)
    click.echo(f"error: {exc}", err=True)


@main.command()
@click.argument("question")
@click.option("--lang", type=click.Choice(["ru", "en"]), help="Only articles in this language.")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (as the API returns it).")
@click.pass_context
def search(ctx, question, lang, limit, as_json):
    """Search the knowledge base."""
    from kb.search import get_searcher

    try:
        response = get_searcher(_settings(ctx).index_dir).search(question, lang=lang, limit=limit)
    except KBError as exc:
        _fail(exc.message, 2)
    if as_json:
        click.echo(json.dumps(response.to_dict(), ensure_ascii=False, indent=2))
        return
    if response.no_match:
        click.echo(f"no match (confidence {response.confidence:.2f}): no article answers this; closest:")
    for rank, result in enumerate(response.results, start=1):
        click.echo(f"{rank}. [{result.id}] {result.title}  (confidence {result.confidence:.2f}, {result.lang})")
        click.echo(f"   matched: {result.matched}")


@main.command("eval")
@click.argument("set_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object with the metrics.")
@click.option("--embedders", help="Comma-separated encoders to use instead of the default.")
@click.option("--tune/--no-tune", "tune_model", default=True, show_default=True,
              help="Adapt MiniLM to the set's articles first, as `kb tune` does (once per set of phrasings).")
@click.pass_context
def eval_command(ctx, set_dir, as_json, embedders, tune_model):
    """Score the search on an evaluation set (folder with articles/ and queries.jsonl)."""
    from kb.evaluation import run_eval

    encoders = embedders.split(",") if embedders else _settings(ctx).embedders
    try:
        metrics = run_eval(set_dir, index_base=_settings(ctx).index_dir, encoders=encoders,
                           progress=sys.stderr.isatty(), tune_model=tune_model)
    except KBError as exc:
        _fail(exc.message)
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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.pass_context
def serve(ctx, host, port, threads):
    """Serve the web app and JSON API with waitress; escalates overdue tickets on a schedule."""
    from waitress import serve as waitress_serve

    from webapp import create_app

    from kb.tickets import start_escalation_thread
    from webapp.tickets_api import desk_for

    settings = _settings(ctx)
    app = create_app({"KB_INDEX": str(settings.index_dir), "KB_ARTICLES": str(settings.articles_dir),
                      "KB_DATABASE_URL": settings.database_url})
    desk = desk_for(app)  # migrates the ticket database before the first customer arrives
    if desk.rules.escalate_every_seconds > 0:
        start_escalation_thread(desk, desk.rules.escalate_every_seconds)
    click.echo(f"serving on http://{host}:{port}/ (index {settings.index_dir}; overdue tickets escalate "
               f"every {desk.rules.escalate_every_seconds:g} s)")
    waitress_serve(app, host=host, port=port, threads=threads)


@main.group()
def db():
    """The ticket database (KB_DATABASE_URL; SQLite in instance/ by default)."""


@db.command("upgrade")
@click.pass_context
@_user_errors
def db_upgrade(ctx):
    """Create the tables or bring them to the newest schema (the server also does it at start)."""
    database = _database(ctx)
    click.echo(f"database {database.url.render_as_string(hide_password=True)} is up to date")


@main.group()
def operators():
    """Support operators: who takes and solves tickets, at which tier."""


@operators.command("add")
@click.argument("login")
@click.option("--name", required=True, help="Full name; customers see the first name.")
@click.option("--tier", default=1, show_default=True, type=click.IntRange(1, 3))
@click.option("--role", help="operator | editor | lead | admin [default: admin for the first one, then operator]")
@click.option("--seniority", default=0, show_default=True, type=click.IntRange(0), help="Years in the team.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.pass_context
@_user_errors
def operators_add(ctx, login, name, tier, role, seniority, password):
    """Add an operator (the first one added becomes the admin)."""
    from kb.operators import add_operator

    added = add_operator(_database(ctx), login, name, password, tier=tier, role=role, seniority=seniority)
    click.echo(f"added {added['login']} ({added['name']}): {added['role']}, tier {added['tier']}")


@operators.command("list")
@click.pass_context
@_user_errors
def operators_list(ctx):
    """List operators."""
    from kb.operators import list_operators

    for o in list_operators(_database(ctx)):
        click.echo(f"{o['login']:<16} {o['name']:<24} tier {o['tier']}  {o['role']:<8} "
                   f"seniority {o['seniority']}{'' if o['active'] else '  (inactive)'}")


@main.group()
def tickets():
    """Customer requests: list, show, take, pass on, solve, escalate."""


def _operator_option(command):
    return click.option("--as", "login", required=True, envvar="KB_OPERATOR",
                        help="Your operator login [env KB_OPERATOR].")(command)


@tickets.command("list")
@click.option("--status", type=click.Choice(["new", "open", "waiting", "solved", "closed"]),
              help="Only this status [default: every unsolved one].")
@click.option("--tier", type=click.IntRange(1, 3))
@click.option("--owner", help="Only tickets this operator owns.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_user_errors
def tickets_list(ctx, status, tier, owner, as_json):
    """List tickets, oldest first."""
    found = _desk(ctx).list_tickets(status=status, tier=tier, owner=owner)
    if as_json:
        return _echo_json(found)
    for t in found:
        click.echo(f"#{t['number']:<5} {t['status']:<8} tier {t['tier']}  {t['channel']:<6} "
                   f"owner {t['owner'] or '-':<12} due {_when(t['due_at'])}  {t['question'][:60]}")
    if not found:
        click.echo("no tickets")


@tickets.command("show")
@click.argument("number", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_user_errors
def tickets_show(ctx, number, as_json):
    """One ticket with its whole history."""
    t = _desk(ctx).show(number)
    if as_json:
        return _echo_json(t)
    customer = t["customer"]
    click.echo(f"#{t['number']} {t['status']} · tier {t['tier']} · {t['channel']} · {t['language']} · "
               f"owner {t['owner'] or '-'}")
    click.echo(f"customer: {customer['name'] or '-'} {customer['email'] or ''} {customer['phone'] or ''}".rstrip())
    click.echo(f"question: {t['question']}")
    if t["details"]:
        click.echo(f"details: {t['details']}")
    click.echo(f"first response due {_when(t['first_response_due'])}, given {_when(t['first_response_at'])}; "
               f"solution due {_when(t['due_at'])}" + (f"; FLAGGED for leads {_when(t['flagged_at'])}"
                                                       if t["flagged_at"] else ""))
    if t["answer"] or t["article_id"]:
        click.echo(f"answer: {t['answer'] or ''} {('[' + t['article_id'] + ']') if t['article_id'] else ''}".rstrip())
    click.echo("history:")
    for e in t["events"]:
        who = e["operator"] or e["actor"]
        click.echo(f"  {_when(e['at'])}  {e['kind']:<10} tier {e['tier']}  {who}{'  LATE' if e['late'] else ''}"
                   + (f"  {e['note']}" if e["note"] else ""))


@tickets.command("take")
@click.argument("number", type=int)
@_operator_option
@click.pass_context
@_user_errors
def tickets_take(ctx, number, login):
    """Take an unowned ticket."""
    t = _desk(ctx).take(number, login)
    click.echo(f"#{t['number']} is yours, {t['owner']}; solution due {_when(t['due_at'])}")


@tickets.command("pass")
@click.argument("number", type=int)
@_operator_option
@click.option("--note", required=True, help="What was tried and why it goes up (required).")
@click.pass_context
@_user_errors
def tickets_pass(ctx, number, login, note):
    """Pass your ticket on to the next tier."""
    t = _desk(ctx).pass_on(number, login, note)
    click.echo(f"#{t['number']} passed on to tier {t['tier']}" + (f", assigned to {t['owner']}" if t["owner"] else ""))


@tickets.command("solve")
@click.argument("number", type=int)
@_operator_option
@click.option("--answer", help="The answer sent to the customer.")
@click.option("--article", "article_id", help="The id of the article that answers it.")
@click.pass_context
@_user_errors
def tickets_solve(ctx, number, login, answer, article_id):
    """Solve your ticket with an answer and/or an article."""
    t = _desk(ctx).solve(number, login, answer=answer, article_id=article_id)
    click.echo(f"#{t['number']} solved")


@tickets.command("comment")
@click.argument("number", type=int)
@_operator_option
@click.option("--note", required=True, help="The message to the customer.")
@click.option("--waiting", is_flag=True, help="Now waiting for the customer's reply.")
@click.pass_context
@_user_errors
def tickets_comment(ctx, number, login, note, waiting):
    """Write to the customer on your ticket (the first message is the first response)."""
    t = _desk(ctx).comment(number, login, note, waiting=waiting)
    click.echo(f"#{t['number']} {t['status']}")


@tickets.command("escalate")
@click.pass_context
@_user_errors
def tickets_escalate(ctx):
    """Move overdue tickets up a tier (flag them at tier 3). Safe to run every minute."""
    moved = _desk(ctx).escalate_overdue()
    for t in moved:
        outcome = "flagged for the leads" if t["flagged_at"] else f"moved to tier {t['tier']}"
        click.echo(f"#{t['number']}: {t['reason']}: {outcome}")
    click.echo(f"{len(moved)} ticket(s) escalated")


@main.command()
@click.option("--month", required=True, help="The month, like 2025-03 (UTC).")
@click.option("--csv", "as_csv", is_flag=True, help="CSV: one row per operator, tier and channel.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_user_errors
def report(ctx, month, as_csv, as_json):
    """The month's tickets per operator, tier and channel: solved, passed on, escalated, breaches."""
    from kb.reports import COLUMNS, monthly_report, report_csv

    figures = monthly_report(_database(ctx), month)
    if as_csv:
        return click.echo(report_csv(figures), nl=False)
    if as_json:
        return _echo_json(figures)
    short = ("received", "solved", "passed", "escal.", "breach", "1st resp min", "solve h", "rating")
    for group, key in (("operators", "login"), ("tiers", "tier"), ("channels", "channel")):
        click.echo(f"{group} ({month})")
        click.echo(f"  {key:<14}" + "".join(f"{h:>13}" for h in short))
        for row in figures[group]:
            click.echo(f"  {str(row[key]):<14}" + "".join(f"{'-' if row[c] is None else row[c]:>13}" for c in COLUMNS))


@main.command()
@click.option("--sizes", default="100,1000,10000", show_default=True, help="Knowledge-base sizes to build.")
@click.option("--queries", default=200, show_default=True, type=int, help="Searches timed per size.")
@click.option("--out", "out_file", default="docs/benchmarks.md", show_default=True, type=click.Path())
def bench(sizes, queries, out_file):
    """Time index builds, the one-article rebuild, search latency and memory; write a table."""
    from kb.bench import run_bench

    table = run_bench([int(s) for s in sizes.split(",")], queries, out_file, echo=click.echo)
    click.echo(table)


if __name__ == "__main__":
    main()
