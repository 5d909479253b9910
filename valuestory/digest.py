"""When a community's weekly digest is due, and who receives it. Front-end neutral."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Community, Role, RoleGrant


def parse_hhmm(text: str) -> str | None:
    """'9:00' or '09:00' as '09:00'; None if it isn't a time of day."""
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    hours, minutes = int(parts[0]), int(parts[1])
    if not (0 <= hours < 24 and 0 <= minutes < 60 and len(parts[1]) == 2):
        return None
    return f"{hours:02d}:{minutes:02d}"


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
