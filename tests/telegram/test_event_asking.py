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
from valuestory.usecases import roles
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
    due = dt.datetime.fromisoformat(str(yesterday["due"]))
    assert yesterday["members"] == 1
    assert yesterday["text"] == (
        f"It has ended, so 1 member will be asked about it straight away: those who had joined "
        f"by {local_time(due, 'UTC')}, when its questions fell due. Members who joined later "
        "are not asked about it.")

    long_ago = await create(harness, tmp_path, c, "Last month session", now - 20 * DAY)
    assert long_ago["members"] == 0
    assert str(long_ago["text"]).startswith("Nobody will be asked about it: it ended too long ago.")
    assert "and closed on" in str(long_ago["text"]) and "7 days later" in str(long_ago["text"])

    coming = await create(harness, tmp_path, c, "Next week session", now + 7 * DAY)
    assert coming["members"] == 2
    assert str(coming["text"]).endswith(": 2 members now, and anyone who joins before then.")

    code, out, _ = await cli(harness, tmp_path, "event", "create", "--community", c.name,
                             "--title", "Plain", "--starts", on(now - DAY, "10:00"), "--ends",
                             on(now - DAY, "11:00"))
    assert code == 0 and out.splitlines()[1].startswith("It has ended, so 1 member will be asked")

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
    assert str(asking["text"]).startswith("Nobody will be asked about it: its questions fell due on")
    assert str(asking["text"]).endswith(
        "no member who can be asked had joined by then. Members who join later are not asked "
        "about past events.")


async def test_a_date_without_a_time_asks_for_the_time(harness: Harness, tmp_path: Path) -> None:
    c = await seed.community(harness.db)
    code, out, err = await cli(harness, tmp_path, "event", "create", "--community", c.name,
                               "--title", "Winter", "--starts", "2026-12-03", "--ends",
                               "2026-12-03 16:00")
    assert code == 2 and out == ""
    assert err == ("valuestory: '2026-12-03' has no time of day: give a date and time like "
                   "2026-12-03 14:00\n")

    convener = harness.person(821)
    async with harness.db.session() as session:
        community = await session.get(Community, c.id)
        await roles.grant_role(session, convener.user_id, "convener", community)
    await convener.say("/newevent")
    await convener.say("Winter session")
    day = (utcnow() + 10 * DAY).strftime("%Y-%m-%d")
    assert await convener.say(day) == [
        f"Please add the time it starts, like <code>{day} 14:00</code>."]


async def test_newevent_says_when_members_will_be_asked_and_how_many(harness: Harness) -> None:
    c = await seed.community(harness.db, timezone="UTC")
    for user_id in (831, 832):
        await seed.join(harness.person(user_id), c)
    convener = harness.person(830)
    async with harness.db.session() as session:
        community = await session.get(Community, c.id)
        await roles.grant_role(session, convener.user_id, "convener", community)
    start = (utcnow() + 10 * DAY).replace(hour=14, minute=0, second=0, microsecond=0)
    await convener.say("/newevent")
    await convener.say("Spring session")
    await convener.say(start.strftime("%Y-%m-%d %H:%M"))
    await convener.say("90")
    replies = await convener.tap(texts.BTN_CREATE)
    # Ends 15:30; asked 2 hours later, outside the quiet hours (20:00 to 08:00).
    asked = local_time(start + dt.timedelta(hours=3, minutes=30), "UTC")
    assert replies[-1] == (
        f"Done: <b>Spring session</b> is on {local_time(start, 'UTC')}. Members will be asked "
        f"about it on {asked}: 2 members now, and anyone who joins before then.")
