"""Planning, moving and cancelling events from the dashboard, by /newevent's rules; the scheduler follows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from flows import texts
from storage.models import Community, Event, Prompt, PromptStatus, utcnow
from tests import seed
from tests.clock import tick
from tests.harness import Harness
from valuestory.usecases.events import planning

ADMIN = 9001  # an admin in the test settings
ADMINS = frozenset({ADMIN})


async def test_moved_event_is_followed_by_the_scheduler_and_a_cancelled_one_asks_nobody(
        harness: Harness) -> None:
    c = await seed.community(harness.db)
    async with harness.db.session() as session:
        found = await session.get(Community, c.id)
        assert found is not None
        found.quiet_start = found.quiet_end = "00:00"
    member = harness.person(9401)
    await seed.join(member, c)
    now = utcnow()
    soon = (now + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    # Through the dashboard's doors, as an admin (who may convene every community).
    def plan(title: str, starts: str, minutes: str) -> Any:
        return planning.plan_for(harness.db, ADMIN, ADMINS, c.id, title, starts, minutes)

    def change(event_id: int, action: str, starts: str = "") -> Any:
        return planning.change_for(harness.db, ADMIN, ADMINS, c.id, event_id, action, starts)

    with pytest.raises(planning.EventRejected) as no_title:
        await plan("  ", soon, "60")
    assert str(no_title.value) == texts.EVENT_BAD_TITLE
    with pytest.raises(planning.EventRejected, match=re.escape(texts.EVENT_IN_PAST)):
        await plan("Huddle", "2020-01-01 10:00", "60")
    with pytest.raises(planning.EventRejected) as bad_length:
        await plan("Huddle", soon, "three days")
    assert str(bad_length.value) == texts.EVENT_BAD_DURATION
    planned_id, kept_id = await plan("Huddle", soon, "60"), await plan("Kept", soon, "1h30")
    async with harness.db.session() as session:
        planned = await session.get(Event, planned_id)
        kept = await session.get(Event, kept_id)
        assert planned is not None and kept is not None
    assert planned.ends_at - planned.starts_at == dt.timedelta(minutes=60)
    assert kept.ends_at - kept.starts_at == dt.timedelta(minutes=90)
    assert (await tick(harness, now)).planned == 2
    async with harness.db.session() as session:
        before = await session.scalar(select(Prompt).where(Prompt.event_id == planned.id))
        assert before is not None
        first_due = before.due_at

    later = (now + dt.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    assert await change(planned.id, "move", later)
    async with harness.db.session() as session:
        event = await session.get(Event, planned.id)
        assert event is not None
        assert event.ends_at - event.starts_at == dt.timedelta(minutes=60)  # keeps its length
    report = await tick(harness, utcnow())
    assert report.rescheduled == 1
    async with harness.db.session() as session:
        after = await session.scalar(select(Prompt).where(Prompt.event_id == planned.id))
        assert after is not None and after.due_at - first_due == dt.timedelta(hours=2)
    assert await change(kept.id, "cancel")
    async with harness.db.session() as session:
        gone = await session.scalar(select(Prompt).where(Prompt.event_id == kept.id))
        assert gone is not None and gone.status == PromptStatus.CANCELLED
    with pytest.raises(planning.EventRejected):
        await change(kept.id, "cancel")
    with pytest.raises(planning.EventRejected):
        await change(kept.id, "move", later)
