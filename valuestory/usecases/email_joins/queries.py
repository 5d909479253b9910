"""Joining by email's SQL: the community an invite code opens, a join waiting for its address
to be confirmed (kept by the hash of its code), and the member it makes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Community, EmailJoin


async def community_by_invite(session: AsyncSession, code: str) -> Community | None:
    return await session.scalar(select(Community).where(Community.invite_code == code))


async def waiting(session: AsyncSession, code_hash: str, now: dt.datetime
                  ) -> tuple[EmailJoin, Community] | None:
    """A join whose code this is and has not expired, with its community."""
    row = (await session.execute(
        select(EmailJoin, Community).join(Community, Community.id == EmailJoin.community_id)
        .where(EmailJoin.code_hash == code_hash, EmailJoin.expires_at > now))).first()
    return (row[0], row[1]) if row else None


async def forget_expired(session: AsyncSession, now: dt.datetime) -> None:
    """Joins never confirmed in time: their addresses are not kept."""
    await session.execute(delete(EmailJoin).where(EmailJoin.expires_at <= now)
                          .execution_options(synchronize_session=False))
