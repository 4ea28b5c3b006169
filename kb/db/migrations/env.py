"""Alembic environment: run by kb.db.engine.Database.upgrade() (or `kb db upgrade`), never by hand."""
from alembic import context
from sqlalchemy import create_engine

import kb.analytics.tables  # noqa: F401
import kb.desk.tables  # noqa: F401  (every part's tables, so the metadata holds them all)
import kb.gaps.tables  # noqa: F401
from kb.db.engine import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online():
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with create_engine(config.get_main_option("sqlalchemy.url")).begin() as connection:
        _run(connection)


def _run(connection):
    # Batch mode lets later migrations alter tables on SQLite, which has little ALTER TABLE.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `kb db upgrade`")
run_migrations_online()
