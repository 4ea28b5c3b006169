"""gap_clusters, gap_questions and gap_marks: the gap finder's saved state

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gap_clusters',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('anchor', sa.String(length=200), nullable=True),
    sa.Column('suggested', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=True),
    sa.Column('article', sa.String(length=200), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('nearest_article', sa.String(length=200), nullable=True),
    sa.Column('nearest_similarity', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=80), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'dismissed', 'drafted', 'accepted')", name=op.f('ck_gap_clusters_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gap_clusters'))
    )
    op.create_table('gap_marks',
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('seen_until', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_gap_marks'))
    )
    op.create_table('gap_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('ref', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=2), nullable=True),
    sa.Column('asked_at', sa.DateTime(), nullable=False),
    sa.Column('visitor', sa.String(length=80), nullable=False),
    sa.Column('no_match', sa.Boolean(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('vote', sa.String(length=12), nullable=True),
    sa.Column('ticket', sa.Integer(), nullable=True),
    sa.Column('solved_with', sa.String(length=200), nullable=True),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('folded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("source IN ('question', 'ticket')", name=op.f('ck_gap_questions_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gap_questions')),
    sa.UniqueConstraint('source', 'ref', name=op.f('uq_gap_questions_source_ref'))
    )
    with op.batch_alter_table('gap_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gap_questions_asked_at'), ['asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_gap_questions_cluster_id'), ['cluster_id'], unique=False)



def downgrade():
    with op.batch_alter_table('gap_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gap_questions_cluster_id'))
        batch_op.drop_index(batch_op.f('ix_gap_questions_asked_at'))

    op.drop_table('gap_questions')
    op.drop_table('gap_marks')
    op.drop_table('gap_clusters')
