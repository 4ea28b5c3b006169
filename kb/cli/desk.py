"""`kb db`, `kb operators`, `kb tokens`, `kb tickets`, `kb report`: the ticket desk from the shell."""
from __future__ import annotations

import click

from kb.cli.common import database_of, desk_of, echo_json, fail, user_errors, when


@click.group()
def db():
    """The ticket database (KB_DATABASE_URL; SQLite in instance/ by default)."""


@db.command("upgrade")
@click.pass_context
@user_errors
def db_upgrade(ctx):
    """Create the tables or bring them to the newest schema (the server also does it at start)."""
    database = database_of(ctx)
    click.echo(f"database {database.url.render_as_string(hide_password=True)} is up to date")


@click.group()
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
@user_errors
def operators_add(ctx, login, name, tier, role, seniority, password):
    """Add an operator (the first one added becomes the admin)."""
    from kb.desk.operators import add_operator

    added = add_operator(database_of(ctx), login, name, password, tier=tier, role=role, seniority=seniority)
    click.echo(f"added {added['login']} ({added['name']}): {added['role']}, tier {added['tier']}")


@operators.command("list")
@click.pass_context
@user_errors
def operators_list(ctx):
    """List operators."""
    from kb.desk.operators import list_operators

    for o in list_operators(database_of(ctx)):
        click.echo(f"{o['login']:<16} {o['name']:<24} tier {o['tier']}  {o['role']:<8} "
                   f"seniority {o['seniority']}{'' if o['active'] else '  (inactive)'}")


PROMPT = "\0prompt"  # `--password` given without a value: ask for it, hidden


@operators.command("set")
@click.argument("login")
@click.option("--name", help="A new full name.")
@click.option("--role", type=click.Choice(["operator", "editor", "lead", "admin"]))
@click.option("--tier", type=click.IntRange(1, 3))
@click.option("--active/--inactive", default=None, help="Reactivate, or deactivate (their sessions end).")
@click.option("--password", is_flag=False, flag_value=PROMPT, default=None,
              help="A new password (their other sessions end); without a value it is asked for, hidden.")
@click.pass_context
@user_errors
def operators_set(ctx, login, name, role, tier, active, password):
    """Change an operator: name, role, tier, active, password."""
    from kb.desk.operators import update_operator

    if password == PROMPT:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    changes = {k: v for k, v in (("name", name), ("role", role), ("tier", tier), ("active", active),
                                 ("password", password)) if v is not None}
    if not changes:
        fail("nothing to change: give --name, --role, --tier, --active/--inactive or --password", 2)
    o = update_operator(database_of(ctx), login, **changes)
    click.echo(f"{o['login']} ({o['name']}): {o['role']}, tier {o['tier']}, {'active' if o['active'] else 'inactive'}"
               + ("; password changed, other sessions ended" if password is not None else ""))


@click.group("tokens")
def tokens_group():
    """API tokens for programs that call the JSON API (shown once; revocable)."""


@tokens_group.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["operator", "editor", "lead", "admin"]),
              help="What the token may do: operator, lead and admin tokens also get operators' notes.")
@click.pass_context
@user_errors
def tokens_create(ctx, name, role):
    """Create a token. It is printed once, on its own line: keep it now."""
    from kb.desk.tokens import create_token

    token, record = create_token(database_of(ctx), name, role)
    click.echo(f"created token {record['id']} ({record['name']}, {record['role']}); it is shown only now:", err=True)
    click.echo(token)


@tokens_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@user_errors
def tokens_list(ctx, as_json):
    """List tokens, newest first (never the tokens themselves: only their first characters)."""
    from kb.desk.tokens import list_tokens

    found = list_tokens(database_of(ctx))
    if as_json:
        return echo_json(found)
    for t in found:
        state = f"revoked {when(t['revoked_at'])}" if t["revoked_at"] else "in use"
        click.echo(f"{t['id']:>4}  {t['prefix']}…  {t['role']:<8} {t['name'][:30]:<30} by {t['created_by'] or '-':<12} "
                   f"created {when(t['created_at'])}  last used {when(t['last_used_at'])}  {state}")
    if not found:
        click.echo("no tokens")


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
@user_errors
def tokens_revoke(ctx, token_id):
    """Revoke a token by its id (`kb tokens list`): calls with it are refused (401) from now on."""
    from kb.desk.tokens import revoke_token

    t = revoke_token(database_of(ctx), token_id)
    click.echo(f"token {t['id']} ({t['name']}) revoked")


@click.group()
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
@user_errors
def tickets_list(ctx, status, tier, owner, as_json):
    """List tickets, oldest first."""
    found = desk_of(ctx).list_tickets(status=status, tier=tier, owner=owner)
    if as_json:
        return echo_json(found)
    for t in found:
        click.echo(f"#{t['number']:<5} {t['status']:<8} tier {t['tier']}  {t['channel']:<6} "
                   f"owner {t['owner'] or '-':<12} due {when(t['due_at'])}  {t['question'][:60]}")
    if not found:
        click.echo("no tickets")


