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


async def address_of(session: AsyncSession, member_id: int) -> Any:
    """(emails stopped at, address refused at, the member's channel) of the member's address,
    or None if they have none."""
    return (await session.execute(
        select(MemberEmail.unsubscribed_at, MemberEmail.unreachable_at, Member.channel)
        .join(Member, Member.id == MemberEmail.member_id)
        .where(MemberEmail.member_id == member_id))).first()


async def start_again(session: AsyncSession, member_id: int) -> bool:
    """Emails again after they were stopped: the member no longer paused, the address no longer
    stopped. False if no stopped address of theirs may be written to (nothing is changed)."""
    started = await session.execute(
        update(MemberEmail).where(MemberEmail.member_id == member_id,
                                  MemberEmail.unsubscribed_at.is_not(None),
                                  MemberEmail.unreachable_at.is_(None))
        .values(unsubscribed_at=None).execution_options(synchronize_session=False))
    if not started.rowcount:  # type: ignore[attr-defined]
        return False
    await session.execute(update(Member).where(Member.id == member_id).values(paused=False)
                          .execution_options(synchronize_session=False))
    return True
