"""The digest's statements: who wants it, when the last one went, a convener's preference."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Community, Role, RoleGrant, SchedulerState
from valuestory.usecases import matrix


async def recipients(session: AsyncSession, community_id: int) -> list[int]:
    """Telegram ids of the community's conveners who want the digest."""
    return list((await session.scalars(
        select(RoleGrant.telegram_user_id).where(
            RoleGrant.community_id == community_id, RoleGrant.role == Role.CONVENER,
            RoleGrant.digest_enabled.is_(True),
        ).order_by(RoleGrant.id)
    )).all())


async def community(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


async def last_digest_at(session: AsyncSession, community_id: int) -> dt.datetime | None:
    state = await session.get(SchedulerState, matrix.digest_key(community_id))
    return state.at if state is not None else None


async def record_digest(session: AsyncSession, community_id: int, now: dt.datetime) -> None:
    """Remember when a digest went out, so the next one can say what is new since."""
    key = matrix.digest_key(community_id)
    updated = await session.execute(
        update(SchedulerState).where(SchedulerState.key == key).values(at=now, value="sent")
        .execution_options(synchronize_session=False))
    if updated.rowcount:  # type: ignore[attr-defined]
        return
    try:
        async with session.begin_nested():
            session.add(SchedulerState(key=key, value="sent", at=now))
    except IntegrityError:
        pass  # another process recorded one at the same moment: either time will do


async def convener_grant(session: AsyncSession, user_id: int, community_id: int) -> RoleGrant | None:
    return await session.scalar(select(RoleGrant).where(
        RoleGrant.telegram_user_id == user_id, RoleGrant.community_id == community_id,
        RoleGrant.role == Role.CONVENER))
