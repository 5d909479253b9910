"""Seeding helpers for tests, one per act: communities, events, members, roles, prompts, stories.

Each goes through the use case (or, for `join` and `tell`, the chat) that an admin, convener or
member would go through; where a helper also writes a row straight to the database (a date no
use case sets), its docstring says so.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from flows import texts
from flows.questions import PromptKind, load_question_set
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Event, Membership, Prompt, utcnow
from tests.harness import Harness, Person
from valuestory.usecases import communities, community_settings, conversation, retention, roles
from valuestory.usecases.events import planning

T = TypeVar("T")


async def _read(db: Database, model: type[T], row_id: int) -> T:
    """A row a door made, read back for the test to use."""
    async with db.session() as session:
        found = await session.get(model, row_id)
        assert found is not None
        return found


async def community(db: Database, name: str = "Diabetes in Pregnancy",
                    timezone: str = "Europe/London", question_set: str = "default",
                    language: str = "en") -> Community:
    """A community, created through the door `community create` calls."""
    made = await communities.create(db, name, timezone, question_set, language)
    return await _read(db, Community, made.id)


async def event(db: Database, community: Community, title: str = "Winter Learning Session",
                starts: str | dt.datetime = "2026-12-03 14:00",
                ends: str | dt.datetime = "2026-12-03 16:00") -> Event:
    """An event, created through the door `event create` calls (times in its zone as typed, or
    ISO 8601, as a datetime gives them); another with the same title and start is another event,
    as with `--again`."""
    made, _ = await planning.schedule(db, str(community.id), title, _typed(starts), _typed(ends),
                                      again=True)
    return await _read(db, Event, int(str(made["id"])))


async def grant(db: Database, user_id: int, role: str, community: Community | None = None) -> None:
    """Give someone a convener or researcher role (a researcher of every community without one),
    through the door `role grant` calls."""
    await roles.grant(db, user_id, role, str(community.id) if community is not None else None)




def _typed(when: str | dt.datetime) -> str:
    return when.isoformat() if isinstance(when, dt.datetime) else when


def _button(question: str, option: str) -> str:
    """An option of the default question set's post-event questions, as its button reads."""
    found = load_question_set().script(PromptKind.POST_EVENT).question(question)
    assert found is not None
    return next(o.label for o in found.options if o.id == option)


def asked(question: str, event: str = "Winter Learning Session",
          kind: PromptKind = PromptKind.POST_EVENT, language: str = "en") -> str:
    """A question of the default question set as a member reads it about `event` (a title with
    nothing to escape), so a test finds it however the question set words it."""
    found = load_question_set().script(kind, language=language).question(question)
    assert found is not None
    return found.text.format(event=event)


# Whether a member took part, and two of the kinds of value, as their buttons read.
THERE = _button("attended", "yes")
MISSED = _button("attended", "no")
INSIGHT = _button("potential.capitals", "human")
CONNECTION = _button("potential.capitals", "social")


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
    await person.tap(THERE)
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


async def open_prompt(db: Database, person: Person | int, event: Event,
                      kind: PromptKind = PromptKind.POST_EVENT,
                      now: dt.datetime | None = None) -> Prompt:
    """Open a prompt for a member (a person in the chat, or a Telegram user id), through the door
    `prompt open` calls, but quietly: the member starts it with /continue (`tell` does)."""
    user_id = person if isinstance(person, int) else person.user_id
    opened = await planning.open_by_hand(db, event.id, user_id, kind, quietly=True, now=now)
    [prompt_id] = opened.created or opened.already_open
    return await _read(db, Prompt, prompt_id)


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
        await person.tap(THERE)
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
    await community_settings.change(harness.db, str(c.id), community_settings.Change(
        delay="0", quiet="off"), {}, actor="test")
    now = utcnow()
    async with harness.db.session() as s:
        await s.execute(update(Membership).where(Membership.community_id == c.id)
                        .values(joined_at=now - dt.timedelta(days=30)))
    await event(harness.db, c, title, (now - dt.timedelta(hours=2)).isoformat(),
                (now - dt.timedelta(minutes=1)).isoformat())
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
    await community_settings.change(harness.db, str(c.id), community_settings.Change(
        digest=f"{slot:%A} {slot:%H:%M}".lower()), {}, actor="test")
    async with harness.db.session() as s:
        found = await s.get(Community, c.id)
        assert found is not None
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


async def email_member(db: Database, community: Community, address: str, language: str = "en",
                       joined: dt.datetime | None = None) -> int:
    """A member invited by email (the door `member invite` calls) who agreed on their page; the
    member's id.

    The agreement (consent and membership, as the member's page records them) and `joined` are
    written straight to the database.
    """
    from storage.models import Consent, MemberEmail
    from valuestory.usecases import invitations

    await invitations.invite(db, str(community.id), address, language)
    async with db.session() as session:
        member_id = (await session.scalars(
            select(MemberEmail.member_id).where(MemberEmail.address == address))).one()
        consent = Consent(member_id=member_id, language=language,
                          version=conversation.consent_version(language, community.keep_audio))
        session.add(consent)
        await session.flush()
        session.add(Membership(member_id=member_id, community_id=community.id,
                               pseudonym=conversation.new_pseudonym(), consent_id=consent.id,
                               joined_at=joined or utcnow()))
    return member_id
