"""tickets.token_digest: status links are looked up by the token's SHA-256, never by the secret itself

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:45:00
"""
import hashlib

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN and a unique index: no table rebuild, which SQLite would refuse on the way
    # back while ticket_events point at the tickets.
    op.add_column('tickets', sa.Column('token_digest', sa.String(length=64), nullable=True))
    tickets = sa.table('tickets', sa.column('id', sa.Integer), sa.column('token', sa.String),
                       sa.column('token_digest', sa.String))
    bind = op.get_bind()
    for ticket_id, token in bind.execute(sa.select(tickets.c.id, tickets.c.token)).all():
        bind.execute(tickets.update().where(tickets.c.id == ticket_id)
                     .values(token_digest=hashlib.sha256(token.encode('utf-8')).hexdigest()))
    op.create_index(op.f('ix_tickets_token_digest'), 'tickets', ['token_digest'], unique=True)


def downgrade():
    op.drop_index(op.f('ix_tickets_token_digest'), table_name='tickets')
    op.drop_column('tickets', 'token_digest')
