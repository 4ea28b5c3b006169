"""`kb serve` and `kb config`: running the service and seeing how it is set up."""
from __future__ import annotations

import click

from kb.cli.common import services_of, settings_of


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Threads per process.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes (gunicorn); 1 serves in this process with waitress.")
@click.pass_context
def serve(ctx, host, port, threads, workers):
    """Serve the web app and JSON API with waitress (scheduled jobs run in `kb worker`)."""
    from waitress import serve as waitress_serve

    from kb.config import secret_key
    from webapp import create_app

    settings = settings_of(ctx)
    if workers > 1:
        from kb.cli.workers import serve_workers

        key = secret_key(settings)  # one key for all: a session signed by one worker is read by another
        if settings.redis_url is None:
            click.echo(f"warning: without KB_REDIS_URL each of the {workers} processes keeps its own rate-limit "
                       f"counts, the failed-login lock-out too: every limit is {workers} times looser", err=True)

        def build_app():  # in each worker, after the fork (kb/cli/workers.py says why)
            from kb.services import Services

            services = Services(settings)
            services.warm_up(log=lambda line: click.echo(line, err=True))
            return create_app(settings, {"SECRET_KEY": key}, services=services)

        click.echo(f"serving on http://{host}:{port}/ with {workers} processes of {threads} threads "
                   f"(index {settings.index_dir}); run `kb worker` for the scheduled jobs")
        serve_workers(build_app, host=host, port=port, workers=workers, threads=threads)
        return
    services = services_of(ctx)
    services.warm_up(log=lambda line: click.echo(line, err=True))  # models and database before the first customer
    app = create_app(settings, {"SECRET_KEY": secret_key(settings)}, services=services)
    click.echo(f"serving on http://{host}:{port}/ (index {settings.index_dir}); run `kb worker` for escalations")
    import signal
    import sys

    # SIGTERM ends the process as Ctrl-C does, through the exit handlers: the query log writes what it has queued.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    waitress_serve(app, host=host, port=port, threads=threads)


@click.command("config")
@click.pass_context
def config_command(ctx):
    """Print the effective settings (secrets masked), each with its variable and what it does."""
    for name, value, help_text in settings_of(ctx).effective():
        click.echo(f"{name}={value}")
        click.echo(f"    # {help_text}")
