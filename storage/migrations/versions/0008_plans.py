"""plans: the matrix counts plans apart from actions, and keeps each community's plans pipeline

A narrative answering an intention question ("what might you do with this?", `intended`) is a
plan, not applied value. The tallies of 0003 and 0005 that count narratives by cycle
(matrix_cells, matrix_story_cycles and so matrix_cycle_stories, matrix_event_cells) now count a
plan under the key 'intended' instead of its question's cycle: the applied cycle holds only what
members did. Their narrative triggers are replaced by ones reading that key, and the tallies are
counted again.

Two new tallies, kept by triggers like the others:
- matrix_plan_stories: per story, its plans, whether its applied follow-up was delivered, its
  actions reported done (applied, not intended) and its realised value;
- matrix_plans: per community, the stories with a plan, and of those the ones followed up,
  reported done and reported to have made a difference (kept from matrix_plan_stories' rows).

The period matrix's covering indexes gain `intended` after `cycle`, so a cycle's narratives and
its plans are read apart through them.

Revision ID: 0008_plans
Revises: 0006_dashboard
Create Date: 2026-12-07
"""
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_plans'
down_revision: str | None = '0006_dashboard'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FOLLOWUP = "('realised', 'reframing')"
ASKING = "'post_event'"
DELIVERED = "('open', 'completed', 'stopped', 'not_attended', 'closed')"
Key = Callable[[str], str]


def stage(r: str) -> str:
    """The tally key of a narrative: 'intended' for a plan, else its cycle."""
    return f"CASE WHEN {r}.intended THEN 'intended' ELSE {r}.cycle END"


def cycle(r: str) -> str:
    """The tally key before this revision: the cycle alone."""
    return f"{r}.cycle"


# --- 0003's and 0005's narrative triggers, with the key as a parameter ------------------------

