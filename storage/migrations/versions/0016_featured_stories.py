"""featured stories: the stories a convener or researcher chose for the community's report

One row per chosen story (its id only, never its words), with who chose it and when; the report
traces these across cycles, or the furthest-reaching stories when none is chosen.

Revision ID: 0016_featured_stories
Revises: 0015_examples_left
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016_featured_stories'
down_revision: str | None = '0015_examples_left'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'featured_stories',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('story_id', sa.String(length=36), nullable=False),
        sa.Column('chosen_by', sa.BigInteger(), nullable=False),
        sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], ondelete='CASCADE',
                                name=op.f('fk_featured_stories_community_id_communities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_featured_stories')),
        sa.UniqueConstraint('community_id', 'story_id',
                            name=op.f('uq_featured_stories_community_id_story_id')),
    )


def downgrade() -> None:
    op.drop_table('featured_stories')
