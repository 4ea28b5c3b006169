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
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_digest', sa.String(length=64), nullable=True))
    tickets = sa.table('tickets', sa.column('id', sa.Integer), sa.column('token', sa.String),
                       sa.column('token_digest', sa.String))
    bind = op.get_bind()
    for ticket_id, token in bind.execute(sa.select(tickets.c.id, tickets.c.token)).all():
        bind.execute(tickets.update().where(tickets.c.id == ticket_id)
                     .values(token_digest=hashlib.sha256(token.encode('utf-8')).hexdigest()))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_tickets_token_digest'), ['token_digest'])


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_tickets_token_digest'), type_='unique')
        batch_op.drop_column('token_digest')
