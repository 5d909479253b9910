"""on the wire: a delivery says when its request was about to be written to Telegram

A claim that never reached that point did not leave its process and is sent again after a crash;
only one that did may be in doubt.

Revision ID: 0009_on_the_wire
Revises: 0008_plans
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_on_the_wire'
down_revision: str | None = '0008_plans'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('deliveries', sa.Column('wire_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute('ALTER TABLE deliveries DROP COLUMN wire_at')
