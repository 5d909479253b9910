"""dashboard: one-time sign-in links, sessions, failed sign-ins, and the narratives' page index

Links and sessions keep only hashes of their tokens, so a copy of the database signs nobody in.

Revision ID: 0006_dashboard
Revises: 0005_matrix_truth
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_dashboard'
down_revision: str | None = '0005_matrix_truth'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dashboard_links',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_dashboard_links'))
    )
    with op.batch_alter_table('dashboard_links', schema=None) as batch_op:
        batch_op.create_index('ix_dashboard_links_expires_at', ['expires_at'], unique=False)
    op.create_table('dashboard_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_dashboard_sessions'))
    )
    with op.batch_alter_table('dashboard_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_dashboard_sessions_telegram_user_id', ['telegram_user_id'], unique=False)
        batch_op.create_index('ix_dashboard_sessions_last_seen_at', ['last_seen_at'], unique=False)
    op.create_table('dashboard_sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_sign_in_failures'))
    )
    with op.batch_alter_table('dashboard_sign_in_failures', schema=None) as batch_op:
        batch_op.create_index('ix_dashboard_sign_in_failures_source_at', ['source', 'at'], unique=False)
    with op.batch_alter_table('narratives', schema=None) as batch_op:
        batch_op.create_index('ix_narratives_community_id_answered_at',
                              ['community_id', 'answered_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('narratives', schema=None) as batch_op:
        batch_op.drop_index('ix_narratives_community_id_answered_at')
    with op.batch_alter_table('dashboard_sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_dashboard_sign_in_failures_source_at')
    op.drop_table('dashboard_sign_in_failures')
    with op.batch_alter_table('dashboard_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_dashboard_sessions_last_seen_at')
        batch_op.drop_index('ix_dashboard_sessions_telegram_user_id')
    op.drop_table('dashboard_sessions')
    with op.batch_alter_table('dashboard_links', schema=None) as batch_op:
        batch_op.drop_index('ix_dashboard_links_expires_at')
    op.drop_table('dashboard_links')
