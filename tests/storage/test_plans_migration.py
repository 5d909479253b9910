"""Migration 0008_plans: plans already told move out of applied value into their own tally, the
plans pipeline is counted from what is there, and going back puts them where they were."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import column, delete, insert, select, table, update

from storage.db import Database
from storage.models import (
    MatrixCell,
    MatrixCycleStories,
    MatrixEventCell,
    MatrixPlans,
    Narrative,
    Prompt,
    PromptStatus,
    UTCDateTime,
)
from tests.storage.test_storage import _member_and_event

NOW = dt.datetime(2026, 12, 3, 18, 0, tzinfo=dt.UTC)
BEFORE = "0006_dashboard"
# The narratives table as it was then: the model is head's, with columns added since.
NARRATIVES_THEN = table(
    "narratives", *(column(c) for c in (
        "prompt_id", "member_id", "community_id", "event_id", "story_id", "question_id",
        "question_text", "cycle", "intended", "text", "spoken", "version")),
    column("answered_at", UTCDateTime()), column("updated_at", UTCDateTime()))


async def _cells(db: Database) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    async with db.session() as s:
        cells = {c: n for c, n in await s.execute(
            select(MatrixCell.cycle, MatrixCell.narratives))}
        stories = {c: n for c, n in await s.execute(
            select(MatrixCycleStories.cycle, MatrixCycleStories.stories))}
        events = {c: n for c, n in await s.execute(
            select(MatrixEventCell.cycle, MatrixEventCell.narratives))}
    return cells, stories, events


async def test_plans_told_before_move_apart_and_the_pipeline_counts_them(db: Database) -> None:
    # The member and event are made at head (the models are head's), then the schema goes back.
    community_id, event_id, member_id = await _member_and_event(db)
    await db.migrate(BEFORE, down=True)
    async with db.session() as s:
        asking = Prompt(member_id=member_id, community_id=community_id, event_id=event_id,
                        kind="post_event", story_id="s", status=PromptStatus.COMPLETED,
                        due_at=NOW, opened_at=NOW)
        later = Prompt(member_id=member_id, community_id=community_id, event_id=event_id,
                       kind="followup_applied", story_id="s", status=PromptStatus.OPEN,
                       due_at=NOW, opened_at=NOW)
        s.add_all([asking, later])
        await s.flush()
        common = {"member_id": member_id, "community_id": community_id, "event_id": event_id,
                  "story_id": "s", "question_text": "?", "answered_at": NOW, "updated_at": NOW,
                  "intended": False, "spoken": False, "version": 1}
        await s.execute(insert(NARRATIVES_THEN), [
            {**common, "prompt_id": asking.id, "question_id": "immediate.moment",
             "cycle": "immediate", "text": "a moment"},
            {**common, "prompt_id": asking.id, "question_id": "applied.intention",
             "cycle": "applied", "intended": True, "text": "a plan"},
            {**common, "prompt_id": later.id, "question_id": "applied.action",
             "cycle": "applied", "text": "what was done"},
        ])
    assert (await _cells(db))[0] == {"immediate": 1, "applied": 2}  # the plan counted as applied

    await db.migrate("head")
    assert await _cells(db) == ({"immediate": 1, "applied": 1, "intended": 1},
                                {"immediate": 1, "applied": 1, "intended": 1},
                                {"immediate": 1, "applied": 1, "intended": 1})
    async with db.session() as s:
        plans = await s.get(MatrixPlans, community_id)
        assert plans is not None
        assert (plans.made, plans.followed_up, plans.done, plans.difference) == (1, 1, 1, 0)

    # The triggers keep it from here: the action taken back, then the follow-up closed unsent.
    async with db.session() as s:
        await s.execute(delete(Narrative).where(Narrative.question_id == "applied.action"))
        await s.execute(update(Prompt).where(Prompt.kind == "followup_applied")
                        .values(status=PromptStatus.CANCELLED))
    async with db.session() as s:
        plans = await s.get(MatrixPlans, community_id)
        assert plans is not None
        assert (plans.made, plans.followed_up, plans.done, plans.difference) == (1, 0, 0, 0)

    await db.migrate(BEFORE, down=True)
    assert (await _cells(db))[0] == {"immediate": 1, "applied": 1}  # the plan is applied again
    await db.migrate("head")
    assert (await _cells(db))[0] == {"immediate": 1, "intended": 1}
