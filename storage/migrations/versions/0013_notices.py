"""notices: the digest and retention notices are claimed before they are sent, as prompts are

Each convener's copy is a row that goes due, claimed, on the wire, and sent (or failed); after a
crash, what never left is sent again and what may have arrived is sent once more as "in case".

Revision ID: 0013_notices
Revises: 0012_coding
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013_notices'
down_revision: str | None = '0012_coding'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.String(length=40), nullable=False),
        sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('again', sa.Boolean(), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('wire_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name=op.f('fk_notices_community_id_communities'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
        sa.UniqueConstraint('kind', 'community_id', 'round', 'telegram_user_id',
                            name='uq_notices_once_per_person'),
    )
    op.create_index('ix_notices_status', 'notices', ['status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_notices_status', table_name='notices')
    op.drop_table('notices')
