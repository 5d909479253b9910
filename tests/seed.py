"""Seeding helpers for tests: communities, events, members, prompts, through the same code paths
admins and members use."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Consent, Event, Member, Membership, Prompt, utcnow
from tests.harness import Harness, Person
from valuestory.usecases import communities, roles
from valuestory.usecases.conversation import CONSENT_VERSION
from valuestory.usecases.events import planning


async def community(db: Database, name: str = "Diabetes in Pregnancy",
                    timezone: str = "Europe/London") -> Community:
    async with db.session() as session:
        return await communities.create_community(session, name, timezone)


async def event(db: Database, community: Community, title: str = "Winter Learning Session",
                starts: str = "2026-12-03 14:00", ends: str = "2026-12-03 16:00") -> Event:
    async with db.session() as session:
        c = await session.get(Community, community.id)
        assert c is not None
        return await planning.create_event(session, c, title, starts, ends)


async def grant(db: Database, user_id: int, role: str, community: Community | None = None) -> None:
    """Give someone a convener or researcher role (a researcher of every community without one)."""
    async with db.session() as session:
        c = await session.get(Community, community.id) if community is not None else None
        await roles.grant_role(session, user_id, role, c)


# Two of the kinds of value in the default question set, as their buttons read.
INSIGHT = "A new insight or skill"
CONNECTION = "A useful connection"


async def tell(person: Person, moment: str, capitals: dict[str, str] | None = None,
               intention: str | None = None, *, begin: bool = True,
               stop: bool = True) -> list[str]:
    """Tell the post-event story as a member would, from "did you take part" to the recap.

    The member has a prompt open (`open_prompt`, or the scheduler's). `begin` sends /continue
    first (a prompt opened silently); a prompt the scheduler sent is already at its first
    question. `capitals` maps each kind of capital picked (its button
    label, in the question set's order) to what the member says about it; None stops the story
    before the capitals. With no intention the story is stopped there, or with `stop=False` the
    intention is skipped and the story completes. Returns what the bot said to the last step.
    """
    if begin:
        await person.say("/continue")
    await person.tap("Yes, I was there")
    await person.say(moment)
    await person.tap("Next")
    await person.tap("Skip")  # what the member valued most
    if capitals is None:
        return await person.say("/stop")
    for label in capitals:
        await person.tap(label)
    await person.tap("Done")
    for answer in capitals.values():
        await person.say(answer)
        await person.tap("Next")
    if intention is not None:
        await person.say(intention)
        return await person.tap("Next")
    return await person.say("/stop") if stop else await person.tap("Skip")


async def member(db: Database, community: Community, user_id: int,
                 joined: dt.datetime | None = None) -> None:
    """A member who agreed and joined, written straight to the database (no Telegram needed)."""
    async with db.session() as session:
        m = Member(telegram_user_id=user_id, chat_id=user_id)
        session.add(m)
        await session.flush()
        consent = Consent(member_id=m.id, version=CONSENT_VERSION)
        session.add(consent)
        await session.flush()
        session.add(Membership(member_id=m.id, community_id=community.id, pseudonym=f"P-{user_id}",
                               consent_id=consent.id, joined_at=joined or utcnow()))


async def join(person: Person, *communities: Community, agree: str = "I agree") -> Person:
    """Open each community's invite link and agree, as a member would; returns the person.

    Consent is asked on joining the first; a member who agreed once is not asked again, so the
    others only need the link. `agree` is the consent button in the member's language.
    """
    for i, c in enumerate(communities):
        await person.say(f"/start {c.invite_code}")
        if i == 0 or agree in person.last.buttons():
            await person.tap(agree)
    return person


async def open_prompt(db: Database, person: Person, event: Event) -> Prompt:
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, person.user_id)
        e = await session.get(Event, event.id)
        assert member is not None and e is not None
        return (await planning.open_prompt(session, member, e)).prompt


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
        await planning.create_event(s, found, title, now - dt.timedelta(hours=2),
                                   now - dt.timedelta(minutes=1))
    return people


async def revoke(db: Database, user_id: int) -> None:
    """Take away every role someone has."""
    from sqlalchemy import delete

    from storage.models import RoleGrant

    async with db.session() as session:
        await session.execute(delete(RoleGrant).where(RoleGrant.telegram_user_id == user_id))
