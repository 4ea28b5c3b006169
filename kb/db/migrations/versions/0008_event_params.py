"""ticket_events.params: what the desk did, as a kind's parameters, so each reader sees it in their language

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 02:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Older rows keep their English note and no parameters: the pages show that note as written.
    op.add_column('ticket_events', sa.Column('params', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('ticket_events', 'params')
