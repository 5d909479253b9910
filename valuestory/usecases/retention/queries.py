"""Retention's statements: which communities keep answers for a limited time, the day's claim,
the notice and its conveners, and the erasure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.db import Database
from storage.models import (
    AuditEntry,
    Community,
    Narrative,
    NarrativeRevision,
    Role,
    RoleGrant,
    SchedulerState,
    VoiceNote,
)
from valuestory.usecases.scheduler.queries import add_due

NOTICE_KEY = "retention-notice:{}"


async def set_months(session: AsyncSession, community: Community, months: int | None,
                     actor: str) -> None:
    """Change how long a community keeps answers (None: keep), audited.

    A notice already given was for the old limit; conveners are told again before a first
    erasure under the new one.
    """
    before = community.retention_months
    community.retention_months = months
    session.add(AuditEntry(actor=actor, action="retention.set", community_id=community.id,
                           details={"months": months, "was": before}))
    await session.execute(delete(SchedulerState).where(
        SchedulerState.key == NOTICE_KEY.format(community.id)))


async def limited(session: AsyncSession, forget_before: dt.datetime) -> list[int]:
    """Communities with a retention limit; the record of updates handled long ago forgotten."""
    ids = (await session.scalars(
        select(Community.id).where(Community.retention_months.is_not(None))
        .order_by(Community.id))).all()
    await repo.forget_handled_before(session, forget_before)
    return list(ids)


async def community(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


async def claim_today(session: AsyncSession, community_id: int, today: str,
                      now: dt.datetime) -> bool:
    prefix = f"retention:{community_id}:"
    try:
        async with session.begin_nested():
            session.add(SchedulerState(key=prefix + today, value="checked", at=now))
    except IntegrityError:
        return False  # this process or another already checked today
    await session.execute(delete(SchedulerState).where(
        SchedulerState.key.startswith(prefix), SchedulerState.key != prefix + today
    ))
    return True


async def erased_before(session: AsyncSession, community_id: int) -> bool:
    return await session.scalar(select(AuditEntry.id).where(
        AuditEntry.community_id == community_id, AuditEntry.action == "retention.erase"
    ).limit(1)) is not None


async def notice_given_at(session: AsyncSession, community_id: int) -> dt.datetime | None:
    notice = await session.get(SchedulerState, NOTICE_KEY.format(community_id))
    return notice.at if notice is not None else None


async def count_before(session: AsyncSession, community_id: int, cutoff: dt.datetime) -> int:
    return await session.scalar(select(func.count(Narrative.id)).where(
        Narrative.community_id == community_id, Narrative.answered_at < cutoff)) or 0


async def record_notice(db: Database, session: AsyncSession, community: Community,
                        now: dt.datetime, kind: str, details: dict[str, Any]) -> None:
    """The notice given, audited, and one due for each of the community's conveners."""
    session.add(SchedulerState(key=NOTICE_KEY.format(community.id),
                               value=str(details["narratives"]), at=now))
    session.add(AuditEntry(at=now, actor="retention", action="retention.notice",
                           community_id=community.id, details=details))
    conveners = (await session.scalars(select(RoleGrant.telegram_user_id).where(
        RoleGrant.community_id == community.id, RoleGrant.role == Role.CONVENER
    ).distinct())).all()
    await add_due(db, session, kind, community.id, now.isoformat(), conveners, details)


async def erase(session: AsyncSession, community: Community, cutoff: dt.datetime,
                now: dt.datetime) -> tuple[int, int]:
    """Erase the community's answers (and voice notes) from before the cutoff, audited; how many
    answers and earlier versions."""
    old = select(Narrative.id).where(
        Narrative.community_id == community.id, Narrative.answered_at < cutoff
    )
    revisions = await session.scalar(
        select(func.count(NarrativeRevision.id)).where(NarrativeRevision.narrative_id.in_(old))
    ) or 0
    await session.execute(delete(NarrativeRevision).where(NarrativeRevision.narrative_id.in_(old)))
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        delete(Narrative).where(Narrative.community_id == community.id,
                                Narrative.answered_at < cutoff)
    )
    erased = result.rowcount or 0
    # Voice notes (and any recordings) from before the cutoff go with the answers they became.
    notes: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        delete(VoiceNote).where(VoiceNote.community_id == community.id,
                                VoiceNote.received_at < cutoff)
    )
    voice_notes = notes.rowcount or 0
    if erased or voice_notes:
        session.add(AuditEntry(at=now, actor="retention", action="retention.erase",
                               community_id=community.id,
                               details={"narratives": erased, "revisions": revisions,
                                        "voice_notes": voice_notes,
                                        "months": community.retention_months,
                                        "older_than": cutoff.isoformat()}))
    return erased, revisions
