"""matrix truth: the tallies behind stories per cycle, each event's row, and who answered

Like the conveners' (file 0002), these tallies are kept by triggers in the database, so every
write path (answers, revisions, withdrawals, retention, cascades) keeps them right:
- matrix_stories, matrix_story_cycles: narratives per story, and per story and cycle; their rows
  coming and going keep matrix_communities.told and matrix_cycle_stories (stories counted);
- matrix_event_cells: narratives per event and cycle;
- matrix_event_prompts: post-event prompts per event by status, attended and opened;
- matrix_prompt_narratives: narratives per post-event prompt, so a row is a member who answered.

Revision ID: 0005_matrix_truth
Revises: 0007_voice
Create Date: 2026-12-01
"""
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_matrix_truth'
down_revision: str | None = '0007_voice'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ASKING = "'post_event'"
PROMPT_KEY = ("{r}.event_id, {r}.status, "
              "CASE WHEN {r}.attended IS NULL THEN -1 WHEN {r}.attended THEN 1 ELSE 0 END, "
              "CASE WHEN {r}.opened_at IS NULL THEN 0 ELSE 1 END")


def _count_up(table: str, key: dict[str, str], extra: dict[str, str], where: str = "") -> str:
    """Add one to a tally row, making it if it is not there."""
    cols = [*key, *extra, "narratives"]
    values = [*key.values(), *extra.values(), "1"]
    select = f"SELECT {', '.join(values)}" + (f" WHERE {where}" if where else " WHERE true")
    return (f"INSERT INTO {table} ({', '.join(cols)}) {select} "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET narratives = {table}.narratives + 1")


def _count_down(table: str, key: dict[str, str]) -> list[str]:
    match = " AND ".join(f"{k} = {v}" for k, v in key.items())
    return [f"UPDATE {table} SET narratives = narratives - 1 WHERE {match}",
            f"DELETE FROM {table} WHERE {match} AND narratives <= 0"]


def _narrative_add(r: str) -> list[str]:
    return [
        _count_up("matrix_stories", {"story_id": f"{r}.story_id"},
                  {"community_id": f"{r}.community_id"}),
        _count_up("matrix_story_cycles", {"story_id": f"{r}.story_id", "cycle": f"{r}.cycle"},
                  {"community_id": f"{r}.community_id"}),
        _count_up("matrix_event_cells", {"event_id": f"{r}.event_id", "cycle": f"{r}.cycle"},
                  {"community_id": f"{r}.community_id"}),
        _count_up("matrix_prompt_narratives", {"prompt_id": f"{r}.prompt_id"},
                  {"community_id": f"{r}.community_id", "event_id": f"{r}.event_id"},
                  f"EXISTS (SELECT 1 FROM prompts p WHERE p.id = {r}.prompt_id "
                  f"AND p.kind = {ASKING})"),
    ]


def _narrative_remove(r: str) -> list[str]:
    return [
        *_count_down("matrix_stories", {"story_id": f"{r}.story_id"}),
        *_count_down("matrix_story_cycles", {"story_id": f"{r}.story_id", "cycle": f"{r}.cycle"}),
        *_count_down("matrix_event_cells", {"event_id": f"{r}.event_id", "cycle": f"{r}.cycle"}),
        *_count_down("matrix_prompt_narratives", {"prompt_id": f"{r}.prompt_id"}),
    ]


def _prompt_add(r: str) -> list[str]:
    return [
        f"INSERT INTO matrix_event_prompts (event_id, status, attended, opened, community_id, "
        f"prompts) SELECT {PROMPT_KEY.format(r=r)}, {r}.community_id, 1 WHERE {r}.kind = {ASKING} "
        f"ON CONFLICT (event_id, status, attended, opened) "
        f"DO UPDATE SET prompts = matrix_event_prompts.prompts + 1",
    ]


def _prompt_remove(r: str) -> list[str]:
    return [
        f"UPDATE matrix_event_prompts SET prompts = prompts - 1 "
        f"WHERE (event_id, status, attended, opened) = ({PROMPT_KEY.format(r=r)}) "
        f"AND {r}.kind = {ASKING}",
        "DELETE FROM matrix_event_prompts WHERE prompts <= 0 AND event_id = "
        f"{r}.event_id",
    ]


def _story_told(r: str, step: int) -> list[str]:
    return [
        f"INSERT INTO matrix_communities (community_id, stories, told) "
        f"VALUES ({r}.community_id, 0, {step}) "
        f"ON CONFLICT (community_id) DO UPDATE SET told = matrix_communities.told + {step}",
    ]


def _cycle_story(r: str, step: int) -> list[str]:
    return [
        f"INSERT INTO matrix_cycle_stories (community_id, cycle, stories) "
        f"VALUES ({r}.community_id, {r}.cycle, {step}) "
        f"ON CONFLICT (community_id, cycle) DO UPDATE SET stories = matrix_cycle_stories.stories + {step}",
    ]


NARRATIVE_MOVED = ("OLD.community_id <> NEW.community_id OR OLD.cycle <> NEW.cycle OR "
                   "OLD.story_id <> NEW.story_id OR OLD.event_id <> NEW.event_id OR "
                   "OLD.prompt_id <> NEW.prompt_id")
PROMPT_MOVED = ("OLD.community_id <> NEW.community_id OR OLD.event_id <> NEW.event_id OR "
                "OLD.kind <> NEW.kind OR OLD.status <> NEW.status OR "
                "OLD.attended IS DISTINCT FROM NEW.attended OR "
                "(OLD.opened_at IS NULL) <> (NEW.opened_at IS NULL)")
Statements = Callable[[], list[str]]
TRIGGERS: dict[str, tuple[str, str, Statements, str | None]] = {
    # name: (table, event, statements, condition)
    "matrix_truth_narrative_insert": ("narratives", "INSERT", lambda: _narrative_add("NEW"), None),
    "matrix_truth_narrative_delete": ("narratives", "DELETE", lambda: _narrative_remove("OLD"),
                                      None),
    "matrix_truth_narrative_update": ("narratives", "UPDATE",
                                      lambda: _narrative_remove("OLD") + _narrative_add("NEW"),
                                      NARRATIVE_MOVED),
    "matrix_truth_prompt_insert": ("prompts", "INSERT", lambda: _prompt_add("NEW"), None),
    "matrix_truth_prompt_delete": ("prompts", "DELETE", lambda: _prompt_remove("OLD"), None),
    "matrix_truth_prompt_update": ("prompts", "UPDATE",
                                   lambda: _prompt_remove("OLD") + _prompt_add("NEW"),
                                   PROMPT_MOVED),
    # A story is told while it holds a narrative; a cycle holds it while it has one there.
    "matrix_story_insert": ("matrix_stories", "INSERT", lambda: _story_told("NEW", 1), None),
    "matrix_story_delete": ("matrix_stories", "DELETE", lambda: _story_told("OLD", -1), None),
    "matrix_story_cycle_insert": ("matrix_story_cycles", "INSERT",
                                  lambda: _cycle_story("NEW", 1), None),
    "matrix_story_cycle_delete": ("matrix_story_cycles", "DELETE",
                                  lambda: _cycle_story("OLD", -1), None),
}


def _create_triggers() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, (table, event, statements, condition) in TRIGGERS.items():
        body = ";\n  ".join(statements())
        if postgres:
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                       f"BEGIN\n  {body};\n  RETURN NULL;\nEND $$")
            when = f" WHEN ({condition})" if condition else ""
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
                       f"EXECUTE FUNCTION {name}()")
        else:
            # SQLite spells IS DISTINCT FROM as IS NOT.
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
    with op.batch_alter_table('matrix_communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('told', sa.Integer(), server_default='0', nullable=False))
    op.create_table('matrix_stories',
    sa.Column('story_id', sa.String(length=36), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('narratives', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('story_id', name=op.f('pk_matrix_stories'))
    )
    op.create_table('matrix_story_cycles',
    sa.Column('story_id', sa.String(length=36), nullable=False),
    sa.Column('cycle', sa.String(length=16), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('narratives', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('story_id', 'cycle', name=op.f('pk_matrix_story_cycles'))
    )
    op.create_table('matrix_cycle_stories',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.String(length=16), nullable=False),
    sa.Column('stories', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('community_id', 'cycle', name=op.f('pk_matrix_cycle_stories'))
    )
    op.create_table('matrix_event_cells',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.String(length=16), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('narratives', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', 'cycle', name=op.f('pk_matrix_event_cells'))
    )
    op.create_index('ix_matrix_event_cells_community_id', 'matrix_event_cells', ['community_id'])
    op.create_table('matrix_event_prompts',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attended', sa.Integer(), nullable=False),
    sa.Column('opened', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('prompts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', 'status', 'attended', 'opened',
                            name=op.f('pk_matrix_event_prompts'))
    )
    op.create_index('ix_matrix_event_prompts_community_id', 'matrix_event_prompts',
                    ['community_id'])
    op.create_table('matrix_prompt_narratives',
    sa.Column('prompt_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('narratives', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prompt_id', name=op.f('pk_matrix_prompt_narratives'))
    )
    op.create_index('ix_matrix_prompt_narratives_community_id_event_id',
                    'matrix_prompt_narratives', ['community_id', 'event_id'])
    # Tally what is already there, then let the triggers keep it.
    op.execute("INSERT INTO matrix_stories (story_id, community_id, narratives) "
               "SELECT story_id, min(community_id), count(*) FROM narratives GROUP BY story_id")
    op.execute("INSERT INTO matrix_story_cycles (story_id, cycle, community_id, narratives) "
               "SELECT story_id, cycle, min(community_id), count(*) FROM narratives "
               "GROUP BY story_id, cycle")
    op.execute("INSERT INTO matrix_cycle_stories (community_id, cycle, stories) "
               "SELECT community_id, cycle, count(*) FROM matrix_story_cycles "
               "GROUP BY community_id, cycle")
    op.execute("INSERT INTO matrix_communities (community_id, stories, told) "
               "SELECT community_id, 0, 0 FROM matrix_stories GROUP BY community_id "
               "ON CONFLICT (community_id) DO NOTHING")
    op.execute("UPDATE matrix_communities SET told = (SELECT count(*) FROM matrix_stories s "
               "WHERE s.community_id = matrix_communities.community_id)")
    op.execute("INSERT INTO matrix_event_cells (event_id, cycle, community_id, narratives) "
               "SELECT event_id, cycle, min(community_id), count(*) FROM narratives "
               "GROUP BY event_id, cycle")
    op.execute("INSERT INTO matrix_event_prompts (event_id, status, attended, opened, "
               f"community_id, prompts) SELECT {PROMPT_KEY.format(r='prompts')}, "
               f"min(community_id), count(*) FROM prompts WHERE kind = {ASKING} "
               f"GROUP BY {PROMPT_KEY.format(r='prompts')}")
    op.execute("INSERT INTO matrix_prompt_narratives (prompt_id, community_id, event_id, "
               "narratives) SELECT n.prompt_id, min(n.community_id), min(n.event_id), count(*) "
               f"FROM narratives n JOIN prompts p ON p.id = n.prompt_id WHERE p.kind = {ASKING} "
               "GROUP BY n.prompt_id")
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    op.drop_index('ix_matrix_prompt_narratives_community_id_event_id',
                  table_name='matrix_prompt_narratives')
    op.drop_table('matrix_prompt_narratives')
    op.drop_index('ix_matrix_event_prompts_community_id', table_name='matrix_event_prompts')
    op.drop_table('matrix_event_prompts')
    op.drop_index('ix_matrix_event_cells_community_id', table_name='matrix_event_cells')
    op.drop_table('matrix_event_cells')
    op.drop_table('matrix_cycle_stories')
    op.drop_table('matrix_story_cycles')
    op.drop_table('matrix_stories')
    # Not a batch copy: on SQLite, renaming a copied table breaks the conveners' triggers (0002)
    # that write it.
    op.execute("ALTER TABLE matrix_communities DROP COLUMN told")