def _cells_add(r: str, key: Key, greatest: str) -> list[str]:
    return [
        f"INSERT INTO matrix_cells (community_id, cycle, member_id, narratives) "
        f"VALUES ({r}.community_id, {key(r)}, {r}.member_id, 1) "
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


def _cells_remove(r: str, key: Key) -> list[str]:
    cell = f"community_id = {r}.community_id AND cycle = {key(r)} AND member_id = {r}.member_id"
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


def _count_up(table: str, key: dict[str, str], extra: dict[str, str], where: str = "") -> str:
    cols = [*key, *extra, "narratives"]
    values = [*key.values(), *extra.values(), "1"]
    select = f"SELECT {', '.join(values)}" + (f" WHERE {where}" if where else " WHERE true")
    return (f"INSERT INTO {table} ({', '.join(cols)}) {select} "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET narratives = {table}.narratives + 1")


def _count_down(table: str, key: dict[str, str]) -> list[str]:
    match = " AND ".join(f"{k} = {v}" for k, v in key.items())
    return [f"UPDATE {table} SET narratives = narratives - 1 WHERE {match}",
            f"DELETE FROM {table} WHERE {match} AND narratives <= 0"]


def _truth_add(r: str, key: Key) -> list[str]:
    return [
        _count_up("matrix_stories", {"story_id": f"{r}.story_id"},
                  {"community_id": f"{r}.community_id"}),
        _count_up("matrix_story_cycles", {"story_id": f"{r}.story_id", "cycle": key(r)},
                  {"community_id": f"{r}.community_id"}),
        _count_up("matrix_event_cells", {"event_id": f"{r}.event_id", "cycle": key(r)},
                  {"community_id": f"{r}.community_id"}),
        _count_up("matrix_prompt_narratives", {"prompt_id": f"{r}.prompt_id"},
                  {"community_id": f"{r}.community_id", "event_id": f"{r}.event_id"},
                  f"EXISTS (SELECT 1 FROM prompts p WHERE p.id = {r}.prompt_id "
                  f"AND p.kind = {ASKING})"),
    ]


def _truth_remove(r: str, key: Key) -> list[str]:
    return [
        *_count_down("matrix_stories", {"story_id": f"{r}.story_id"}),
        *_count_down("matrix_story_cycles", {"story_id": f"{r}.story_id", "cycle": key(r)}),
        *_count_down("matrix_event_cells", {"event_id": f"{r}.event_id", "cycle": key(r)}),
        *_count_down("matrix_prompt_narratives", {"prompt_id": f"{r}.prompt_id"}),
    ]


def _cycle_story(r: str, step: int) -> list[str]:
    return [
        f"INSERT INTO matrix_cycle_stories (community_id, cycle, stories) "
        f"VALUES ({r}.community_id, {r}.cycle, {step}) "
        f"ON CONFLICT (community_id, cycle) DO UPDATE SET stories = matrix_cycle_stories.stories + {step}",
    ]


CELLS_MOVED = ("OLD.community_id <> NEW.community_id OR OLD.cycle <> NEW.cycle OR "
               "OLD.member_id <> NEW.member_id OR OLD.story_id <> NEW.story_id OR "
               "OLD.answered_at <> NEW.answered_at")
TRUTH_MOVED = ("OLD.community_id <> NEW.community_id OR OLD.cycle <> NEW.cycle OR "
               "OLD.story_id <> NEW.story_id OR OLD.event_id <> NEW.event_id OR "
               "OLD.prompt_id <> NEW.prompt_id")
INTENT_MOVED = " OR OLD.intended <> NEW.intended"
Statements = Callable[[str], list[str]]  # given the dialect's GREATEST


def _narrative_triggers(key: Key) -> dict[str, tuple[str, str, Statements, str | None]]:
    """0003's and 0005's narrative triggers, counting by `key`; moved also when intent changes."""
    more = INTENT_MOVED if key is stage else ""
    return {
        "matrix_narrative_insert": ("narratives", "INSERT",
                                    lambda g: _cells_add("NEW", key, g), None),
        "matrix_narrative_delete": ("narratives", "DELETE",
                                    lambda g: _cells_remove("OLD", key), None),
        "matrix_narrative_update": ("narratives", "UPDATE",
                                    lambda g: _cells_remove("OLD", key) + _cells_add("NEW", key, g),
                                    CELLS_MOVED + more),
        "matrix_truth_narrative_insert": ("narratives", "INSERT",
                                          lambda g: _truth_add("NEW", key), None),
        "matrix_truth_narrative_delete": ("narratives", "DELETE",
                                          lambda g: _truth_remove("OLD", key), None),
        "matrix_truth_narrative_update": ("narratives", "UPDATE",
                                          lambda g: _truth_remove("OLD", key) + _truth_add("NEW", key),
                                          TRUTH_MOVED + more),
    }


# 0005's, unchanged: dropped while the tallies are counted again, so they are not kept row by row.
CYCLE_STORY_TRIGGERS: dict[str, tuple[str, str, Statements, str | None]] = {
    "matrix_story_cycle_insert": ("matrix_story_cycles", "INSERT",
                                  lambda g: _cycle_story("NEW", 1), None),
    "matrix_story_cycle_delete": ("matrix_story_cycles", "DELETE",
                                  lambda g: _cycle_story("OLD", -1), None),
}


# --- the plans pipeline -------------------------------------------------------------------

def _plan_parts(r: str) -> tuple[str, str, str]:
    """What a narrative adds to its story's plans, done and difference (0 or 1 each)."""
    return (f"CASE WHEN {r}.intended THEN 1 ELSE 0 END",
            f"CASE WHEN {r}.cycle = 'applied' AND NOT {r}.intended THEN 1 ELSE 0 END",
            f"CASE WHEN {r}.cycle = 'realised' AND NOT {r}.intended THEN 1 ELSE 0 END")


def _followed(r: str) -> str:
    """1 when a prompt is a delivered applied follow-up: the one that asks about the plan."""
    return (f"CASE WHEN {r}.kind = 'followup_applied' AND {r}.status IN {DELIVERED} "
            f"AND {r}.opened_at IS NOT NULL THEN 1 ELSE 0 END")


EMPTY_STORY = ("DELETE FROM matrix_plan_stories WHERE story_id = {r}.story_id AND plans <= 0 "
               "AND followed <= 0 AND done <= 0 AND difference <= 0")


def _story_add(r: str, plans: str, followed: str, done: str, difference: str) -> list[str]:
    return [
        f"INSERT INTO matrix_plan_stories (story_id, community_id, plans, followed, done, "
        f"difference) SELECT {r}.story_id, {r}.community_id, {plans}, {followed}, {done}, "
        f"{difference} WHERE ({plans}) + ({followed}) + ({done}) + ({difference}) > 0 "
        f"ON CONFLICT (story_id) DO UPDATE SET plans = matrix_plan_stories.plans + excluded.plans, "
        f"followed = matrix_plan_stories.followed + excluded.followed, "
        f"done = matrix_plan_stories.done + excluded.done, "
        f"difference = matrix_plan_stories.difference + excluded.difference",
    ]


def _story_remove(r: str, plans: str, followed: str, done: str, difference: str) -> list[str]:
    return [
        f"UPDATE matrix_plan_stories SET plans = plans - ({plans}), "
        f"followed = followed - ({followed}), done = done - ({done}), "
        f"difference = difference - ({difference}) WHERE story_id = {r}.story_id",
        EMPTY_STORY.format(r=r),
    ]


def _narrative_plan(r: str, add: bool) -> list[str]:
    plans, done, difference = _plan_parts(r)
    return (_story_add if add else _story_remove)(r, plans, "0", done, difference)


def _prompt_plan(r: str, add: bool) -> list[str]:
    return (_story_add if add else _story_remove)(r, "0", _followed(r), "0", "0")


def _pipeline(r: str) -> tuple[str, str, str, str]:
    """What a story's row adds to its community's pipeline: made, followed up, done, difference."""
    return (f"CASE WHEN {r}.plans > 0 THEN 1 ELSE 0 END",
            f"CASE WHEN {r}.plans > 0 AND {r}.followed > 0 THEN 1 ELSE 0 END",
            f"CASE WHEN {r}.plans > 0 AND {r}.done > 0 THEN 1 ELSE 0 END",
            f"CASE WHEN {r}.plans > 0 AND {r}.difference > 0 THEN 1 ELSE 0 END")


def _pipeline_add(r: str) -> list[str]:
    made, followed, done, difference = _pipeline(r)
    return [
        f"INSERT INTO matrix_plans (community_id, made, followed_up, done, difference) "
        f"VALUES ({r}.community_id, {made}, {followed}, {done}, {difference}) "
        f"ON CONFLICT (community_id) DO UPDATE SET made = matrix_plans.made + excluded.made, "
        f"followed_up = matrix_plans.followed_up + excluded.followed_up, "
        f"done = matrix_plans.done + excluded.done, "
        f"difference = matrix_plans.difference + excluded.difference",
    ]


def _pipeline_remove(r: str) -> list[str]:
    made, followed, done, difference = _pipeline(r)
    return [
        f"UPDATE matrix_plans SET made = made - {made}, followed_up = followed_up - {followed}, "
        f"done = done - {done}, difference = difference - {difference} "
        f"WHERE community_id = {r}.community_id",
    ]


PLAN_NARRATIVE_MOVED = ("OLD.community_id <> NEW.community_id OR OLD.cycle <> NEW.cycle OR "
                        "OLD.story_id <> NEW.story_id OR OLD.intended <> NEW.intended")
PLAN_PROMPT_MOVED = ("OLD.community_id <> NEW.community_id OR OLD.story_id <> NEW.story_id OR "
                     "OLD.kind <> NEW.kind OR OLD.status <> NEW.status OR "
                     "(OLD.opened_at IS NULL) <> (NEW.opened_at IS NULL)")
PLAN_TRIGGERS: dict[str, tuple[str, str, Statements, str | None]] = {
    "matrix_plan_narrative_insert": ("narratives", "INSERT",
                                     lambda g: _narrative_plan("NEW", True), None),
    "matrix_plan_narrative_delete": ("narratives", "DELETE",
                                     lambda g: _narrative_plan("OLD", False), None),
    "matrix_plan_narrative_update": ("narratives", "UPDATE",
                                     lambda g: _narrative_plan("OLD", False)
                                     + _narrative_plan("NEW", True), PLAN_NARRATIVE_MOVED),
    "matrix_plan_prompt_insert": ("prompts", "INSERT", lambda g: _prompt_plan("NEW", True), None),
    "matrix_plan_prompt_delete": ("prompts", "DELETE", lambda g: _prompt_plan("OLD", False), None),
    "matrix_plan_prompt_update": ("prompts", "UPDATE",
                                  lambda g: _prompt_plan("OLD", False) + _prompt_plan("NEW", True),
                                  PLAN_PROMPT_MOVED),
    # A story's row coming, changing and going keeps its community's pipeline.
    "matrix_plan_story_insert": ("matrix_plan_stories", "INSERT",
                                 lambda g: _pipeline_add("NEW"), None),
    "matrix_plan_story_update": ("matrix_plan_stories", "UPDATE",
                                 lambda g: _pipeline_remove("OLD") + _pipeline_add("NEW"), None),
    "matrix_plan_story_delete": ("matrix_plan_stories", "DELETE",
                                 lambda g: _pipeline_remove("OLD"), None),
}


# --- creating and dropping ------------------------------------------------------------------

def _create(triggers: dict[str, tuple[str, str, Statements, str | None]]) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, (table, event, statements, condition) in triggers.items():
        body = ";\n  ".join(statements("GREATEST" if postgres else "max"))
        if postgres:
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                       f"BEGIN\n  {body};\n  RETURN NULL;\nEND $$")
            when = f" WHEN ({condition})" if condition else ""
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
                       f"EXECUTE FUNCTION {name}()")
        else:
            when = f" WHEN {condition}" if condition else ""
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when}\n"
                       f"BEGIN\n  {body};\nEND")


