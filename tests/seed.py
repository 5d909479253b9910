"""Seeding helpers for tests, one per act: communities, events, members, roles, prompts, stories.

Each goes through the use case (or, for `join` and `tell`, the chat) that an admin, convener or
member would go through; where a helper also writes a row straight to the database (a date no
use case sets), its docstring says so.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import update

from flows import texts
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Event, Membership, Prompt, utcnow
from tests.harness import Harness, Person
from valuestory.usecases import communities, community_settings, conversation, retention, roles
from valuestory.usecases.events import planning


async def community(db: Database, name: str = "Diabetes in Pregnancy",
                    timezone: str = "Europe/London") -> Community:
    """A community, created by the use case /newcommunity and `community create` call."""
    async with db.session() as session:
        return await communities.create_community(session, name, timezone)


async def event(db: Database, community: Community, title: str = "Winter Learning Session",
                starts: str = "2026-12-03 14:00", ends: str = "2026-12-03 16:00") -> Event:
    """An event, created by the use case a convener's /newevent ends in (times in its zone)."""
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
    question. `capitals` maps each kind of capital picked (its button label, in the question
    set's order; `INSIGHT`, `CONNECTION`) to what the member says about it; None stops the story
    before the capitals. With no intention the story is stopped there, or with `stop=False` the
    intention is skipped and the story completes. Returns what the bot said to the last step.
    """
    if begin:
        await person.say("/continue")
    await person.tap("Yes, I was there")
    await person.say(moment)
    await person.tap(texts.BTN_NEXT)
    await person.tap(texts.BTN_SKIP)  # what the member valued most
    if capitals is None:
        return await person.say("/stop")
    for label in capitals:
        await person.tap(label)
    await person.tap(texts.BTN_DONE)
    for answer in capitals.values():
        await person.say(answer)
        await person.tap(texts.BTN_NEXT)
    if intention is not None:
        await person.say(intention)
        return await person.tap(texts.BTN_NEXT)
    return await person.say("/stop") if stop else await person.tap(texts.BTN_SKIP)


async def member(db: Database, community: Community, user_id: int,
                 joined: dt.datetime | None = None) -> None:
    """A member who opened the invite link and agreed, through the use cases /start and the
    I agree button call (no Telegram needed).

    `joined` backdates the joining; no use case moves that date, so it is written straight to
    the membership.
    """
    information = await conversation.start(db, user_id, user_id, community.invite_code)
    agree = next(token for out in information for row in out.buttons for label, token in row
                 if label == texts.BTN_AGREE)
    await conversation.answer_consent(db, user_id, user_id, agree)
    if joined is not None:
        async with db.session() as session:
            m = await repo.member_by_telegram_id(session, user_id)
            assert m is not None
            await session.execute(update(Membership).where(
                Membership.member_id == m.id, Membership.community_id == community.id,
            ).values(joined_at=joined))


async def join(person: Person, *communities: Community, agree: str = texts.BTN_AGREE) -> Person:
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
    """Open the post-event prompt for a member, through the use case the scheduler calls, but
    silently: the member starts it with /continue (`tell` does)."""
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
    """`count` long-standing members of a community whose event just ended, asked at once.

    The community asks at once, with no quiet hours (its settings changed as /settings would).
    Only members who had joined by the time an event ended are asked about it, so their joining
    is backdated a month, straight in the database: no use case moves that date.
    """
    c = await community(harness.db)
    people = [harness.person(first_user_id + i) for i in range(count)]
    for person in people:
        await join(person, c)
    async with harness.db.session() as s:
        found = await s.get(Community, c.id)
        assert found is not None
        community_settings.apply(found, community_settings.Change(delay="0", quiet="off"))
        now = utcnow()
        await s.execute(update(Membership).where(Membership.community_id == c.id)
                        .values(joined_at=now - dt.timedelta(days=30)))
        await planning.create_event(s, found, title, now - dt.timedelta(hours=2),
                                   now - dt.timedelta(minutes=1))
    return people


async def revoke(db: Database, user_id: int) -> None:
    """Take away every role someone has, as /revoke does for each."""
    held = {g["role"] for g in await roles.listing(db) if g["telegram_user_id"] == user_id}
    for role in held:
        await roles.revoke(db, user_id, str(role), None)


async def conveners_due_a_digest_now(harness: Harness, first_user_id: int,
                                     count: int) -> list[int]:
    """`count` conveners of a community whose weekly digest fell due a minute ago.

    The digest's day and time are set as /digest would; the community's creation is backdated a
    week straight in the database (no use case moves it): no digest is due for a week the
    community did not exist in.
    """
    c = await community(harness.db, "Frailty Network")
    conveners = list(range(first_user_id, first_user_id + count))
    for user_id in conveners:
        await grant(harness.db, user_id, "convener", c)
    now = utcnow()
    slot = (now - dt.timedelta(minutes=1)).astimezone(ZoneInfo(c.timezone))
    async with harness.db.session() as s:
        found = await s.get(Community, c.id)
        assert found is not None
        community_settings.apply(found, community_settings.Change(
            digest=f"{slot:%A} {slot:%H:%M}".lower()))
        found.created_at = now - dt.timedelta(days=8)
    return conveners


async def conveners_told_of_an_erasure(harness: Harness, first_user_id: int, count: int,
                                       teller: int) -> list[int]:
    """`count` conveners of a community that keeps stories a month, one story told in it, and
    the daily retention check run three months on: each convener has a notice due to them."""
    c = await community(harness.db, "Frailty Network")
    conveners = list(range(first_user_id, first_user_id + count))
    for user_id in conveners:
        await grant(harness.db, user_id, "convener", c)
    person = harness.person(teller)
    await join(person, c)
    await open_prompt(harness.db, person, await event(harness.db, c))
    await tell(person, "A moment")
    await retention.set_for(harness.db, str(c.id), 1, actor="test")
    [outcome] = await retention.run(harness.db, utcnow() + dt.timedelta(days=90))
    assert outcome.noticed
    return conveners
