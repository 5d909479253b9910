"""held message: what a member sent after Later, kept until they say whether it is their answer

Revision ID: 0004_held_message
Revises: 0003_conveners
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_held_message'
down_revision: str | None = '0003_conveners'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_message', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.drop_column('held_message')
