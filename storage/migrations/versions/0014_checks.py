"""checks: members check the matrix's value indicators

A convener shares the community's current indicators and every member who can be asked gets
them to check, statement by statement: Rings true, Not for me or Skip, and a sentence if they
like. `checks` is one member's check (planned at the share, sent by the scheduler, answered,
closed after the community's window); `check_answers` one statement in it and what was said.

A check is sent with the same guarantees as a prompt: `deliveries` now carries either a
prompt's message or a check (`check_id`), claimed before it is sent, so it is never sent twice.
A check is not about an event, so it is no prompt, and no participation figure counts it.

Revision ID: 0014_checks
Revises: 0013_notices
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_checks'
down_revision: str | None = '0013_notices'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('waiting_id', sa.Integer(), nullable=True),
    sa.Column('shared_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                            name=op.f('fk_checks_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                            name=op.f('fk_checks_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checks'))
    )
    op.create_index('ix_checks_status_due_at', 'checks', ['status', 'due_at'])
    op.create_index('ix_checks_member_id_status', 'checks', ['member_id', 'status'])
    op.create_index('ix_checks_community_id_status', 'checks', ['community_id', 'status'])
    op.create_table('check_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sentence', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['check_id'], ['checks.id'],
                            name=op.f('fk_check_answers_check_id_checks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'],
                            name=op.f('fk_check_answers_indicator_id_indicators'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_answers')),
    sa.UniqueConstraint('check_id', 'indicator_id',
                        name=op.f('uq_check_answers_check_id_indicator_id'))
    )
    op.create_index('ix_check_answers_indicator_id', 'check_answers', ['indicator_id'])
    # On SQLite the table is copied (nothing refers to deliveries, and it has no triggers).
    with op.batch_alter_table('deliveries') as batch:
        batch.alter_column('prompt_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('check_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_deliveries_check_id_checks'), 'checks', ['check_id'],
                                 ['id'], ondelete='CASCADE')
        batch.create_unique_constraint(op.f('uq_deliveries_check_id_purpose'),
                                       ['check_id', 'purpose'])
        batch.create_check_constraint('one_target', '(prompt_id IS NULL) <> (check_id IS NULL)')
        batch.create_index('ix_deliveries_check_id', ['check_id'])


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE check_id IS NOT NULL")
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_index('ix_deliveries_check_id')
        batch.drop_constraint(op.f('ck_deliveries_one_target'), type_='check')
        batch.drop_constraint(op.f('uq_deliveries_check_id_purpose'), type_='unique')
        batch.drop_constraint(op.f('fk_deliveries_check_id_checks'), type_='foreignkey')
        batch.drop_column('check_id')
        batch.alter_column('prompt_id', existing_type=sa.Integer(), nullable=False)
    op.drop_table('check_answers')
    op.drop_table('checks')
