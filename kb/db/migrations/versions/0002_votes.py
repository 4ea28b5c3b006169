"""votes: "Was this helpful?" on the help centre's articles, with the question that led there

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 22:08:12.714388
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.String(length=200), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('lang', sa.String(length=2), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("source IN ('help', 'console', 'api')", name=op.f('ck_votes_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votes'))
    )
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_votes_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_votes_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_votes_created_at'))
        batch_op.drop_index(batch_op.f('ix_votes_article_id'))

    op.drop_table('votes')