def _drop(triggers: dict[str, tuple[str, str, Statements, str | None]]) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, (table, *_rest) in triggers.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def _recount(key: Key) -> None:
    """Count the narratives' tallies by `key` again, from the narratives themselves."""
    k = key("narratives")
    for table in ("matrix_cells", "matrix_story_cycles", "matrix_cycle_stories",
                  "matrix_event_cells"):
        op.execute(f"DELETE FROM {table}")
    op.execute("INSERT INTO matrix_cells (community_id, cycle, member_id, narratives) "
               f"SELECT community_id, {k}, member_id, count(*) FROM narratives "
               f"GROUP BY community_id, {k}, member_id")
    op.execute("INSERT INTO matrix_story_cycles (story_id, cycle, community_id, narratives) "
               f"SELECT story_id, {k}, min(community_id), count(*) FROM narratives "
               f"GROUP BY story_id, {k}")
    op.execute("INSERT INTO matrix_cycle_stories (community_id, cycle, stories) "
               "SELECT community_id, cycle, count(*) FROM matrix_story_cycles "
               "GROUP BY community_id, cycle")
    op.execute("INSERT INTO matrix_event_cells (event_id, cycle, community_id, narratives) "
               f"SELECT event_id, {k}, min(community_id), count(*) FROM narratives "
               f"GROUP BY event_id, {k}")


