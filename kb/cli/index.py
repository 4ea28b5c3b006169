"""`kb check`, `kb index`, `kb tune`: the editors' commands over the articles folder."""
from __future__ import annotations

import sys

import click

from kb.cli.common import fail, settings_of
from kb.errors import KBError


@click.command()
@click.option("--strict", is_flag=True, help="Treat warnings (near-duplicates) as errors.")
@click.pass_context
def check(ctx, strict):
    """Check every article and report every problem with its file and line; then run the editors'
    regression questions (articles/_must_find.yml) against the current index."""
    from kb.articles.checking import check_articles
    from kb.articles.must_find import load_must_find

    settings = settings_of(ctx)
    try:
        articles, problems = check_articles(settings.articles_dir)
    except FileNotFoundError as exc:
        fail(str(exc))
    cases, case_problems = load_must_find(settings.articles_dir, {a.id for a in articles})
    problems += case_problems + _must_find_problems(ctx, cases)
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.level == "error" for p in problems)
    warnings = sum(p.level == "warning" for p in problems)
    drafts = sum(p.level == "note" for p in problems)
    click.echo(f"{len(articles)} article(s) OK to index; {errors} error(s), {warnings} warning(s)"
               + (f", {drafts} draft(s) not published" if drafts else "")
               + (f"; {len(cases)} must-find question(s) run" if cases else "")
               + (" (--strict: warnings fail)" if strict and warnings else ""))
    sys.exit(1 if errors or (strict and warnings) else 0)


def _must_find_problems(ctx, cases):
    """The regression questions against the serving index (none without an index: said once)."""
    if not cases:
        return []
    from kb.cli.common import services_of
    from kb.errors import IndexMissing
    from kb.articles.must_find import must_find_problems

    try:
        searcher = services_of(ctx).searcher
    except IndexMissing:
        click.echo(f"no index yet: the {len(cases)} must-find question(s) were not run (`kb index` first)", err=True)
        return []
    return must_find_problems(searcher, cases)


@click.command()
@click.option("--articles", "articles_dir", type=click.Path(), help="Articles folder to index.")
@click.option("--out", "out_dir", type=click.Path(), help="Index folder to write.")
@click.option("--watch", is_flag=True, help="Keep running: rebuild whenever an article changes (models stay loaded).")
@click.pass_context
def index(ctx, articles_dir, out_dir, watch):
    """Build the search index (incremental: unchanged text is not embedded again)."""
    from kb.search import build as indexing

    settings = settings_of(ctx)
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
        fail(f"{exc}; the previous index keeps serving")
    _echo_build(report)


@click.command()
@click.option("--articles", "articles_dir", type=click.Path(), help="Articles folder to learn from.")
@click.option("--out", "out_dir", type=click.Path(), help="Index folder to save the model beside.")
@click.option("--epochs", default=2, show_default=True, type=click.IntRange(1, 20))
@click.pass_context
def tune(ctx, articles_dir, out_dir, epochs):
    """Adapt MiniLM to the articles' own English phrasings (minutes on the CPU), then re-index with it."""
    from kb.search import build as indexing
    from kb.search.tune import tune as adapt

    settings = settings_of(ctx)
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
        fail(getattr(exc, "message", str(exc)))


def _echo_build(report):
    click.echo(f"indexed {report.articles} articles ({report.phrasings} phrasings, {report.passages} passages; "
               f"{report.embedded} texts embedded anew) in {report.seconds:.1f} s → {report.path}")


def _echo_build_error(exc):
    for problem in getattr(exc, "problems", []):
        click.echo(str(problem), err=True)
    click.echo(f"error: {exc}", err=True)
