"""The statements of members' personal links: found by the hash of their token, made, revoked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, String, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import Member, MemberLink, Membership, UTCDateTime

_HASH = bindparam("token_hash", type_=String())
_NOW = bindparam("now", type_=UTCDateTime())
_LINK_ID = bindparam("link_id", type_=Integer())

# A link, whether revoked, its member's language, and whether they joined the community it
# invites them into: all a page needs before its door, in one statement.
_JOINED = (select(Membership.id).where(Membership.member_id == MemberLink.member_id,
                                       Membership.community_id == MemberLink.community_id)
           .exists())
_LINK = (select(MemberLink.id, MemberLink.member_id, MemberLink.community_id,
                MemberLink.revoked_at, MemberLink.last_used_at, Member.language,
                _JOINED.label("joined"))
         .join(Member, Member.id == MemberLink.member_id)
         .where(MemberLink.token_hash == _HASH))
_USED = update(MemberLink).where(MemberLink.id == _LINK_ID).values(last_used_at=_NOW)


async def link(conn: AsyncConnection, token_hash: str) -> Any:
    """(id, member id, community id, revoked at, last used at, language, joined), or None."""
    return (await conn.execute(_LINK, {"token_hash": token_hash})).first()


async def used(conn: AsyncConnection, link_id: int, now: dt.datetime) -> None:
    await conn.execute(_USED, {"link_id": link_id, "now": now})


async def member_in(session: AsyncSession, community_id: int, pseudonym: str) -> int | None:
    """The member with this pseudonym in this community."""
    return await session.scalar(select(Membership.member_id).where(
        Membership.community_id == community_id, Membership.pseudonym == pseudonym))


async def revoke_all(session: AsyncSession, member_id: int, now: dt.datetime) -> int:
    """Revoke every live link of a member; how many there were."""
    result = await session.execute(
        update(MemberLink).where(MemberLink.member_id == member_id,
                                 MemberLink.revoked_at.is_(None)).values(revoked_at=now))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def revoke_hash(session: AsyncSession, token_hash: str, now: dt.datetime) -> int:
    result = await session.execute(
        update(MemberLink).where(MemberLink.token_hash == token_hash,
                                 MemberLink.revoked_at.is_(None)).values(revoked_at=now))
    return int(result.rowcount)  # type: ignore[attr-defined]
