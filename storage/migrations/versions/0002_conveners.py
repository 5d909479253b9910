"""conveners: dialogue drafts, and the tallies and indexes the Value Creation Matrix reads

The tallies (matrix_cells, matrix_followups, matrix_prompts) are kept by triggers in the database,
so every write path (answers, revisions, withdrawals, retention, cascades) keeps them right
without the application having to remember.

Revision ID: 0003_conveners
Revises: 0001
Create Date: 2026-11-26
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_conveners'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FOLLOWUP = "('realised', 'reframing')"
PROMPT_KEY = ("{r}.community_id, {r}.status, "
              "CASE WHEN {r}.attended IS NULL THEN -1 WHEN {r}.attended THEN 1 ELSE 0 END, "
              "CASE WHEN {r}.opened_at IS NULL THEN 0 ELSE 1 END")


def _narrative_add(r: str, greatest: str) -> list[str]:
    return [
        f"INSERT INTO matrix_cells (community_id, cycle, member_id, narratives) "
        f"VALUES ({r}.community_id, {r}.cycle, {r}.member_id, 1) "
        f"ON CONFLICT (community_id, cycle, member_id) DO UPDATE SET narratives = matrix_cells.narratives + 1",
        f"INSERT INTO matrix_members (community_id, member_id, narratives) "
        f"VALUES ({r}.community_id, {r}.member_id, 1) "
        f"ON CONFLICT (community_id, member_id) DO UPDATE SET narratives = matrix_members.narratives + 1",
        f"INSERT INTO matrix_followups (story_id, community_id, member_id, event_id, narratives, last_at) "
        f"SELECT {r}.story_id, {r}.community_id, {r}.member_id, {r}.event_id, 1, {r}.answered_at "
        f"WHERE {r}.cycle IN {FOLLOWUP} "
        f"ON CONFLICT (story_id) DO UPDATE SET narratives = matrix_followups.narratives + 1, "
        f"last_at = {greatest}(matrix_followups.last_at, excluded.last_at)",
    ]


def _narrative_remove(r: str) -> list[str]:
    cell = f"community_id = {r}.community_id AND cycle = {r}.cycle AND member_id = {r}.member_id"
    return [
        f"UPDATE matrix_cells SET narratives = narratives - 1 WHERE {cell}",
        f"DELETE FROM matrix_cells WHERE {cell} AND narratives <= 0",
        f"UPDATE matrix_members SET narratives = narratives - 1 "
        f"WHERE community_id = {r}.community_id AND member_id = {r}.member_id",
        f"DELETE FROM matrix_members WHERE community_id = {r}.community_id "
        f"AND member_id = {r}.member_id AND narratives <= 0",
        f"UPDATE matrix_followups SET narratives = narratives - 1, last_at = coalesce(("
        f"SELECT max(n.answered_at) FROM narratives n WHERE n.story_id = {r}.story_id "
        f"AND n.cycle IN {FOLLOWUP}), last_at) WHERE story_id = {r}.story_id AND {r}.cycle IN {FOLLOWUP}",
        f"DELETE FROM matrix_followups WHERE story_id = {r}.story_id AND narratives <= 0",
    ]


def _prompt_add(r: str) -> list[str]:
    return [
        f"INSERT INTO matrix_prompts (community_id, status, attended, opened, prompts) "
        f"VALUES ({PROMPT_KEY.format(r=r)}, 1) "
        f"ON CONFLICT (community_id, status, attended, opened) DO UPDATE SET prompts = matrix_prompts.prompts + 1",
    ]


def _prompt_remove(r: str) -> list[str]:
    return [
        f"UPDATE matrix_prompts SET prompts = prompts - 1 WHERE (community_id, status, attended, opened) "
        f"= ({PROMPT_KEY.format(r=r)})",
    ]


def _story_count(r: str, step: int) -> list[str]:
    return [
        f"INSERT INTO matrix_communities (community_id, stories) VALUES ({r}.community_id, {step}) "
        f"ON CONFLICT (community_id) DO UPDATE SET stories = matrix_communities.stories + {step}",
    ]


NARRATIVE_MOVED = ("OLD.community_id <> NEW.community_id OR OLD.cycle <> NEW.cycle OR "
                   "OLD.member_id <> NEW.member_id OR OLD.story_id <> NEW.story_id OR "
                   "OLD.answered_at <> NEW.answered_at")
PROMPT_MOVED = ("OLD.community_id <> NEW.community_id OR OLD.status <> NEW.status OR "
                "OLD.attended IS DISTINCT FROM NEW.attended OR "
                "(OLD.opened_at IS NULL) <> (NEW.opened_at IS NULL)")
TRIGGERS = {
    # name: (table, event, statements, condition)
    "matrix_narrative_insert": ("narratives", "INSERT", lambda g: _narrative_add("NEW", g), None),
    "matrix_narrative_delete": ("narratives", "DELETE", lambda g: _narrative_remove("OLD"), None),
    "matrix_narrative_update": ("narratives", "UPDATE",
                                lambda g: _narrative_remove("OLD") + _narrative_add("NEW", g),
                                NARRATIVE_MOVED),
    "matrix_prompt_insert": ("prompts", "INSERT", lambda g: _prompt_add("NEW"), None),
    "matrix_prompt_delete": ("prompts", "DELETE", lambda g: _prompt_remove("OLD"), None),
    "matrix_prompt_update": ("prompts", "UPDATE",
                             lambda g: _prompt_remove("OLD") + _prompt_add("NEW"), PROMPT_MOVED),
    # A story's row appears and goes with its first and last follow-up narrative.
    "matrix_followup_insert": ("matrix_followups", "INSERT", lambda g: _story_count("NEW", 1), None),
    "matrix_followup_delete": ("matrix_followups", "DELETE", lambda g: _story_count("OLD", -1), None),
}


def _create_triggers() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, (table, event, statements, condition) in TRIGGERS.items():
        if postgres:
            body = ";\n  ".join(statements("GREATEST"))
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                       f"BEGIN\n  {body};\n  RETURN NULL;\nEND $$")
            when = f" WHEN ({condition})" if condition else ""
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
                       f"EXECUTE FUNCTION {name}()")
        else:
            body = ";\n  ".join(statements("max"))
            # SQLite spells IS DISTINCT FROM as IS NOT (and has since long before 3.39).
            when = f" WHEN {condition.replace('IS DISTINCT FROM', 'IS NOT')}" if condition else ""
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when}\n"
                       f"BEGIN\n  {body};\nEND")


def _drop_triggers() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, (table, *_rest) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def upgrade() -> None:
    op.create_table('convener_drafts',
    sa.Column('telegram_user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_convener_drafts_community_id_communities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('telegram_user_id', name=op.f('pk_convener_drafts'))
    )
    op.create_table('matrix_cells',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.String(length=16), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('narratives', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('community_id', 'cycle', 'member_id', name=op.f('pk_matrix_cells'))
    )
    op.create_table('matrix_followups',
    sa.Column('story_id', sa.String(length=36), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('narratives', sa.Integer(), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('story_id', name=op.f('pk_matrix_followups'))
    )
    with op.batch_alter_table('matrix_followups', schema=None) as batch_op:
        batch_op.create_index('ix_matrix_followups_community_id_last_at', ['community_id', 'last_at'], unique=False)
    op.create_table('matrix_members',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('narratives', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('community_id', 'member_id', name=op.f('pk_matrix_members'))
    )
    op.create_table('matrix_communities',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('stories', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('community_id', name=op.f('pk_matrix_communities'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index('ix_members_unreachable_at', ['unreachable_at'], unique=False)
    op.create_table('matrix_prompts',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attended', sa.Integer(), nullable=False),
    sa.Column('opened', sa.Integer(), nullable=False),
    sa.Column('prompts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('community_id', 'status', 'attended', 'opened', name=op.f('pk_matrix_prompts'))
    )
    with op.batch_alter_table('narratives', schema=None) as batch_op:
        batch_op.create_index('ix_narratives_matrix_members', ['community_id', 'cycle', 'member_id', 'answered_at'], unique=False)
        batch_op.create_index('ix_narratives_matrix_recent', ['community_id', 'cycle', 'answered_at', 'id'], unique=False)
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.create_index('ix_prompts_matrix', ['community_id', 'status', 'attended', 'opened_at'], unique=False)
        batch_op.create_index('ix_prompts_event_id', ['event_id'], unique=False)
    # Tally what is already there, then let the triggers keep it.
    op.execute("INSERT INTO matrix_cells (community_id, cycle, member_id, narratives) "
               "SELECT community_id, cycle, member_id, count(*) FROM narratives "
               "GROUP BY community_id, cycle, member_id")
    op.execute("INSERT INTO matrix_members (community_id, member_id, narratives) "
               "SELECT community_id, member_id, count(*) FROM narratives GROUP BY community_id, member_id")
    op.execute("INSERT INTO matrix_followups (story_id, community_id, member_id, event_id, narratives, last_at) "
               "SELECT story_id, min(community_id), min(member_id), min(event_id), count(*), max(answered_at) "
               f"FROM narratives WHERE cycle IN {FOLLOWUP} GROUP BY story_id")
    op.execute("INSERT INTO matrix_communities (community_id, stories) "
               "SELECT community_id, count(*) FROM matrix_followups GROUP BY community_id")
    op.execute("INSERT INTO matrix_prompts (community_id, status, attended, opened, prompts) "
               f"SELECT {PROMPT_KEY.format(r='prompts')}, count(*) FROM prompts "
               f"GROUP BY {PROMPT_KEY.format(r='prompts')}")
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.drop_index('ix_prompts_event_id')
        batch_op.drop_index('ix_prompts_matrix')
    with op.batch_alter_table('narratives', schema=None) as batch_op:
        batch_op.drop_index('ix_narratives_matrix_recent')
        batch_op.drop_index('ix_narratives_matrix_members')
    op.drop_table('matrix_prompts')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_unreachable_at')
    op.drop_table('matrix_communities')
    op.drop_table('matrix_members')
    op.drop_table('matrix_followups')
    op.drop_table('matrix_cells')
    op.drop_table('convener_drafts')