INDEXES = {
    # name: (columns before this revision, columns from it)
    "ix_narratives_matrix_members": (["community_id", "cycle", "member_id", "answered_at"],
                                     ["community_id", "cycle", "intended", "member_id",
                                      "answered_at"]),
    "ix_narratives_matrix_recent": (["community_id", "cycle", "answered_at", "id"],
                                    ["community_id", "cycle", "intended", "answered_at", "id"]),
}


def _indexes(which: int) -> None:
    for name, columns in INDEXES.items():
        # Plain statements, not a batch copy: copying narratives on SQLite would lose its triggers.
        op.drop_index(name, table_name="narratives")
        op.create_index(name, "narratives", columns[which])


def upgrade() -> None:
    op.create_table('matrix_plan_stories',
    sa.Column('story_id', sa.String(length=36), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('plans', sa.Integer(), nullable=False),
    sa.Column('followed', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('difference', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('story_id', name=op.f('pk_matrix_plan_stories'))
    )
    op.create_table('matrix_plans',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('made', sa.Integer(), nullable=False),
    sa.Column('followed_up', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('difference', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('community_id', name=op.f('pk_matrix_plans'))
    )
    _drop(_narrative_triggers(cycle))
    _drop(CYCLE_STORY_TRIGGERS)
    _recount(stage)
    _indexes(1)
    # Each story's plan journey, then each community's pipeline from them.
    plans, done, difference = _plan_parts("n")
    op.execute(
        "INSERT INTO matrix_plan_stories (story_id, community_id, plans, followed, done, "
        "difference) SELECT story_id, min(community_id), sum(plans), sum(followed), sum(done), "
        "sum(difference) FROM ("
        f"SELECT n.story_id, n.community_id, {plans} AS plans, 0 AS followed, {done} AS done, "
        f"{difference} AS difference FROM narratives n "
        f"UNION ALL SELECT p.story_id, p.community_id, 0, {_followed('p')}, 0, 0 FROM prompts p"
        ") parts GROUP BY story_id "
        "HAVING sum(plans) + sum(followed) + sum(done) + sum(difference) > 0")
    made, followed, done_, difference_ = _pipeline("s")
    op.execute("INSERT INTO matrix_plans (community_id, made, followed_up, done, difference) "
               f"SELECT s.community_id, sum({made}), sum({followed}), sum({done_}), "
               f"sum({difference_}) FROM matrix_plan_stories s GROUP BY s.community_id")
    _create(_narrative_triggers(stage))
    _create(CYCLE_STORY_TRIGGERS)
    _create(PLAN_TRIGGERS)


def downgrade() -> None:
    _drop(PLAN_TRIGGERS)
    _drop(_narrative_triggers(stage))
    _drop(CYCLE_STORY_TRIGGERS)
    _indexes(0)
    _recount(cycle)
    _create(_narrative_triggers(cycle))
    _create(CYCLE_STORY_TRIGGERS)
    op.drop_table('matrix_plans')
    op.drop_table('matrix_plan_stories')
