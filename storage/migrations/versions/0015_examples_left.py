"""examples left: the example indicators a community chose not to use

A community adopts the example indicators that fit and leaves the rest; a left example is no
longer offered on its matrix page (it can still be adopted from the list of those left).

Revision ID: 0015_examples_left
Revises: 0014_checks
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_examples_left'
down_revision: str | None = '0014_checks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'indicator_examples_left',
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('example', sa.String(length=32), nullable=False),
        sa.Column('left_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name=op.f('fk_indicator_examples_left_community_id_communities'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('community_id', 'example',
                                name=op.f('pk_indicator_examples_left')),
    )


def downgrade() -> None:
    op.drop_table('indicator_examples_left')
