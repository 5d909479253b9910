"""Planning and sweeping: create the prompts that are (nearly) due, follow events that moved or
were cancelled, and close what is past its window.

Planning inserts with ON CONFLICT DO NOTHING against the one-prompt-per-member-per-event
constraint, so two processes planning at once create each prompt once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from flows.questions import PromptKind
from storage.db import Database
from storage.models import Community, Event, PromptStatus
from valuestory.usecases.scheduler import queries
from valuestory.usecases.scheduler.model import TickReport
from valuestory.usecases.scheduler.rules import closes_for, due_for

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
    rows: list[dict[str, Any]] = []
    status = PromptStatus.MISSED if closes <= now else PromptStatus.SCHEDULED
    common = {"community_id": c.id, "event_id": event.id, "kind": kind, "status": status,
              "question_set": c.question_set, "due_at": due, "closes_at": closes}
    if kind == PromptKind.POST_EVENT:
        for member_id in await queries.askable_not_yet_asked(session, c, due, event.id, kind):
            rows.append({**common, "member_id": member_id, "story_id": str(uuid.uuid4())})
    else:
        # Only members who said what they might do (the follow-up quotes their own words), or
        # who came.
        stories = await queries.stories_followed(
            session, event.id, intended=kind == PromptKind.FOLLOWUP_APPLIED)
        if not stories:
            return
        for member_id in await queries.askable_not_yet_asked(session, c, due, event.id, kind):
            if member_id in stories:
                rows.append({**common, "member_id": member_id, "story_id": stories[member_id]})
    await queries.add_prompts(db, session, rows)
    if status == PromptStatus.MISSED:
        report.missed += len(rows)  # fell due while no scheduler ran, and its window passed
    else:
        report.planned += len(rows)


async def plan(db: Database, now: dt.datetime, report: TickReport) -> None:
    """Create the prompts that are (nearly) due, and follow events that moved or were cancelled."""
    async with db.session() as session:
        last_tick = await queries.last_tick(session)
        for c in await queries.communities(session):
            for event in await queries.events_to_plan(session, c.id, now - PLAN_HORIZON,
                                                      now + LOOKAHEAD):
                for kind in (PromptKind.POST_EVENT, PromptKind.FOLLOWUP_APPLIED,
                             PromptKind.FOLLOWUP_REFRAMING):
                    await _plan_event(session, db, c, event, kind, now, last_tick, report)
        # Events cancelled after their prompts were planned: those prompts are never sent.
        report.cancelled += await queries.cancel_for_cancelled_events(session, now)
        # Events moved after their prompts were planned: follow the event.
        for p, event, c in await queries.moved_since_planned(session):
            due = due_for(c, event, p.kind)
            p.updated_at = max(event.updated_at, p.updated_at) + dt.timedelta(microseconds=1)
            if due != p.due_at:
                p.due_at, p.closes_at = due, closes_for(c, due)
                report.rescheduled += 1


async def sweep(db: Database, now: dt.datetime) -> tuple[int, int]:
    """Close what is past its window. Returns (missed, closed)."""
    async with db.session() as session:
        return await queries.close_prompts(session, now)


async def sweep_checks(db: Database, now: dt.datetime) -> tuple[int, int]:
    """Close the members' checks past their window. Returns (missed, closed)."""
    async with db.session() as session:
        return await queries.close_checks(session, now)
