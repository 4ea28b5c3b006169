"""operators.session_generation: signing out (or being deactivated) ends the operator's sessions on the server

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 02:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN with a server default: existing operators start at generation 0, so their
    # sessions change id once (they sign in again after the upgrade).
    op.add_column('operators', sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('operators', 'session_generation')
