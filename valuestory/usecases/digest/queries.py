"""The digest's statements: who wants it, when the last one went, a convener's preference, and
what changed in a week."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from flows.questions import PromptKind
from storage.models import (
    Community,
    Event,
    Indicator,
    IndicatorEvidence,
    IndicatorStatus,
    MatrixPlanStory,
    Narrative,
    Prompt,
    Role,
    RoleGrant,
    SchedulerState,
)
from valuestory.usecases import matrix
from valuestory.usecases.matrix.glossary import INTENDED


async def recipients(session: AsyncSession, community_id: int) -> list[int]:
    """Telegram ids of the community's conveners who want the digest."""
    return list((await session.scalars(
        select(RoleGrant.telegram_user_id).where(
            RoleGrant.community_id == community_id, RoleGrant.role == Role.CONVENER,
            RoleGrant.digest_enabled.is_(True),
        ).order_by(RoleGrant.id)
    )).all())


async def community(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


async def last_digest_at(session: AsyncSession, community_id: int) -> dt.datetime | None:
    state = await session.get(SchedulerState, matrix.digest_key(community_id))
    return state.at if state is not None else None


async def record_digest(session: AsyncSession, community_id: int, now: dt.datetime) -> None:
    """Remember when a digest went out, so the next one can say what is new since."""
    key = matrix.digest_key(community_id)
    updated = await session.execute(
        update(SchedulerState).where(SchedulerState.key == key).values(at=now, value="sent")
        .execution_options(synchronize_session=False))
    if updated.rowcount:  # type: ignore[attr-defined]
        return
    try:
        async with session.begin_nested():
            session.add(SchedulerState(key=key, value="sent", at=now))
    except IntegrityError:
        pass  # another process recorded one at the same moment: either time will do


async def convener_grant(session: AsyncSession, user_id: int, community_id: int) -> RoleGrant | None:
    return await session.scalar(select(RoleGrant).where(
        RoleGrant.telegram_user_id == user_id, RoleGrant.community_id == community_id,
        RoleGrant.role == Role.CONVENER))


# --- what changed in a week ---------------------------------------------------------------------


def new_by_stage(community_id: int, since: dt.datetime, until: dt.datetime) -> Any:
    """(stage, narratives, members) answered in [since, until): a plan under 'intended', never
    under its question's cycle. Reads the matrix's covering index on (community, answered_at)."""
    stage = case((Narrative.intended.is_(True), literal(INTENDED)), else_=Narrative.cycle)
    return (select(stage, func.count(), func.count(distinct(Narrative.member_id)))
            .where(Narrative.community_id == community_id, Narrative.answered_at >= since,
                   Narrative.answered_at < until)
            .group_by(stage))


def new_members(community_id: int, since: dt.datetime, until: dt.datetime) -> Any:
    """How many members told a narrative in [since, until)."""
    return (select(func.count(distinct(Narrative.member_id)))
            .where(Narrative.community_id == community_id, Narrative.answered_at >= since,
                   Narrative.answered_at < until))


def indicators_created(community_id: int, since: dt.datetime) -> Any:
    """Ids of the community's active indicators created since a moment."""
    return select(Indicator.id).where(Indicator.community_id == community_id,
                                      Indicator.status == IndicatorStatus.ACTIVE,
                                      Indicator.created_at >= since)


def evidence_added(community_id: int, since: dt.datetime) -> Any:
    """(indicator id, links added) for the community's active indicators given evidence since a
    moment, to narratives that still exist."""
    return (select(IndicatorEvidence.indicator_id, func.count())
            .join(Indicator, Indicator.id == IndicatorEvidence.indicator_id)
            .join(Narrative, Narrative.id == IndicatorEvidence.narrative_id)
            .where(Indicator.community_id == community_id,
                   Indicator.status == IndicatorStatus.ACTIVE,
                   IndicatorEvidence.added_at >= since)
            .group_by(IndicatorEvidence.indicator_id))


def plans_due(community_id: int, ended_after: dt.datetime, ended_by: dt.datetime) -> Any:
    """How many stories hold a plan not yet followed up, about an event that ended in the span
    whose applied follow-up falls due now or in the coming week (the caller works the span out
    from the community's settings). Reads the plans' tally (migration 0008_plans)."""
    return (select(func.count(distinct(MatrixPlanStory.story_id)))
            .join(Prompt, and_(Prompt.story_id == MatrixPlanStory.story_id,
                               Prompt.kind == PromptKind.POST_EVENT))
            .join(Event, Event.id == Prompt.event_id)
            .where(MatrixPlanStory.community_id == community_id, MatrixPlanStory.plans > 0,
                   MatrixPlanStory.followed == 0, Event.cancelled_at.is_(None),
                   Event.ends_at > ended_after, Event.ends_at <= ended_by))


def upcoming_events(community_id: int, now: dt.datetime) -> Any:
    """How many of the community's events are still to come."""
    return select(func.count()).select_from(Event).where(
        Event.community_id == community_id, Event.cancelled_at.is_(None), Event.starts_at > now)
