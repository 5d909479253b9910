"""Seeding helpers for tests: communities, events, members, prompts, through the same code paths
admins and members use."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Event, Membership, Prompt, utcnow
from tests.harness import Harness, Person
from valuestory.usecases import communities, events


async def community(db: Database, name: str = "Diabetes in Pregnancy",
                    timezone: str = "Europe/London") -> Community:
    async with db.session() as session:
        return await communities.create_community(session, name, timezone)


async def event(db: Database, community: Community, title: str = "Winter Learning Session",
                starts: str = "2026-12-03 14:00", ends: str = "2026-12-03 16:00") -> Event:
    async with db.session() as session:
        c = await session.get(Community, community.id)
        assert c is not None
        return await events.create_event(session, c, title, starts, ends)


async def join(person: Person, community: Community) -> None:
    """Open the invite link and agree, as a member would."""
    await person.say(f"/start {community.invite_code}")
    await person.tap("I agree")


async def open_prompt(db: Database, person: Person, event: Event) -> Prompt:
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, person.user_id)
        e = await session.get(Event, event.id)
        assert member is not None and e is not None
        return (await events.open_prompt(session, member, e)).prompt


async def member_with_open_prompt(harness: Harness, user_id: int,
                                  attended: bool = True) -> tuple[Person, Prompt]:
    """A member who joined, was asked about an event, and has started answering."""
    c = await community(harness.db)
    e = await event(harness.db, c)
    person = harness.person(user_id)
    await join(person, c)
    prompt = await open_prompt(harness.db, person, e)
    await person.say("/continue")
    if attended:
        await person.tap("Yes, I was there")
    return person, prompt


async def members_due_a_prompt_now(harness: Harness, first_user_id: int, count: int,
                                   title: str = "Evening Session") -> list[Person]:
    """`count` long-standing members of a community whose event just ended, asked at once."""
    c = await community(harness.db)
    people = [harness.person(first_user_id + i) for i in range(count)]
    for person in people:
        await join(person, c)
    async with harness.db.session() as s:
        found = await s.get(Community, c.id)
        assert found is not None
        found.prompt_delay_minutes, found.quiet_start, found.quiet_end = 0, "00:00", "00:00"
        now = utcnow()
        # Only members who had joined by the time an event ended are asked about it.
        for membership in (await s.scalars(select(Membership))).all():
            membership.joined_at = now - dt.timedelta(days=30)
        await events.create_event(s, found, title, now - dt.timedelta(hours=2),
                                 now - dt.timedelta(minutes=1))
    return people


async def grant(db: Database, user_id: int, role: str, community: Community | None) -> None:
    """Give someone a convener or researcher role, as an admin would."""
    from valuestory.usecases import roles

    async with db.session() as session:
        c = await session.get(Community, community.id) if community is not None else None
        await roles.grant_role(session, user_id, role, c)


async def revoke(db: Database, user_id: int) -> None:
    """Take away every role someone has."""
    from sqlalchemy import delete

    from storage.models import RoleGrant

    async with db.session() as session:
        await session.execute(delete(RoleGrant).where(RoleGrant.telegram_user_id == user_id))
