"""Invitations' SQL: a member made for an address, their invitation to a community, and the
invitation email's claim (due, claimed, sending, then how it went)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Channel,
    Community,
    Invitation,
    Member,
    MemberEmail,
    MemberLink,
    Membership,
    SchedulerState,
)
from valuestory.usecases.scheduler.queries import LEASE_PREFIX, put_on_wire, record_outcome

DUE, CLAIMED, SENDING, UNCERTAIN = "due", "claimed", "sending", "uncertain"


def token_hash(token: str) -> str:
    """What is kept of a personal link's token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


async def new_link(session: AsyncSession, member_id: int, now: dt.datetime,
                   community_id: int | None = None) -> str:
    """A new personal link for the member (inviting them into `community_id`, if given); the
    token is returned once and kept only hashed."""
    token = secrets.token_urlsafe(24)
    session.add(MemberLink(member_id=member_id, token_hash=token_hash(token),
                           community_id=community_id, created_at=now))
    return token


async def member_by_address(session: AsyncSession, address: str) -> Member | None:
    return await session.scalar(
        select(Member).join(MemberEmail, MemberEmail.member_id == Member.id)
        .where(func.lower(MemberEmail.address) == address.lower()))


async def add_member(session: AsyncSession, address: str, language: str,
                     now: dt.datetime) -> Member:
    """A member reached by email: no Telegram, the address only in member_emails."""
    member = Member(channel=Channel.EMAIL, language=language, created_at=now)
    session.add(member)
    await session.flush()
    session.add(MemberEmail(member_id=member.id, address=address, created_at=now))
    return member


async def confirmed(session: AsyncSession, member_id: int, now: dt.datetime) -> None:
    """Its owner showed the address is theirs (they opened a link sent to it)."""
    await session.execute(
        update(MemberEmail).where(MemberEmail.member_id == member_id,
                                  MemberEmail.confirmed_at.is_(None))
        .values(confirmed_at=now).execution_options(synchronize_session=False))


async def joined(session: AsyncSession, member_id: int, community_id: int) -> bool:
    return bool(await session.scalar(
        select(func.count(Membership.id)).where(Membership.member_id == member_id,
                                                Membership.community_id == community_id)))


async def invitation(session: AsyncSession, member_id: int, community_id: int
                     ) -> Invitation | None:
    return await session.scalar(select(Invitation).where(
        Invitation.member_id == member_id, Invitation.community_id == community_id))


def reachable() -> Any:
    """An address still to be written to: not stopped by its owner, not refused for good."""
    return (MemberEmail.unsubscribed_at.is_(None)) & (MemberEmail.unreachable_at.is_(None))


def _due() -> Any:
    return (select(Invitation, MemberEmail.address, Member.language, Community.name)
            .join(Member, Member.id == Invitation.member_id)
            .join(MemberEmail, MemberEmail.member_id == Invitation.member_id)
            .join(Community, Community.id == Invitation.community_id)
            .where(Invitation.status == DUE, reachable(), Member.paused.is_(False),
                   Member.unreachable_at.is_(None)))


async def claim_due(session: AsyncSession, worker: str, now: dt.datetime, limit: int
                    ) -> Sequence[Any]:
    """Claim due invitations (oldest first): rows of (invitation, address, language, community)."""
    rows = (await session.execute(
        _due().order_by(Invitation.id).limit(limit).with_for_update(of=Invitation,
                                                                     skip_locked=True))).all()
    for row in rows:
        row[0].status, row[0].claimed_by, row[0].claimed_at = CLAIMED, worker, now
    return rows


async def on_wire(session: AsyncSession, invitation_id: int, worker: str, now: dt.datetime) -> bool:
    return await put_on_wire(session, Invitation, invitation_id, worker, now)


async def record(session: AsyncSession, invitation_id: int, values: dict[str, Any]) -> None:
    await record_outcome(session, Invitation, invitation_id, values)


async def give_back(session: AsyncSession, invitation_id: int, worker: str) -> None:
    """A claim that surely did not go (on the wire or not): due again, as before it."""
    await session.execute(
        update(Invitation).where(Invitation.id == invitation_id, Invitation.claimed_by == worker,
                                 Invitation.status.in_((CLAIMED, SENDING)))
        .values(status=DUE, claimed_by=None, claimed_at=None, wire_at=None)
        .execution_options(synchronize_session=False))


async def recover(session: AsyncSession, now: dt.datetime, lease: dt.timedelta,
                  worker: str) -> tuple[int, int]:
    """A stopped process's invitations (this one's own count as stopped: one run at a time):
    claims due again, those on the wire in doubt, never sent again (how many of each)."""
    alive = select(SchedulerState.value).where(
        SchedulerState.key.startswith(LEASE_PREFIX), SchedulerState.at > now - lease,
        SchedulerState.value.is_not(None), SchedulerState.value != worker)
    orphan = or_(Invitation.claimed_by == worker, Invitation.claimed_by.not_in(alive))
    released = (await session.execute(
        update(Invitation).where(Invitation.status == CLAIMED, orphan)
        .values(status=DUE, claimed_by=None, claimed_at=None)
        .returning(Invitation.id).execution_options(synchronize_session=False))).all()
    doubt = (await session.execute(
        update(Invitation).where(Invitation.status == SENDING, orphan)
        .values(status=UNCERTAIN, error="on the wire when its process stopped")
        .returning(Invitation.id).execution_options(synchronize_session=False))).all()
    return len(released), len(doubt)


async def address_refused(session: AsyncSession, member_id: int, now: dt.datetime) -> None:
    """The mail server refused the address for good: not written to again, as a blocked bot."""
    await session.execute(
        update(MemberEmail).where(MemberEmail.member_id == member_id)
        .values(unreachable_at=now).execution_options(synchronize_session=False))
    await session.execute(
        update(Member).where(Member.id == member_id).values(unreachable_at=now)
        .execution_options(synchronize_session=False))
