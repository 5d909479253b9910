"""The scheduler's time rules, through `tick` with a fake at its `Sender` seam: no Telegram.

End-to-end stories with the real Application live in tests/telegram/test_scheduling.py; these
check when messages go and that none goes twice, on a clock the test controls.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from flows import texts
from storage.db import Database
from storage.models import Community, Delivery
from tests import seed
from tests.clock import at, day, text
from tests.fakes import FakeSender
from valuestory.usecases import scheduler
from valuestory.usecases.scheduler import Outcome

ASKED = "Did you take part in"


async def _evening_event(db: Database) -> Community:
    """A community (quiet 20:00-08:00, ask 2 hours after) whose event ends at 19:00 in 3 days."""
    community = await seed.community(db)
    await seed.member(db, community, 701, joined=at(day(0), "09:00") - dt.timedelta(days=1))
    await seed.event(db, community, "Evening Huddle", text(day(3), "18:00"), text(day(3), "19:00"))
    return community


async def test_a_prompt_due_in_quiet_hours_waits_for_the_morning(db: Database) -> None:
    await _evening_event(db)
    sender = FakeSender()
    await scheduler.tick(db, sender, at(day(3), "21:30"))  # due at 21:00: quiet
    assert sender.to(701) == []
    await scheduler.tick(db, sender, at(day(4), "07:59"))
    assert sender.to(701) == []
    await scheduler.tick(db, sender, at(day(4), "08:00"))
    assert len(sender.to(701)) == 1 and ASKED in sender.to(701)[0]


async def test_the_reminder_comes_once_after_its_hours(db: Database) -> None:
    await _evening_event(db)
    sender = FakeSender()
    await scheduler.tick(db, sender, at(day(4), "08:00"))
    report = await scheduler.tick(db, sender, at(day(6), "08:01"))  # 48 hours on
    assert report.reminded == 1
    again = await scheduler.tick(db, sender, at(day(6), "12:00"))
    assert again.reminded == 0 and len(sender.to(701)) == 2


async def test_a_send_that_may_have_arrived_is_never_repeated_but_asked_once_in_case(
    db: Database,
) -> None:
    await _evening_event(db)
    unsure = FakeSender(outcome=Outcome.UNCERTAIN)
    await scheduler.tick(db, unsure, at(day(4), "08:00"))
    later = FakeSender()
    report = await scheduler.tick(db, later, at(day(4), "09:00"))
    await scheduler.tick(db, later, at(day(6), "09:00"))  # not even a reminder
    assert len(unsure.to(701)) == 1
    # The member is reached once more, by a message that reads well if the first one came too.
    assert later.to(701) == [texts.IN_CASE.format(event="Evening Huddle",
                                                  minutes="5 minutes")]
    assert report.asked_again == report.resolved == 1
    async with db.session() as s:
        rows = (await s.scalars(select(Delivery).order_by(Delivery.id))).all()
        assert [(d.purpose, d.status) for d in rows] == [("prompt", "uncertain"), ("again", "sent")]
