"""Seeding helpers for tests: communities, events, members, prompts, through the same code paths
admins and members use."""

from __future__ import annotations

from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Event, Prompt
from tests.harness import Harness, Person
from valuestory import admin


async def community(db: Database, name: str = "Diabetes in Pregnancy",
                    timezone: str = "Europe/London") -> Community:
    async with db.session() as session:
        return await admin.create_community(session, name, timezone)


async def event(db: Database, community: Community, title: str = "Winter Learning Session",
                starts: str = "2026-12-03 14:00", ends: str = "2026-12-03 16:00") -> Event:
    async with db.session() as session:
        c = await session.get(Community, community.id)
        assert c is not None
        return await admin.create_event(session, c, title, starts, ends)


async def join(person: Person, community: Community) -> None:
    """Open the invite link and agree, as a member would."""
    await person.say(f"/start {community.invite_code}")
    await person.tap("I agree")


async def open_prompt(db: Database, person: Person, event: Event) -> Prompt:
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, person.user_id)
        e = await session.get(Event, event.id)
        assert member is not None and e is not None
        return (await admin.open_prompt(session, member, e)).prompt


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
