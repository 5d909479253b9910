"""voice attempts: a voice note counts the claims taken on it

A note whose every hearing kills the process (or its speech worker) is given up after two tries,
and its member asked to type, instead of being tried for ever.

Revision ID: 0010_voice_attempts
Revises: 0009_on_the_wire
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_voice_attempts'
down_revision: str | None = '0009_on_the_wire'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('voice_notes', sa.Column('attempts', sa.Integer(), nullable=False,
                                           server_default='0'))


def downgrade() -> None:
    op.execute('ALTER TABLE voice_notes DROP COLUMN attempts')
