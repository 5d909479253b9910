"""coding: a codebook per community, codings by coders, what each coder has seen, coding sets

Researchers (and conveners, where the community allows it) code narratives with the community's
codes, to the whole narrative or a passage of it; agreement between coders counts only the
narratives each has seen, and a blind set hides the others' codings until a coder is done.

Revision ID: 0012_coding
Revises: 0011_indicators
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_coding'
down_revision: str | None = '0011_indicators'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.add_column('communities', sa.Column('conveners_code', sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    op.create_table(
        'coders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('telegram_user_id', sa.BigInteger(), nullable=True),
        sa.Column('label', sa.String(length=60), nullable=False),
        sa.Column('guid', sa.String(length=36), nullable=False),
        _at('created_at'),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], ondelete='CASCADE',
                                name=op.f('fk_coders_community_id_communities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coders')),
        sa.UniqueConstraint('community_id', 'label', name=op.f('uq_coders_community_id_label')),
        sa.UniqueConstraint('community_id', 'telegram_user_id',
                            name=op.f('uq_coders_community_id_telegram_user_id')),
    )
    op.create_table(
        'codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('guid', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('colour', sa.String(length=7), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('cycle', sa.String(length=16), nullable=True),
        sa.Column('capital', sa.String(length=16), nullable=True),
        _at('created_at'),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], ondelete='CASCADE',
                                name=op.f('fk_codes_community_id_communities')),
        sa.ForeignKeyConstraint(['parent_id'], ['codes.id'], ondelete='SET NULL',
                                name=op.f('fk_codes_parent_id_codes')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codes')),
        sa.UniqueConstraint('community_id', 'guid', name=op.f('uq_codes_community_id_guid')),
    )
    op.create_table(
        'codings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code_id', sa.Integer(), nullable=False),
        sa.Column('narrative_id', sa.Integer(), nullable=False),
        sa.Column('coder_id', sa.Integer(), nullable=False),
        sa.Column('start', sa.Integer(), nullable=True),
        sa.Column('end', sa.Integer(), nullable=True),
        sa.Column('guid', sa.String(length=36), nullable=False),
        _at('created_at'),
        sa.CheckConstraint('(start IS NULL AND "end" IS NULL) OR (start >= 0 AND "end" > start)',
                           name=op.f('ck_codings_passage')),
        sa.ForeignKeyConstraint(['code_id'], ['codes.id'], ondelete='CASCADE',
                                name=op.f('fk_codings_code_id_codes')),
        sa.ForeignKeyConstraint(['coder_id'], ['coders.id'], ondelete='CASCADE',
                                name=op.f('fk_codings_coder_id_coders')),
        sa.ForeignKeyConstraint(['narrative_id'], ['narratives.id'], ondelete='CASCADE',
                                name=op.f('fk_codings_narrative_id_narratives')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codings')),
    )
    op.create_index('ix_codings_narrative_id', 'codings', ['narrative_id'])
    op.create_index('ix_codings_code_id_narrative_id', 'codings', ['code_id', 'narrative_id'])
    op.create_index(op.f('ix_codings_coder_id'), 'codings', ['coder_id'])
    op.create_table(
        'coder_seen',
        sa.Column('coder_id', sa.Integer(), nullable=False),
        sa.Column('narrative_id', sa.Integer(), nullable=False),
        _at('seen_at'),
        sa.ForeignKeyConstraint(['coder_id'], ['coders.id'], ondelete='CASCADE',
                                name=op.f('fk_coder_seen_coder_id_coders')),
        sa.ForeignKeyConstraint(['narrative_id'], ['narratives.id'], ondelete='CASCADE',
                                name=op.f('fk_coder_seen_narrative_id_narratives')),
        sa.PrimaryKeyConstraint('coder_id', 'narrative_id', name=op.f('pk_coder_seen')),
    )
    op.create_index(op.f('ix_coder_seen_narrative_id'), 'coder_seen', ['narrative_id'])
    op.create_table(
        'coding_sets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('blind', sa.Boolean(), nullable=False),
        _at('created_at'),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], ondelete='CASCADE',
                                name=op.f('fk_coding_sets_community_id_communities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coding_sets')),
        sa.UniqueConstraint('community_id', 'name', name=op.f('uq_coding_sets_community_id_name')),
    )
    op.create_table(
        'coding_set_narratives',
        sa.Column('set_id', sa.Integer(), nullable=False),
        sa.Column('narrative_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['set_id'], ['coding_sets.id'], ondelete='CASCADE',
                                name=op.f('fk_coding_set_narratives_set_id_coding_sets')),
        sa.ForeignKeyConstraint(['narrative_id'], ['narratives.id'], ondelete='CASCADE',
                                name=op.f('fk_coding_set_narratives_narrative_id_narratives')),
        sa.PrimaryKeyConstraint('set_id', 'narrative_id', name=op.f('pk_coding_set_narratives')),
    )
    op.create_index(op.f('ix_coding_set_narratives_narrative_id'), 'coding_set_narratives',
                    ['narrative_id'])
    op.create_table(
        'coding_set_done',
        sa.Column('set_id', sa.Integer(), nullable=False),
        sa.Column('coder_id', sa.Integer(), nullable=False),
        _at('done_at'),
        sa.ForeignKeyConstraint(['set_id'], ['coding_sets.id'], ondelete='CASCADE',
                                name=op.f('fk_coding_set_done_set_id_coding_sets')),
        sa.ForeignKeyConstraint(['coder_id'], ['coders.id'], ondelete='CASCADE',
                                name=op.f('fk_coding_set_done_coder_id_coders')),
        sa.PrimaryKeyConstraint('set_id', 'coder_id', name=op.f('pk_coding_set_done')),
    )


def downgrade() -> None:
    for table in ('coding_set_done', 'coding_set_narratives', 'coding_sets', 'coder_seen',
                  'codings', 'codes', 'coders'):
        op.drop_table(table)
    # A plain DROP COLUMN: rebuilding the table would, with foreign keys on, take every row that
    # refers to a community with it on SQLite.
    op.execute('ALTER TABLE communities DROP COLUMN conveners_code')
