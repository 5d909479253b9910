"""conveners: dialogue drafts and the indexes the Value Creation Matrix reads

Revision ID: 0003_conveners
Revises: 0001
Create Date: 2026-11-26
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_conveners'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('convener_drafts',
    sa.Column('telegram_user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_convener_drafts_community_id_communities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('telegram_user_id', name=op.f('pk_convener_drafts'))
    )
    with op.batch_alter_table('narratives', schema=None) as batch_op:
        batch_op.create_index('ix_narratives_matrix_members', ['community_id', 'cycle', 'member_id', 'answered_at'], unique=False)
        batch_op.create_index('ix_narratives_matrix_recent', ['community_id', 'cycle', 'answered_at'], unique=False)
        batch_op.create_index('ix_narratives_matrix_stories', ['community_id', 'cycle', 'story_id', 'answered_at'], unique=False)
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.create_index('ix_prompts_matrix', ['community_id', 'status', 'attended', 'opened_at'], unique=False)
        batch_op.create_index('ix_prompts_event_id', ['event_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.drop_index('ix_prompts_event_id')
        batch_op.drop_index('ix_prompts_matrix')
    with op.batch_alter_table('narratives', schema=None) as batch_op:
        batch_op.drop_index('ix_narratives_matrix_stories')
        batch_op.drop_index('ix_narratives_matrix_recent')
        batch_op.drop_index('ix_narratives_matrix_members')
    op.drop_table('convener_drafts')
