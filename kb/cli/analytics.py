"""`kb analytics`: where customers struggle, the figures of the leads' questions page in the shell."""
from __future__ import annotations

import json

import click

from kb.cli.common import services_of, user_errors


def _pct(value) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


@click.command("analytics")
@click.option("--from", "since", metavar="DATE", help="First day, YYYY-MM-DD [default: 30 days up to --to].")
@click.option("--to", "until", metavar="DATE", help="Last day, YYYY-MM-DD, included [default: today, UTC].")
@click.option("--json", "as_json", is_flag=True, help="The whole report as one JSON object.")
@click.pass_context
@user_errors
def analytics(ctx, since, until, as_json):
    """Questions per day and source, answered share, no-match rate, click-through, top and unanswered
    questions, the weakest articles, tickets per day and tier."""
    from kb.app.insights import date_range, insights

    start, end = date_range(since, until)
    kept = services_of(ctx)
    report = insights(kept.database, start, end, log=kept.questions, votes=kept.votes)
    if as_json:
        from kb.desk.shapes import jsonable

        click.echo(json.dumps(jsonable(report), ensure_ascii=False, indent=2, default=lambda d: d.isoformat()))
        return
    t = report["totals"]
    click.echo(f"{start} .. {end}: {t['asked']} questions ({report['distinct_questions']} different), "
               f"answered {_pct(t['answered_share'])}, no match {_pct(t['no_match_rate'])}, "
               f"click-through {_pct(t['click_through'])}, helpful {_pct(t['helpful_share'])}, "
               f"{report['tickets']['total']} tickets")
    click.echo("by source: " + ", ".join(f"{k} {v}" for k, v in report["sources"].items()))
    for title, rows in (("top questions", report["top_questions"]), ("top unanswered", report["top_unanswered"])):
        click.echo(f"\n{title}:")
        for q in rows:
            click.echo(f"  {q['asked']:>5}  {q['text']}")
        if not rows:
            click.echo("  -")
    click.echo("\nweakest articles (not helpful, tickets after, helpful share):")
    for a in report["weakest"]:
        click.echo(f"  {a['not_helpful']:>5} {a['tickets']:>5} {_pct(a['helpful_share']):>7}  {a['article_id']}"
                   + (f"  <- {' | '.join(a['questions'][:3])}" if a["questions"] else ""))
    if not report["weakest"]:
        click.echo("  -")
    click.echo("\ntickets per tier: " + ", ".join(f"tier {k} {v}" for k, v in report["tickets"]["tiers"].items()))