@tickets.command("show")
@click.argument("number", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@user_errors
def tickets_show(ctx, number, as_json):
    """One ticket with its whole history."""
    t = desk_of(ctx).show(number)
    if as_json:
        return echo_json(t)
    customer = t["customer"]
    click.echo(f"#{t['number']} {t['status']} · tier {t['tier']} · {t['channel']} · {t['language']} · "
               f"owner {t['owner'] or '-'}")
    click.echo(f"customer: {customer['name'] or '-'} {customer['email'] or ''} {customer['phone'] or ''}".rstrip())
    click.echo(f"question: {t['question']}")
    if t["details"]:
        click.echo(f"details: {t['details']}")
    click.echo(f"first response due {when(t['first_response_due'])}, given {when(t['first_response_at'])}; "
               f"solution due {when(t['due_at'])}" + (f"; FLAGGED for leads {when(t['flagged_at'])}"
                                                       if t["flagged_at"] else ""))
    if t["answer"] or t["article_id"]:
        click.echo(f"answer: {t['answer'] or ''} {('[' + t['article_id'] + ']') if t['article_id'] else ''}".rstrip())
    click.echo("history:")
    for e in t["events"]:
        who = e["operator"] or e["actor"]
        click.echo(f"  {when(e['at'])}  {e['kind']:<10} tier {e['tier']}  {who}{'  LATE' if e['late'] else ''}"
                   + "".join(f"  {key}={value}" for key, value in e["params"].items())
                   + (f"  {e['note']}" if e["note"] else ""))


@tickets.command("take")
@click.argument("number", type=int)
@_operator_option
@click.pass_context
@user_errors
def tickets_take(ctx, number, login):
    """Take an unowned ticket."""
    t = desk_of(ctx).take(number, login)
    click.echo(f"#{t['number']} is yours, {t['owner']}; solution due {when(t['due_at'])}")


@tickets.command("pass")
@click.argument("number", type=int)
@_operator_option
@click.option("--note", required=True, help="What was tried and why it goes up (required).")
@click.pass_context
@user_errors
def tickets_pass(ctx, number, login, note):
    """Pass your ticket on to the next tier."""
    t = desk_of(ctx).pass_on(number, login, note)
    click.echo(f"#{t['number']} passed on to tier {t['tier']}" + (f", assigned to {t['owner']}" if t["owner"] else ""))


@tickets.command("solve")
@click.argument("number", type=int)
@_operator_option
@click.option("--answer", help="The answer sent to the customer.")
@click.option("--article", "article_id", help="The id of the article that answers it.")
@click.pass_context
@user_errors
def tickets_solve(ctx, number, login, answer, article_id):
    """Solve your ticket with an answer and/or an article."""
    t = desk_of(ctx).solve(number, login, answer=answer, article_id=article_id)
    click.echo(f"#{t['number']} solved")


@tickets.command("comment")
@click.argument("number", type=int)
@_operator_option
@click.option("--note", required=True, help="The message to the customer.")
@click.option("--waiting", is_flag=True, help="Now waiting for the customer's reply.")
@click.pass_context
@user_errors
def tickets_comment(ctx, number, login, note, waiting):
    """Write to the customer on your ticket (the first message is the first response)."""
    t = desk_of(ctx).comment(number, login, note, waiting=waiting)
    click.echo(f"#{t['number']} {t['status']}")


@tickets.command("escalate")
@click.pass_context
@user_errors
def tickets_escalate(ctx):
    """Move overdue tickets up a tier (flag them at tier 3). Safe to run every minute."""
    moved = desk_of(ctx).escalate_overdue()
    for t in moved:
        outcome = "flagged for the leads" if t["flagged_at"] else f"moved to tier {t['tier']}"
        click.echo(f"#{t['number']}: {t['reason']}: {outcome}")
    click.echo(f"{len(moved)} ticket(s) escalated")


@click.command()
@click.option("--month", required=True, help="The month, like 2025-03 (UTC).")
@click.option("--csv", "as_csv", is_flag=True, help="CSV: one row per operator, tier and channel.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@user_errors
def report(ctx, month, as_csv, as_json):
    """The month's tickets per operator, tier and channel: solved, passed on, escalated, breaches."""
    from kb.desk.reports import COLUMNS, monthly_report, report_csv

    figures = monthly_report(database_of(ctx), month)
    if as_csv:
        return click.echo(report_csv(figures), nl=False)
    if as_json:
        return echo_json(figures)
    short = ("received", "solved", "passed", "escal.", "breach", "1st resp min", "solve h", "rating")
    for group, key in (("operators", "login"), ("tiers", "tier"), ("channels", "channel")):
        click.echo(f"{group} ({month})")
        click.echo(f"  {key:<14}" + "".join(f"{h:>13}" for h in short))
        for row in figures[group]:
            click.echo(f"  {str(row[key]):<14}" + "".join(f"{'-' if row[c] is None else row[c]:>13}" for c in COLUMNS))
