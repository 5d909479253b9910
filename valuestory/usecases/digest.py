"""When a community's weekly digest is due, and who receives it. Front-end neutral."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Community, Role, RoleGrant


def last_slot(community: Community, now: dt.datetime) -> dt.datetime:
    """The most recent weekly digest time at or before `now`, in UTC."""
    zone = ZoneInfo(community.timezone)
    local = now.astimezone(zone)
    hours, minutes = (int(x) for x in community.digest_time.split(":"))
    day = local.date() - dt.timedelta(days=(local.weekday() - community.digest_weekday) % 7)
    slot = dt.datetime.combine(day, dt.time(hours, minutes), zone)
    if slot > local:
        slot = dt.datetime.combine(day - dt.timedelta(days=7), dt.time(hours, minutes), zone)
    return slot.astimezone(dt.UTC)


async def recipients(session: AsyncSession, community_id: int) -> list[int]:
    """Telegram ids of the community's conveners who want the digest."""
    return list((await session.scalars(
        select(RoleGrant.telegram_user_id).where(
            RoleGrant.community_id == community_id, RoleGrant.role == Role.CONVENER,
            RoleGrant.digest_enabled.is_(True),
        ).order_by(RoleGrant.id)
    )).all())
