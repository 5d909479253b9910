"""email invitations: a convener's invitation of a member by email, and its email's way out

One row per member and community invited (the link in the email names the community, as
0018_link_invites lets it), carrying the invitation email's claim as a scheduled message's
(due, claimed, sending, then how it went), so it goes exactly once whatever stops on the way.
No address here: it stays in member_emails.

Revision ID: 0020_email_invitations
Revises: 0019_owed_replies
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020_email_invitations'
down_revision: str | None = '0019_owed_replies'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('claimed_by', sa.String(length=100), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('wire_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE',
                                name=op.f('fk_invitations_member_id_members')),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], ondelete='CASCADE',
                                name=op.f('fk_invitations_community_id_communities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
        sa.UniqueConstraint('member_id', 'community_id',
                            name=op.f('uq_invitations_member_id_community_id')),
    )
    op.create_index(op.f('ix_invitations_status'), 'invitations', ['status'])


def downgrade() -> None:
    op.drop_index(op.f('ix_invitations_status'), table_name='invitations')
    op.drop_table('invitations')
