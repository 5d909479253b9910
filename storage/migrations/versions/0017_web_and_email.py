"""web and email: members without Telegram, their personal links, addresses and joins by email

A member may have no Telegram (telegram_user_id and chat_id may be NULL) and says where they are
asked (members.channel: telegram or email). A member's personal link to answer in the browser is
kept only as the SHA-256 of its token; a member's email address is contact data only; someone
joining by email waits in email_joins until they confirm. A narrative says where it was told
(narratives.channel), for the exports' `channel` column.

On SQLite, making the columns nullable rebuilds the members table, which many tables refer to:
storage.db runs migrations with foreign keys off (outside the transaction, as SQLite's procedure
for changing a table says) and checks them before committing, so no child row goes with the old
table. Going back does not rebuild it: the columns stay nullable (making them required again
would mean dropping the members who have no Telegram, with their stories).

Revision ID: 0017_web_and_email
Revises: 0016_featured_stories
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017_web_and_email'
down_revision: str | None = '0016_featured_stories'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table('members', recreate='auto') as batch_op:
        batch_op.alter_column('telegram_user_id', existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column('chat_id', existing_type=sa.BigInteger(), nullable=True)
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False,
                                      server_default='telegram'))
    op.add_column('narratives', sa.Column('channel', sa.String(length=16), nullable=False,
                                          server_default='telegram'))
    op.create_table(
        'member_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        _at('created_at'),
        _at('revoked_at', nullable=True),
        _at('last_used_at', nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE',
                                name=op.f('fk_member_links_member_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_member_links_token_hash')),
    )
    op.create_index(op.f('ix_member_links_member_id'), 'member_links', ['member_id'])
    op.create_table(
        'member_emails',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=320), nullable=False),
        _at('confirmed_at', nullable=True),
        _at('unsubscribed_at', nullable=True),
        _at('unreachable_at', nullable=True),
        _at('created_at'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE',
                                name=op.f('fk_member_emails_member_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_emails')),
        sa.UniqueConstraint('member_id', name=op.f('uq_member_emails_member_id')),
    )
    op.create_index('uq_member_emails_address_lower', 'member_emails',
                    [sa.text('lower(address)')], unique=True)
    op.create_table(
        'email_joins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=320), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False, server_default='en'),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        _at('expires_at'),
        _at('created_at'),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], ondelete='CASCADE',
                                name=op.f('fk_email_joins_community_id_communities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_email_joins')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_email_joins_code_hash')),
    )
    op.create_index(op.f('ix_email_joins_expires_at'), 'email_joins', ['expires_at'])


def downgrade() -> None:
    op.drop_table('email_joins')
    op.drop_table('member_emails')
    op.drop_table('member_links')
    # Plain DROP COLUMNs: no table others refer to is rebuilt on the way back.
    op.execute('ALTER TABLE narratives DROP COLUMN channel')
    op.execute('ALTER TABLE members DROP COLUMN channel')
