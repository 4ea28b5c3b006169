"""questions.network and gap_questions.network: the asker's address, hashed with the secret, so that
the gap finder counts people by more than a browser cookie

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 02:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs, nullable: rows from before have no address and count by their visitor.
    op.add_column('questions', sa.Column('network', sa.String(length=32), nullable=True))
    op.add_column('gap_questions', sa.Column('network', sa.String(length=32), nullable=True))


def downgrade():
    op.drop_column('gap_questions', 'network')
    op.drop_column('questions', 'network')
