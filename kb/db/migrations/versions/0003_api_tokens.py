"""api_tokens: keys for integrations, each with a role; only the SHA-256 of a token is stored

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 02:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("role IN ('operator', 'editor', 'lead', 'admin')", name=op.f('ck_api_tokens_role')),
    sa.ForeignKeyConstraint(['created_by_id'], ['operators.id'], name=op.f('fk_api_tokens_created_by_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('digest', name=op.f('uq_api_tokens_digest'))
    )


def downgrade():
    op.drop_table('api_tokens')
