"""The `kb` command: a thin layer over the library (heavy imports stay inside the commands)."""
from __future__ import annotations

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
@click.pass_context
def index(ctx, articles_dir, out_dir):
    """Build the search index (incremental: unchanged text is not embedded again)."""
    from kb.index import BuildError, build_index

    settings = _settings(ctx)
    try:
        report = build_index(articles_dir or settings.articles_dir, out_dir or settings.index_dir,
                             encoders=settings.embedders, progress=sys.stderr.isatty())
    except BuildError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        _fail(exc.message)
    except FileNotFoundError as exc:
        _fail(f"{exc}; the previous index keeps serving")
    click.echo(f"indexed {report.articles} articles ({report.phrasings} phrasings, {report.passages} passages; "
               f"{report.embedded} texts embedded anew) in {report.seconds:.1f} s → {report.path}")


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
@click.pass_context
def eval_command(ctx, set_dir, as_json, embedders):
    """Score the search on an evaluation set (folder with articles/ and queries.jsonl)."""
    from kb.evaluation import run_eval

    encoders = embedders.split(",") if embedders else _settings(ctx).embedders
    try:
        metrics = run_eval(set_dir, index_base=_settings(ctx).index_dir, encoders=encoders,
                           progress=sys.stderr.isatty())
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
    """Serve the web app and JSON API with a production WSGI server (waitress)."""
    from waitress import serve as waitress_serve

    from webapp import create_app

    settings = _settings(ctx)
    app = create_app({"KB_INDEX": str(settings.index_dir), "KB_ARTICLES": str(settings.articles_dir)})
    click.echo(f"serving on http://{host}:{port}/ (index {settings.index_dir})")
    waitress_serve(app, host=host, port=port, threads=threads)


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
