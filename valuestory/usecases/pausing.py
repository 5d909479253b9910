"""Members pause and resume prompts, for one community or for all. Front-end neutral.

Every reply is in the member's language (Telegram's, for someone who is not a member).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n
from flows.engine import Later
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Member, Membership, utcnow
from valuestory.usecases import callbacks, speaking
from valuestory.usecases.callbacks import PauseStep, Prefix
from valuestory.usecases.conversation import queries as conversation_queries
from valuestory.usecases.out import Out

ALL = "all"


def pause_token(target: int | str) -> str:
    return callbacks.encode(Prefix.PAUSE, PauseStep.PAUSE, target)


def resume_token(target: int | str) -> str:
    return callbacks.encode(Prefix.PAUSE, PauseStep.RESUME, target)


async def _name(session: AsyncSession, membership: Membership) -> str:
    community = await session.get(Community, membership.community_id)
    assert community is not None
    return community.name


async def _choices(session: AsyncSession, t: i18n.Texts, question: str,
                   memberships: list[Membership], token: str) -> Out:
    rows = []
    for m in memberships:
        rows.append(((await _name(session, m), f"{token}{m.community_id}"),))
    rows.append(((t.BTN_ALL_COMMUNITIES, f"{token}{ALL}"),))
    return Out(question, tuple(rows))


async def _member(session: AsyncSession, user_id: int) -> tuple[Member | None, list[Membership]]:
    member = await repo.member_by_telegram_id(session, user_id, lock=True)
    if member is None:
        return None, []
    return member, list(await repo.memberships_of(session, member.id))


async def _hold_stories(session: AsyncSession, member: Member, community_id: int | None) -> None:
    """A story under way in what was paused waits as after Later: a message sent meanwhile is
    not taken as an answer until the member says to keep it (or carries on)."""
    for prompt in await repo.open_prompts(session, member.id, lock=True):
        if prompt.question_id is not None and community_id in (None, prompt.community_id):
            await conversation_queries.apply_action(session, prompt, Later(), utcnow())


async def pause(db: Database, user_id: int, target: str | None = None, *,
                telegram_language: str | None = None) -> list[Out]:
    """/pause, or a tap on one of its buttons: `target` is a community id or "all"."""
    async with db.session() as session:
        member, memberships = await _member(session, user_id)
        if member is None:
            return [Out(speaking.say(telegram_language).UNKNOWN_USER)]
        t = speaking.say(member.language)
        if not memberships:
            return [Out(t.PAUSE_NO_COMMUNITY)]
        if member.paused:
            return [Out(t.ALREADY_PAUSED)]
        active = [m for m in memberships if not m.paused]
        if target is None:
            if not active:
                return [Out(t.ALREADY_PAUSED)]
            if len(memberships) > 1:
                return [await _choices(session, t, t.PAUSE_WHICH, active, pause_token(""))]
            target = str(memberships[0].community_id)
        if target == ALL:
            member.paused = True
            await _hold_stories(session, member, None)
            return [Out(t.PAUSED_ALL)]
        chosen = next((m for m in memberships if str(m.community_id) == target), None)
        if chosen is None:
            return [Out(t.STALE_BUTTON)]
        chosen.paused = True
        await _hold_stories(session, member, chosen.community_id)
        name = speaking.value(member.language, await _name(session, chosen))
        return [Out(t.PAUSED_ONE.format(community=name))]


async def resume(db: Database, user_id: int, target: str | None = None, *,
                 telegram_language: str | None = None) -> list[Out]:
    """/resume, or a tap on one of its buttons: `target` is a community id or "all"."""
    async with db.session() as session:
        member, memberships = await _member(session, user_id)
        if member is None:
            return [Out(speaking.say(telegram_language).UNKNOWN_USER)]
        t = speaking.say(member.language)
        paused = [m for m in memberships if m.paused]
        if not member.paused and not paused:
            return [Out(t.NOT_PAUSED)]
        if target is None:
            candidates = memberships if member.paused else paused
            if len(memberships) == 1:
                target = ALL
            elif len(candidates) == 1:
                target = str(candidates[0].community_id)
            else:
                return [await _choices(session, t, t.RESUME_WHICH, candidates, resume_token(""))]
        if target == ALL:
            member.paused = False
            for m in memberships:
                m.paused = False
            if len(memberships) == 1:
                name = speaking.value(member.language,
                                          await _name(session, memberships[0]))
                return [Out(t.RESUMED_ONE.format(community=name))]
            return [Out(t.RESUMED_ALL)]
        chosen = next((m for m in memberships if str(m.community_id) == target), None)
        if chosen is None:
            return [Out(t.STALE_BUTTON)]
        if member.paused:
            # Paused for all, resuming one: the others stay paused, each on its own.
            member.paused = False
            for m in memberships:
                m.paused = True
        chosen.paused = False
        name = speaking.value(member.language, await _name(session, chosen))
        return [Out(t.RESUMED_ONE.format(community=name))]


async def press(db: Database, user_id: int, token: str, *,
                telegram_language: str | None = None) -> list[Out]:
    """A tap on a pause or resume button."""
    prefix, parts = callbacks.decode(token)
    if prefix is not Prefix.PAUSE or len(parts) != 2 or parts[0] not in tuple(PauseStep):
        return await speaking.reply(db, user_id, "STALE_BUTTON", telegram_language)
    if parts[0] == PauseStep.PAUSE:
        return await pause(db, user_id, parts[1], telegram_language=telegram_language)
    return await resume(db, user_id, parts[1], telegram_language=telegram_language)
