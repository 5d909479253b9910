"""Planning and sweeping: create the prompts that are (nearly) due, follow events that moved or
were cancelled, and close what is past its window.

Planning inserts with ON CONFLICT DO NOTHING against the one-prompt-per-member-per-event
constraint, so two processes planning at once create each prompt once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.questions import PromptKind
from storage.db import Database
from storage.models import (
    Check,
    CheckStatus,
    Community,
    Event,
    Member,
    Membership,
    Narrative,
    Prompt,
    PromptStatus,
    SchedulerState,
)
from valuestory.usecases.scheduler.model import (
    HEARTBEAT,
    TickReport,
)
from valuestory.usecases.scheduler.rules import askable, closes_for, due_for, insert_new

# Prompts are planned this far ahead of being due, so what is coming is visible in the database.
LOOKAHEAD = dt.timedelta(days=1)
# Events older than this are not planned any more (the last follow-up is long closed by then).
PLAN_HORIZON = dt.timedelta(days=240)


async def _plan_event(session: AsyncSession, db: Database, c: Community, event: Event, kind: str,
                      now: dt.datetime, last_tick: dt.datetime | None,
                      report: TickReport) -> None:
    due = due_for(c, event, kind)
    if due > now + LOOKAHEAD:
        return
    if last_tick is not None and due <= last_tick and event.updated_at <= last_tick:
        # A run at or after the due time already asked everyone who could be asked then; a
        # member paused or unreachable at that moment is not asked later, once they are back.
        return
    closes = closes_for(c, due)
    already = exists().where(
        Prompt.member_id == Member.id, Prompt.event_id == event.id, Prompt.kind == kind
    )
    base = (
        select(Member.id, Membership.joined_at)
        .join(Membership, Membership.member_id == Member.id)
        .where(askable(c, due), ~already)
    )
    rows: list[dict[str, Any]] = []
    status = PromptStatus.MISSED if closes <= now else PromptStatus.SCHEDULED
    common = {"community_id": c.id, "event_id": event.id, "kind": kind, "status": status,
              "question_set": c.question_set, "due_at": due, "closes_at": closes}
    if kind == PromptKind.POST_EVENT:
        for member_id, _ in (await session.execute(base)).all():
            rows.append({**common, "member_id": member_id, "story_id": str(uuid.uuid4())})
    else:
        first = select(Prompt.member_id, Prompt.story_id).where(
            Prompt.event_id == event.id, Prompt.kind == PromptKind.POST_EVENT
        )
        if kind == PromptKind.FOLLOWUP_APPLIED:
            # Only members who said what they might do: the follow-up quotes their own words.
            first = first.where(exists().where(
                Narrative.prompt_id == Prompt.id, Narrative.intended.is_(True),
                Narrative.text != "",
            ))
        else:
            first = first.where(Prompt.attended.is_(True))
        stories = {m: s for m, s in (await session.execute(first)).all()}
        if not stories:
            return
        for member_id, _ in (await session.execute(base)).all():
            if member_id in stories:
                rows.append({**common, "member_id": member_id, "story_id": stories[member_id]})
    for start in range(0, len(rows), 1000):
        await session.execute(insert_new(db, Prompt), rows[start:start + 1000])
    if status == PromptStatus.MISSED:
        report.missed += len(rows)  # fell due while no scheduler ran, and its window passed
    else:
        report.planned += len(rows)


async def plan(db: Database, now: dt.datetime, report: TickReport) -> None:
    """Create the prompts that are (nearly) due, and follow events that moved or were cancelled."""
    async with db.session() as session:
        heartbeat = await session.get(SchedulerState, HEARTBEAT)
        last_tick = heartbeat.at if heartbeat is not None else None
        communities = (await session.scalars(select(Community))).all()
        for c in communities:
            events = (await session.scalars(select(Event).where(
                Event.community_id == c.id, Event.cancelled_at.is_(None),
                Event.ends_at >= now - PLAN_HORIZON, Event.ends_at <= now + LOOKAHEAD,
            ))).all()
            for event in events:
                for kind in (PromptKind.POST_EVENT, PromptKind.FOLLOWUP_APPLIED,
                             PromptKind.FOLLOWUP_REFRAMING):
                    await _plan_event(session, db, c, event, kind, now, last_tick, report)
        # Events cancelled after their prompts were planned: those prompts are never sent.
        gone = await session.execute(
            update(Prompt)
            .where(Prompt.status == PromptStatus.SCHEDULED,
                   Prompt.event_id.in_(select(Event.id).where(Event.cancelled_at.is_not(None))))
            .values(status=PromptStatus.CANCELLED, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        report.cancelled += gone.rowcount or 0  # type: ignore[attr-defined]
        # Events moved after their prompts were planned: follow the event.
        moved = (await session.execute(
            select(Prompt, Event, Community)
            .join(Event, Event.id == Prompt.event_id)
            .join(Community, Community.id == Prompt.community_id)
            .where(Prompt.status == PromptStatus.SCHEDULED, Event.updated_at > Prompt.updated_at)
        )).all()
        for p, event, c in moved:
            due = due_for(c, event, p.kind)
            p.updated_at = max(event.updated_at, p.updated_at) + dt.timedelta(microseconds=1)
            if due != p.due_at:
                p.due_at, p.closes_at = due, closes_for(c, due)
                report.rescheduled += 1




async def sweep(db: Database, now: dt.datetime) -> tuple[int, int]:
    """Close what is past its window. Returns (missed, closed)."""
    async with db.session() as session:
        missed = await session.execute(
            update(Prompt)
            .where(Prompt.status == PromptStatus.SCHEDULED, Prompt.closes_at <= now)
            .values(status=PromptStatus.MISSED, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        closed = await session.execute(
            update(Prompt)
            .where(Prompt.status == PromptStatus.OPEN, Prompt.closes_at <= now)
            .values(status=PromptStatus.CLOSED, finished_at=now, remind_at=None,
                    held_message=None)
            .execution_options(synchronize_session=False)
        )
    return missed.rowcount or 0, closed.rowcount or 0  # type: ignore[attr-defined]


async def sweep_checks(db: Database, now: dt.datetime) -> tuple[int, int]:
    """Close the members' checks past their window. Returns (missed, closed)."""
    async with db.session() as session:
        missed = await session.execute(
            update(Check)
            .where(Check.status == CheckStatus.SCHEDULED, Check.closes_at <= now)
            .values(status=CheckStatus.MISSED, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        closed = await session.execute(
            update(Check)
            .where(Check.status == CheckStatus.OPEN, Check.closes_at <= now)
            .values(status=CheckStatus.CLOSED, finished_at=now, waiting_id=None)
            .execution_options(synchronize_session=False)
        )
    return missed.rowcount or 0, closed.rowcount or 0  # type: ignore[attr-defined]
