"""questions and question_days: every question asked (masked), and the daily counts kept after retention

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visitor', sa.String(length=80), nullable=False),
    sa.Column('qid', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=2), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('asked_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('no_match', sa.Boolean(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('opened', sa.String(length=200), nullable=True),
    sa.Column('opened_pos', sa.Integer(), nullable=True),
    sa.Column('vote', sa.Boolean(), nullable=True),
    sa.Column('ticket', sa.Integer(), nullable=True),
    sa.CheckConstraint("source IN ('help', 'console', 'api')", name=op.f('ck_questions_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
    sa.UniqueConstraint('visitor', 'qid', name=op.f('uq_questions_visitor_qid'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_asked_at'), ['asked_at'], unique=False)
    op.create_table('question_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('asked', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('no_match', sa.Integer(), nullable=False),
    sa.Column('opened', sa.Integer(), nullable=False),
    sa.Column('helpful', sa.Integer(), nullable=False),
    sa.Column('not_helpful', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'source', 'lang', name=op.f('pk_question_days'))
    )


def downgrade():
    op.drop_table('question_days')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_asked_at'))
    op.drop_table('questions')
