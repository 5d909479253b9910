"""The statements of where a member is asked: whether they have an address confirmed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MemberEmail


async def email_confirmed(session: AsyncSession, member_id: int) -> bool:
    """Whether the member has an email address they confirmed (and did not stop, nor bounce)."""
    found = await session.scalar(select(MemberEmail.id).where(
        MemberEmail.member_id == member_id, MemberEmail.confirmed_at.is_not(None),
        MemberEmail.unsubscribed_at.is_(None), MemberEmail.unreachable_at.is_(None)))
    return found is not None
