"""Creating an event says who will be asked about it and when, by the scheduler's own rules.

An event created after it happened may reach nobody: members who joined after its questions
fell due are never asked about it. Whoever creates it, on the command line or with /newevent,
is told so, and what they are told is what the scheduler then does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from pathlib import Path

from sqlalchemy import select, update

from flows import texts
from storage.models import Community, Member, Membership, utcnow
from tests import seed
from tests.clock import tick
from tests.harness import Harness
from valuestory.usecases.times import local_time

DAY = dt.timedelta(days=1)


async def cli(harness: Harness, cwd: Path, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": harness.settings.database_url, "TELEGRAM_BOT_TOKEN": ""}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "valuestory.cli", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def moment(told: object) -> dt.datetime:
    """A time as the command line's JSON gives it."""
    return dt.datetime.fromisoformat(str(told))


def on(day: dt.datetime, clock: str) -> str:
    return day.astimezone(dt.UTC).strftime("%Y-%m-%d ") + clock


async def create(harness: Harness, cwd: Path, c: Community, title: str, day: dt.datetime,
                 ) -> dict[str, object]:
    code, out, err = await cli(harness, cwd, "event", "create", "--community", c.name, "--title",
                               title, "--starts", on(day, "10:00"), "--ends", on(day, "11:00"),
                               "--json")
    assert code == 0, err
    asking = json.loads(out)["asking"]
    assert isinstance(asking, dict)
    return asking


async def test_an_event_created_after_the_fact_says_who_will_be_asked_and_the_scheduler_agrees(
    harness: Harness, tmp_path: Path
) -> None:
    c = await seed.community(harness.db, timezone="UTC")
    early, late = harness.person(801), harness.person(802)
    await seed.join(early, c)
    await seed.join(late, c)
    async with harness.db.session() as session:  # `early` joined a month ago; `late` just now
        await session.execute(update(Membership).values(joined_at=utcnow() - 30 * DAY))
        await session.execute(update(Membership).where(Membership.member_id.in_(
            select(Member.id).where(Member.telegram_user_id == late.user_id)))
            .values(joined_at=utcnow()))
    now = utcnow()

    yesterday = await create(harness, tmp_path, c, "Yesterday session", now - DAY)
    due = moment(yesterday["due"])
    assert yesterday["members"] == 1
    assert yesterday["text"] == texts.ASKING_NOW.format(members=texts.plural(1, "member"),
                                                        when=local_time(due, "UTC"))

    long_ago = await create(harness, tmp_path, c, "Last month session", now - 20 * DAY)
    assert long_ago["members"] == 0
    assert long_ago["text"] == texts.ASKING_NOBODY_CLOSED.format(
        when=local_time(moment(long_ago["due"]), "UTC"),
        closes=local_time(moment(long_ago["closes"]), "UTC"), days=7)

    coming = await create(harness, tmp_path, c, "Next week session", now + 7 * DAY)
    assert coming["members"] == 2
    assert coming["text"] == texts.ASKING_LATER.format(members=texts.plural(2, "member"),
                                                       when=local_time(moment(coming["due"]), "UTC"))

    code, out, _ = await cli(harness, tmp_path, "event", "create", "--community", c.name,
                             "--title", "Plain", "--starts", on(now - DAY, "10:00"), "--ends",
                             on(now - DAY, "11:00"))
    told = texts.ASKING_NOW.partition("{when}")[0].format(members=texts.plural(1, "member"))
    assert code == 0 and out.splitlines()[1].startswith(told)

    mark_early, mark_late = len(early.inbox), len(late.inbox)
    await tick(harness, utcnow())
    asked_early = [t for t in early.texts_since(mark_early) if "Yesterday session" in t]
    assert asked_early, early.texts_since(mark_early)
    assert not any("session" in t for t in late.texts_since(mark_late))  # as it was told
    assert not any("Last month session" in t for t in early.texts_since(mark_early))


async def test_an_event_with_nobody_who_joined_in_time_is_said_to_reach_nobody(
    harness: Harness, tmp_path: Path
) -> None:
    c = await seed.community(harness.db, timezone="UTC")
    newcomer = harness.person(811)
    await seed.join(newcomer, c)  # joins today, after yesterday's event
    asking = await create(harness, tmp_path, c, "Before they came", utcnow() - DAY)
    assert asking["members"] == 0
    assert asking["text"] == texts.ASKING_NOBODY_JOINED.format(
        when=local_time(moment(asking["due"]), "UTC"))


async def test_a_date_without_a_time_asks_for_the_time(harness: Harness, tmp_path: Path) -> None:
    c = await seed.community(harness.db)
    code, out, err = await cli(harness, tmp_path, "event", "create", "--community", c.name,
                               "--title", "Winter", "--starts", "2026-12-03", "--ends",
                               "2026-12-03 16:00")
    assert code == 2 and out == ""
    assert err == ("valuestory: '2026-12-03' has no time of day: give a date and time like "
                   "2026-12-03 14:00\n")

    convener = harness.person(821)
    await seed.grant(harness.db, convener.user_id, "convener", c)
    await convener.say("/newevent")
    await convener.say("Winter session")
    day = (utcnow() + 10 * DAY).strftime("%Y-%m-%d")
    assert await convener.say(day) == [texts.EVENT_NEEDS_TIME.format(example=f"{day} 14:00")]


async def test_newevent_says_when_members_will_be_asked_and_how_many(harness: Harness) -> None:
    c = await seed.community(harness.db, timezone="UTC")
    for user_id in (831, 832):
        await seed.join(harness.person(user_id), c)
    convener = harness.person(830)
    await seed.grant(harness.db, convener.user_id, "convener", c)
    start = (utcnow() + 10 * DAY).replace(hour=14, minute=0, second=0, microsecond=0)
    await convener.say("/newevent")
    await convener.say("Spring session")
    await convener.say(start.strftime("%Y-%m-%d %H:%M"))
    await convener.say("90")
    replies = await convener.tap(texts.BTN_CREATE)
    # Ends 15:30; asked 2 hours later, outside the quiet hours (20:00 to 08:00).
    asked = local_time(start + dt.timedelta(hours=3, minutes=30), "UTC")
    assert replies[-1] == (
        texts.EVENT_CREATED.format(title="Spring session", when=local_time(start, "UTC")) + " "
        + texts.ASKING_LATER.format(when=asked, members=texts.plural(2, "member")))
