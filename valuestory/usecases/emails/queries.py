"""Emails' SQL: the member a personal link's token opens, and stopping their emails."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, MemberEmail, MemberLink


async def member_of(session: AsyncSession, token_hash: str) -> Any:
    """(member id, language, paused, emails stopped at) for a link's token hash, or None.

    A revoked link still stops the emails: an unsubscribe address must keep working."""
    return (await session.execute(
        select(Member.id, Member.language, Member.paused, MemberEmail.unsubscribed_at)
        .join(MemberLink, MemberLink.member_id == Member.id)
        .outerjoin(MemberEmail, MemberEmail.member_id == Member.id)
        .where(MemberLink.token_hash == token_hash))).first()


async def stop(session: AsyncSession, member_id: int, now: dt.datetime) -> None:
    """No more emails: the member paused (as /pause does), the address marked as stopped."""
    await session.execute(update(Member).where(Member.id == member_id).values(paused=True)
                          .execution_options(synchronize_session=False))
    await session.execute(
        update(MemberEmail).where(MemberEmail.member_id == member_id,
                                  MemberEmail.unsubscribed_at.is_(None))
        .values(unsubscribed_at=now).execution_options(synchronize_session=False))
