"""Members pause and resume prompts, for one community or for all. Front-end neutral."""

from __future__ import annotations

from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from flows import texts
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Member, Membership
from valuestory.usecases import callbacks
from valuestory.usecases.callbacks import Prefix
from valuestory.usecases.out import Out

ALL = "all"


def pause_token(target: int | str) -> str:
    return callbacks.encode(Prefix.PAUSE, "p", target)


def resume_token(target: int | str) -> str:
    return callbacks.encode(Prefix.PAUSE, "r", target)


async def _name(session: AsyncSession, membership: Membership) -> str:
    community = await session.get(Community, membership.community_id)
    assert community is not None
    return community.name


async def _choices(session: AsyncSession, question: str, memberships: list[Membership],
                   token: str) -> Out:
    rows = []
    for m in memberships:
        rows.append(((await _name(session, m), f"{token}{m.community_id}"),))
    rows.append(((texts.BTN_ALL_COMMUNITIES, f"{token}{ALL}"),))
    return Out(question, tuple(rows))


async def _member(session: AsyncSession, user_id: int) -> tuple[Member | None, list[Membership]]:
    member = await repo.member_by_telegram_id(session, user_id, lock=True)
    if member is None:
        return None, []
    return member, list(await repo.memberships_of(session, member.id))


async def pause(db: Database, user_id: int, target: str | None = None) -> list[Out]:
    """/pause, or a tap on one of its buttons: `target` is a community id or "all"."""
    async with db.session() as session:
        member, memberships = await _member(session, user_id)
        if member is None:
            return [Out(texts.UNKNOWN_USER)]
        if not memberships:
            return [Out(texts.PAUSE_NO_COMMUNITY)]
        if member.paused:
            return [Out(texts.ALREADY_PAUSED)]
        active = [m for m in memberships if not m.paused]
        if target is None:
            if not active:
                return [Out(texts.ALREADY_PAUSED)]
            if len(memberships) > 1:
                return [await _choices(session, texts.PAUSE_WHICH, active, pause_token(""))]
            target = str(memberships[0].community_id)
        if target == ALL:
            member.paused = True
            return [Out(texts.PAUSED_ALL)]
        chosen = next((m for m in memberships if str(m.community_id) == target), None)
        if chosen is None:
            return [Out(texts.STALE_BUTTON)]
        chosen.paused = True
        return [Out(texts.PAUSED_ONE.format(community=escape(await _name(session, chosen))))]


async def resume(db: Database, user_id: int, target: str | None = None) -> list[Out]:
    """/resume, or a tap on one of its buttons: `target` is a community id or "all"."""
    async with db.session() as session:
        member, memberships = await _member(session, user_id)
        if member is None:
            return [Out(texts.UNKNOWN_USER)]
        paused = [m for m in memberships if m.paused]
        if not member.paused and not paused:
            return [Out(texts.NOT_PAUSED)]
        if target is None:
            candidates = memberships if member.paused else paused
            if len(memberships) == 1:
                target = ALL
            elif len(candidates) == 1:
                target = str(candidates[0].community_id)
            else:
                return [await _choices(session, texts.RESUME_WHICH, candidates, resume_token(""))]
        if target == ALL:
            member.paused = False
            for m in memberships:
                m.paused = False
            if len(memberships) == 1:
                name = escape(await _name(session, memberships[0]))
                return [Out(texts.RESUMED_ONE.format(community=name))]
            return [Out(texts.RESUMED_ALL)]
        chosen = next((m for m in memberships if str(m.community_id) == target), None)
        if chosen is None:
            return [Out(texts.STALE_BUTTON)]
        if member.paused:
            # Paused for all, resuming one: the others stay paused, each on its own.
            member.paused = False
            for m in memberships:
                m.paused = True
        chosen.paused = False
        return [Out(texts.RESUMED_ONE.format(community=escape(await _name(session, chosen))))]


async def press(db: Database, user_id: int, token: str) -> list[Out]:
    """A tap on a pause or resume button."""
    prefix, parts = callbacks.decode(token)
    if prefix is not Prefix.PAUSE or len(parts) != 2 or parts[0] not in ("p", "r"):
        return [Out(texts.STALE_BUTTON)]
    if parts[0] == "p":
        return await pause(db, user_id, parts[1])
    return await resume(db, user_id, parts[1])
