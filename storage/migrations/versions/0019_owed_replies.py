"""owed replies: what the bot owes a member for an update it handled, until Telegram takes it

Written in the unit of work that stores what the member sent, deleted once the reply is sent, so
a process stopped while Telegram is away sends it after the restart.

Revision ID: 0019_owed_replies
Revises: 0018_link_invites
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019_owed_replies'
down_revision: str | None = '0018_link_invites'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'owed_replies',
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('owed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('update_id', 'seq', name=op.f('pk_owed_replies')),
    )


def downgrade() -> None:
    op.drop_table('owed_replies')
