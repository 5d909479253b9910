"""indicators: value indicators, the narratives that back them, and who changed them

A community's matrix holds value indicators: short statements under one cycle ("It's a safe
space to ask questions"), each backed by narratives as its evidence. The number of narratives,
stories and members behind one is never stored: it is read from its links, and a link goes with
its narrative (ON DELETE CASCADE), so a withdrawal changes the counts at once. Every change to an
indicator is kept in indicator_changes, with a label for who made it, never a Telegram id.

Revision ID: 0011_indicators
Revises: 0010_voice_attempts
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_indicators'
down_revision: str | None = '0010_voice_attempts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'indicators',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('cycle', sa.String(length=16), nullable=False),
        sa.Column('capital', sa.String(length=16), nullable=True),
        sa.Column('statement', sa.Text(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('merged_into_id', sa.Integer(), nullable=True),
        sa.Column('suggestion', sa.String(length=32), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name=op.f('fk_indicators_community_id_communities'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['merged_into_id'], ['indicators.id'],
                                name=op.f('fk_indicators_merged_into_id_indicators'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators')),
    )
    op.create_index('ix_indicators_community_id_status_cycle', 'indicators',
                    ['community_id', 'status', 'cycle', 'position'], unique=False)
    op.create_table(
        'indicator_evidence',
        sa.Column('indicator_id', sa.Integer(), nullable=False),
        sa.Column('narrative_id', sa.Integer(), nullable=False),
        sa.Column('quoted', sa.Boolean(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'],
                                name=op.f('fk_indicator_evidence_indicator_id_indicators'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['narrative_id'], ['narratives.id'],
                                name=op.f('fk_indicator_evidence_narrative_id_narratives'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('indicator_id', 'narrative_id',
                                name=op.f('pk_indicator_evidence')),
    )
    # Counting by indicator reads the primary key; this finds a narrative's links (the cascade
    # on a withdrawal, "which indicators does this back").
    op.create_index('ix_indicator_evidence_narrative_id', 'indicator_evidence', ['narrative_id'],
                    unique=False)
    op.create_table(
        'indicator_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('indicator_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'],
                                name=op.f('fk_indicator_changes_indicator_id_indicators'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_changes')),
    )
    op.create_index('ix_indicator_changes_indicator_id_at', 'indicator_changes',
                    ['indicator_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_indicator_changes_indicator_id_at', table_name='indicator_changes')
    op.drop_table('indicator_changes')
    op.drop_index('ix_indicator_evidence_narrative_id', table_name='indicator_evidence')
    op.drop_table('indicator_evidence')
    op.drop_index('ix_indicators_community_id_status_cycle', table_name='indicators')
    op.drop_table('indicators')
