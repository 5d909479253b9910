"""Retention: erase narratives older than a community's limit, once a day, with notice and audit.

A function of (db, now) so tests drive it on their own clock; the JobQueue calls it with the real
one. Safe to run from several processes at once: a database marker per community per day means
the work is done once.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

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
from valuestory.usecases import speaking
from valuestory.usecases.communities import find_community
from valuestory.usecases.errors import AdminError
from valuestory.usecases.parsing import parse_count
from valuestory.usecases.times import local_date

log = logging.getLogger(__name__)

NOTICE_AHEAD = dt.timedelta(days=7)
# Telegram redelivers an unconfirmed update for about a day; a week of keys is plenty.
HANDLED_UPDATES_KEPT = dt.timedelta(days=7)
ACTOR = "retention"

Notify = Callable[[int, str], Awaitable[bool]]


@dataclass(frozen=True)
class Outcome:
    """What one community's daily check did."""

    community_id: int
    erased: int = 0
    revisions: int = 0
    noticed: int = 0  # narratives announced for erasure a week from now
    conveners_told: int = 0


def months_before(moment: dt.datetime, months: int, zone: ZoneInfo) -> dt.datetime:
    """The same wall-clock time `months` calendar months earlier, in the community's zone."""
    local = moment.astimezone(zone)
    index = local.year * 12 + (local.month - 1) - months
    year, month = divmod(index, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day).astimezone(dt.UTC)


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
        SchedulerState.key == f"retention-notice:{community.id}"))


def parse_months(text: str, problem: str) -> int | None:
    """A retention typed by a person: a whole number of months (1 to 1200), or "keep" (None).
    AdminError(`problem`) for anything else."""
    value = text.strip().lower()
    if value == "keep":
        return None
    months = parse_count(value, 1200)
    if not months:
        raise AdminError(problem)
    return months


async def set_for(db: Database, community: str, months: int | None, actor: str) -> str:
    """`set_months` for a community given by name or id; its name."""
    async with db.session() as session:
        c = await find_community(session, community)
        await set_months(session, c, months, actor=actor)
        return c.name


async def run(db: Database, now: dt.datetime, notify: Notify | None = None) -> list[Outcome]:
    """Check every community with a retention limit; at most once per community per local day."""
    async with db.session() as session:
        ids = (await session.scalars(
            select(Community.id).where(Community.retention_months.is_not(None))
            .order_by(Community.id)
        )).all()
        await repo.forget_handled_before(session, now - HANDLED_UPDATES_KEPT)
    outcomes = []
    for community_id in ids:
        outcome = await _check(db, community_id, now, notify)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


async def _claim_today(session: AsyncSession, community: Community, now: dt.datetime) -> bool:
    today = now.astimezone(ZoneInfo(community.timezone)).date().isoformat()
    prefix = f"retention:{community.id}:"
    try:
        async with session.begin_nested():
            session.add(SchedulerState(key=prefix + today, value="checked", at=now))
    except IntegrityError:
        return False  # this process or another already checked today
    await session.execute(delete(SchedulerState).where(
        SchedulerState.key.startswith(prefix), SchedulerState.key != prefix + today
    ))
    return True


async def _check(db: Database, community_id: int, now: dt.datetime,
                 notify: Notify | None) -> Outcome | None:
    tell: dict[int, str] = {}
    async with db.session() as session:
        community = await session.get(Community, community_id)
        if community is None or community.retention_months is None:
            return None
        if not await _claim_today(session, community, now):
            return None
        months = community.retention_months
        zone = ZoneInfo(community.timezone)
        erased_before = await session.scalar(select(AuditEntry.id).where(
            AuditEntry.community_id == community_id, AuditEntry.action == "retention.erase"
        ).limit(1))
        if erased_before is None:
            notice = await session.get(SchedulerState, f"retention-notice:{community_id}")
            if notice is None:
                outcome, tell = await _give_notice(session, community, now, zone)
            elif now - notice.at < NOTICE_AHEAD:
                return Outcome(community_id)
            else:
                outcome = await _erase(session, community, months_before(now, months, zone), now)
        else:
            outcome = await _erase(session, community, months_before(now, months, zone), now)
    # Told after the commit: the notice is recorded once even if a message fails to arrive.
    told = 0
    if tell and notify is not None:
        for telegram_user_id, message in tell.items():
            told += await notify(telegram_user_id, message)
    if tell:
        outcome = Outcome(community_id, noticed=outcome.noticed, conveners_told=told)
    return outcome


async def _give_notice(session: AsyncSession, community: Community, now: dt.datetime,
                       zone: ZoneInfo) -> tuple[Outcome, dict[int, str]]:
    """Record the notice; what to tell each convener, in their language."""
    assert community.retention_months is not None
    erase_on = now + NOTICE_AHEAD
    cutoff = months_before(erase_on, community.retention_months, zone)
    due = await session.scalar(select(func.count(Narrative.id)).where(
        Narrative.community_id == community.id, Narrative.answered_at < cutoff
    )) or 0
    if not due:
        return Outcome(community.id), {}
    session.add(SchedulerState(key=f"retention-notice:{community.id}", value=str(due), at=now))
    session.add(AuditEntry(at=now, actor=ACTOR, action="retention.notice", community_id=community.id,
                           details={"narratives": due, "months": community.retention_months,
                                    "erase_from": erase_on.isoformat(),
                                    "told_before": cutoff.isoformat()}))
    conveners = (await session.scalars(select(RoleGrant.telegram_user_id).where(
        RoleGrant.community_id == community.id, RoleGrant.role == Role.CONVENER
    ).distinct())).all()
    log.info("retention: community %s, %d narratives announced for erasure", community.id, due)

    def notice(language: str) -> str:
        t = speaking.say(language)
        return t.RETENTION_NOTICE.format(
            community=speaking.value(language, community.name),
            months=t.plural(community.retention_months or 0, "month"),
            count=t.plural(due, "answer"),
            date=local_date(erase_on, zone.key, language),
            cutoff=local_date(cutoff, zone.key, language),
        )

    languages = await speaking.staff_languages(session, community, conveners)
    return Outcome(community.id, noticed=due), {uid: notice(languages[uid]) for uid in conveners}


async def _erase(session: AsyncSession, community: Community, cutoff: dt.datetime,
                 now: dt.datetime) -> Outcome:
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
        session.add(AuditEntry(at=now, actor=ACTOR, action="retention.erase", community_id=community.id,
                               details={"narratives": erased, "revisions": revisions,
                                        "voice_notes": voice_notes,
                                        "months": community.retention_months,
                                        "older_than": cutoff.isoformat()}))
        log.info("retention: community %s, erased %d narratives and %d earlier versions",
                 community.id, erased, revisions)
    return Outcome(community.id, erased=erased, revisions=revisions)
