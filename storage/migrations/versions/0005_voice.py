"""voice: voice notes as answers, spoken narratives, and communities that keep recordings

Columns are added in place (no table copy), so the matrix triggers on narratives stay as they are.

Revision ID: 0007_voice
Revises: 0008_languages
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_voice'
down_revision: str | None = '0008_languages'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('communities', sa.Column('keep_audio', sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    op.add_column('narratives', sa.Column('spoken', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.create_table('voice_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('update_key', sa.String(length=80), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('prompt_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('telegram_file_id', sa.String(length=255), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('mime_type', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('transcript', sa.Text(), nullable=True),
    sa.Column('audio', sa.LargeBinary(), nullable=True),
    sa.Column('narrative_id', sa.Integer(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('transcribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_voice_notes_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_voice_notes_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['narrative_id'], ['narratives.id'], name=op.f('fk_voice_notes_narrative_id_narratives'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['prompt_id'], ['prompts.id'], name=op.f('fk_voice_notes_prompt_id_prompts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_notes')),
    sa.UniqueConstraint('update_key', name=op.f('uq_voice_notes_update_key'))
    )
    op.create_index('ix_voice_notes_member_id', 'voice_notes', ['member_id'], unique=False)
    op.create_index('ix_voice_notes_prompt_id', 'voice_notes', ['prompt_id'], unique=False)
    op.create_index('ix_voice_notes_status_claimed_at', 'voice_notes', ['status', 'claimed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_voice_notes_status_claimed_at', table_name='voice_notes')
    op.drop_index('ix_voice_notes_prompt_id', table_name='voice_notes')
    op.drop_index('ix_voice_notes_member_id', table_name='voice_notes')
    op.drop_table('voice_notes')
    # In place on PostgreSQL; SQLite 3.35 and later drops a column without copying the table.
    op.drop_column('narratives', 'spoken')
    op.drop_column('communities', 'keep_audio')
