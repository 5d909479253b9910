"""Retention on a controllable clock: notice a week ahead, daily erasure, audit, exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.scheduling import TelegramSender
from flows import texts
from storage.db import Database
from storage.models import AuditEntry, Choice, Community, Narrative, Prompt, utcnow
from tests import seed
from tests.harness import Harness
from valuestory.usecases import retention

LONDON = ZoneInfo("Europe/London")
CONVENER = 9100
OTHER_CONVENER = 9200


def months_later(moment: dt.datetime, months: int) -> dt.datetime:
    return retention.months_before(moment, -months, LONDON)


async def keep_for(db: Database, community: Community, months: int | None) -> None:
    async with db.session() as s:
        c = await s.get(Community, community.id)
        assert c is not None
        await retention.set_months(s, c, months, actor="test")


async def audit(db: Database, action: str) -> list[AuditEntry]:
    async with db.session() as s:
        return list((await s.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))).all())


async def narratives(db: Database, community: Community) -> list[str]:
    async with db.session() as s:
        return list((await s.scalars(select(Narrative.text).where(
            Narrative.community_id == community.id).order_by(Narrative.id))).all())


async def told_story(harness: Harness, community: Community, user_id: int) -> None:
    event = await seed.event(harness.db, community)
    person = harness.person(user_id)
    await seed.join(person, community)
    await seed.open_prompt(harness.db, person, event)
    await seed.tell(person, f"Moment {user_id}", {seed.INSIGHT: f"Insight {user_id}",
                                                  seed.CONNECTION: f"Contact {user_id}"},
                    f"Plan {user_id}")


def later_that_day(moment: dt.datetime, hours: int) -> dt.datetime:
    """A few hours later, but still the same day in London, whatever time the test runs at."""
    last_minute = dt.datetime.combine(moment.astimezone(LONDON).date(), dt.time(23, 59), LONDON)
    return min(moment + dt.timedelta(hours=hours), last_minute)


async def test_conveners_are_told_a_week_ahead_then_old_answers_are_erased_and_audited(
    harness: Harness,
) -> None:
    db = harness.db
    kept = await seed.community(db, "Frailty Network")
    limited = await seed.community(db, "Diabetes in Pregnancy")
    await seed.grant(db, CONVENER, "convener", limited)
    await seed.grant(db, OTHER_CONVENER, "convener", kept)
    await told_story(harness, limited, 501)
    await told_story(harness, kept, 502)
    told_at = utcnow()
    await keep_for(db, limited, 12)

    sender = TelegramSender(harness.app.bot, rate=0, backoff=0)

    convener = harness.double
    limit = months_later(told_at, 12)

    assert await retention.run(db, limit - dt.timedelta(days=8), sender) == [
        retention.Outcome(limited.id)]
    assert convener.texts(CONVENER) == []

    day = limit - dt.timedelta(days=6)
    [outcome] = await retention.run(db, day, sender)
    assert (outcome.noticed, outcome.conveners_told, outcome.erased) == (4, 1, 0)
    [notice] = convener.texts(CONVENER)
    assert texts.RETENTION_NOTICE.partition("\n")[0].format(
        community="Diabetes in Pregnancy") in notice
    assert "keeps stories for 12 months" in notice and "erase 4 answers" in notice
    erase_day = (day + dt.timedelta(days=7)).astimezone(LONDON)
    assert erase_day.strftime("%-d %B %Y") in notice
    assert convener.texts(OTHER_CONVENER) == []
    assert await retention.run(db, later_that_day(day, hours=1), sender) == []  # once a day
    assert len(await narratives(db, limited)) == 4

    [outcome] = await retention.run(db, day + dt.timedelta(days=7), sender)
    assert (outcome.erased, outcome.revisions) == (4, 0)
    assert await narratives(db, limited) == []
    assert await narratives(db, kept) == ["Moment 502", "Insight 502", "Contact 502", "Plan 502"]
    [erased] = await audit(db, "retention.erase")
    assert erased.community_id == limited.id and erased.actor == "retention"
    assert erased.details["narratives"] == 4 and erased.details["months"] == 12
    [noticed] = await audit(db, "retention.notice")
    assert noticed.details["narratives"] == 4
    async with db.session() as s:
        # Attendance and prompts are evidence of participation, not narratives: they stay.
        assert await s.scalar(select(func.count(Choice.id))) == 4
        assert await s.scalar(select(func.count(Prompt.id))) == 2

    assert await retention.run(db, later_that_day(day + dt.timedelta(days=7), hours=2), sender) == []
    assert len(await audit(db, "retention.erase")) == 1
    assert len(convener.texts(CONVENER)) == 1  # told once, before the first erasure only


async def test_first_erasure_waits_a_week_after_the_notice_even_for_long_overdue_answers(
    harness: Harness, database_url: str,
) -> None:
    db = harness.db
    community = await seed.community(db)
    await seed.grant(db, CONVENER, "convener", community)
    await told_story(harness, community, 503)
    await keep_for(db, community, 1)
    now = months_later(utcnow(), 3)

    sender = TelegramSender(harness.app.bot, rate=0, backoff=0)

    # Two processes run the same daily check at the same moment: one notice, one message.
    other = Database(database_url)
    try:
        results = await asyncio.gather(retention.run(db, now, sender),
                                       retention.run(other, now, sender))
    finally:
        await other.dispose()
    assert sorted(len(r) for r in results) == [0, 1]
    assert len(harness.double.texts(CONVENER)) == 1
    assert len(await audit(db, "retention.notice")) == 1

    for days in range(1, 7):
        await retention.run(db, now + dt.timedelta(days=days), sender)
        assert len(await narratives(db, community)) == 4, f"erased after {days} days"

    # The limit changes before anything was erased: conveners are told again, a week ahead.
    await keep_for(db, community, 2)
    [outcome] = await retention.run(db, now + dt.timedelta(days=7), sender)
    assert (outcome.erased, outcome.conveners_told) == (0, 1)
    assert "keeps stories for 2 months" in harness.double.texts(CONVENER)[-1]
    [outcome] = await retention.run(db, now + dt.timedelta(days=14), sender)
    assert outcome.erased == 4
    assert await narratives(db, community) == []
    assert [e.details["months"] for e in await audit(db, "retention.set")] == [1, 2]


def test_months_are_calendar_months_in_the_communitys_zone() -> None:
    # 31 March 2026, 13:00 in London (summer time): a month earlier has no 31st.
    moment = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
    assert retention.months_before(moment, 1, LONDON) == dt.datetime(2026, 2, 28, 13, 0,
                                                                      tzinfo=dt.UTC)
    assert retention.months_before(moment, 12, LONDON) == dt.datetime(2025, 3, 31, 12, 0,
                                                                       tzinfo=dt.UTC)
    # 13:00 in London summer time is 13:00 in London winter time, an hour later in UTC.
    summer = dt.datetime(2026, 7, 15, 12, 0, tzinfo=dt.UTC)
    assert retention.months_before(summer, 6, LONDON) == dt.datetime(2026, 1, 15, 13, 0,
                                                                      tzinfo=dt.UTC)
