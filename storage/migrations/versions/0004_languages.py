"""languages: each member, community, consent and narrative says which language it is in

A member is spoken to in their language; a community has one for members whose Telegram language
the bot does not speak; a consent records the language of the text agreed to, and a narrative the
language its question was asked in. Everything before this revision was English.

Columns are added in place (no table copy), so the matrix triggers on narratives stay as they are.

Revision ID: 0008_languages
Revises: 0004_held_message
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_languages'
down_revision: str | None = '0004_held_message'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('communities', 'members', 'consents', 'narratives')


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column('language', sa.String(length=16), nullable=False,
                                       server_default='en'))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35 and later) rather than batch mode, which would copy
    # narratives and lose its triggers.
    for table in reversed(TABLES):
        op.execute(f'ALTER TABLE {table} DROP COLUMN language')
