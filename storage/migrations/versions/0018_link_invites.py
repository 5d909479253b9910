"""link invites: a personal link may invite its member into a community

A member made for the browser (no Telegram, perhaps no email yet) has no membership until they
agree to the participant information; the link they are given names the community it invites
them to (member_links.community_id), and opening it shows that community's information.

Revision ID: 0018_link_invites
Revises: 0017_web_and_email
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018_link_invites'
down_revision: str | None = '0017_web_and_email'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nothing refers to member_links: rebuilding it on SQLite takes no other table's rows.
    with op.batch_alter_table('member_links') as batch_op:
        batch_op.add_column(sa.Column('community_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_member_links_community_id_communities'),
                                    'communities', ['community_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('member_links') as batch_op:
        batch_op.drop_constraint(op.f('fk_member_links_community_id_communities'),
                                 type_='foreignkey')
        batch_op.drop_column('community_id')
