"""The matrix's SQL: every statement `build` runs, built once with bound parameters.

All time reads the trigger-kept tallies (migrations 0003, 0005 and 0008_plans); a period reads
narratives and prompts through covering indexes. `build` executes them and turns their rows into
a `Matrix`. A plan is counted under `intended`, never under a cycle (`in_stage`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Executable,
    Integer,
    String,
    and_,
    bindparam,
    case,
    distinct,
    exists,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Event,
    MatrixCell,
    MatrixCommunity,
    MatrixCycleStories,
    MatrixEventCell,
    MatrixEventPrompts,
    MatrixFollowup,
    MatrixMember,
    MatrixPlans,
    MatrixPlanStory,
    MatrixPromptNarratives,
    Member,
    Membership,
    Narrative,
    Prompt,
    SchedulerState,
    UTCDateTime,
)
from valuestory.usecases.matrix.glossary import (
    APPLIED_OR_BEYOND,
    ASKING_KIND,
    COMPLETED,
    CYCLES,
    DELIVERED,
    FOLLOWUP_CYCLES,
    INTENDED,
    Participation,
)

STORIES_SHOWN = 3


@dataclass(frozen=True)
class Statements:
    figures: Executable  # one row of scalars
    tallies: Executable  # (tag, event_id, cycle, a, b, c): cells, new, event cells, asked
    events: Executable   # the period's events
    words: Executable    # (tag, cycle, text, at, id, pseudonym, flag, title, story_id)


def _tagged(tag: str, statement: Any, *columns: Any) -> Any:
    """A statement as rows of one union, under a tag saying which part it is."""
    sub = statement.subquery()
    return select(literal(tag, String()).label("tag"),
                  *(c(sub) if callable(c) else c for c in columns))


def _stage() -> Any:
    """A narrative's place in the matrix: 'intended' for a plan, else its cycle."""
    return case((Narrative.intended.is_(True), literal(INTENDED, String())),
                else_=Narrative.cycle)


def _intended(value: bool) -> Any:
    # `=`, not `IS`: PostgreSQL uses an index for an equality only.
    return Narrative.intended == literal(value)


def in_stage(name: str) -> tuple[Any, ...]:
    """The narratives counted under a cycle (never a plan), or the plans for 'intended'."""
    if name == INTENDED:
        return (_intended(True),)
    return (Narrative.cycle == name, _intended(False))


def _build_statements(all_time: bool) -> Statements:
    """The matrix's statements, built once with bound parameters and reused."""
    cid = bindparam("cid", type_=Integer)
    stage = _stage()
    since = bindparam("since", type_=UTCDateTime())
    now = bindparam("now", type_=UTCDateTime())
    in_period = (Narrative.community_id == cid, Narrative.answered_at >= since)
    last = func.max(Narrative.answered_at)
    asked = (Prompt.community_id == cid, Prompt.kind == ASKING_KIND,
             Prompt.status.in_(DELIVERED), Prompt.opened_at.is_not(None))
    if all_time:
        # Looked up once per cycle, after grouping, not once per member.
        stories_in_cycle = (select(MatrixCycleStories.stories)
                            .where(MatrixCycleStories.community_id == cid,
                                   MatrixCycleStories.cycle == MatrixCell.cycle)
                            .scalar_subquery())
        cells = (select(MatrixCell.cycle, func.sum(MatrixCell.narratives), func.count(),
                        stories_in_cycle)
                 .where(MatrixCell.community_id == cid).group_by(MatrixCell.cycle))
        contributors = select(func.count()).select_from(MatrixMember).where(
            MatrixMember.community_id == cid)
        told = select(MatrixCommunity.told).where(MatrixCommunity.community_id == cid)
        stories = select(MatrixCommunity.stories).where(MatrixCommunity.community_id == cid)
        recent = (select(MatrixFollowup.story_id, MatrixFollowup.last_at)
                  .where(MatrixFollowup.community_id == cid)
                  .order_by(MatrixFollowup.last_at.desc()).limit(STORIES_SHOWN))
        event_cells = (select(MatrixEventCell.event_id, MatrixEventCell.cycle,
                              MatrixEventCell.narratives)
                       .where(MatrixEventCell.community_id == cid))
        event_prompts = (
            select(MatrixEventPrompts.event_id, func.sum(MatrixEventPrompts.prompts),
                   func.sum(case((MatrixEventPrompts.attended == 1,
                                  MatrixEventPrompts.prompts), else_=0)),
                   func.sum(case((MatrixEventPrompts.status == COMPLETED,
                                  MatrixEventPrompts.prompts), else_=0)))
            .where(MatrixEventPrompts.community_id == cid,
                   MatrixEventPrompts.status.in_(DELIVERED), MatrixEventPrompts.opened == 1)
            .group_by(MatrixEventPrompts.event_id))
        event_answered = (
            select(MatrixPromptNarratives.event_id, func.count())
            .where(MatrixPromptNarratives.community_id == cid)
            .group_by(MatrixPromptNarratives.event_id))
        pipeline = tuple(select(column).where(MatrixPlans.community_id == cid)
                         for column in (MatrixPlans.made, MatrixPlans.followed_up,
                                        MatrixPlans.done, MatrixPlans.difference))
    else:
        cells = (select(stage, func.count(), func.count(distinct(Narrative.member_id)),
                        func.count(distinct(Narrative.story_id)))
                 .where(*in_period).group_by(stage))
        contributors = select(func.count(distinct(Narrative.member_id))).where(*in_period)
        told = select(func.count(distinct(Narrative.story_id))).where(*in_period)
        followups = select(Narrative.story_id).where(
            *in_period, Narrative.cycle.in_(FOLLOWUP_CYCLES)).distinct().subquery()
        stories = select(func.count()).select_from(followups)
        recent = (select(Narrative.story_id, last.label("last_at"))
                  .where(*in_period, Narrative.cycle.in_(FOLLOWUP_CYCLES))
                  .group_by(Narrative.story_id).order_by(last.desc()).limit(STORIES_SHOWN))
        event_cells = (select(Narrative.event_id, stage, func.count())
                       .where(*in_period).group_by(Narrative.event_id, stage))
        # The period's plans, each followed as far as it went, whenever that was.
        planned = (select(Narrative.story_id).where(*in_period, Narrative.intended.is_(True))
                   .distinct().subquery())
        pipeline = tuple(
            select(func.count(what)).select_from(planned)
            .outerjoin(MatrixPlanStory, MatrixPlanStory.story_id == planned.c.story_id)
            for what in (planned.c.story_id, case((MatrixPlanStory.followed > 0, 1)),
                         case((MatrixPlanStory.done > 0, 1)),
                         case((MatrixPlanStory.difference > 0, 1))))
        # Asked, attended and completed are about the period's events, whenever they answered.
        event_prompts = (
            select(Prompt.event_id, func.count(),
                   func.count(case((Prompt.attended.is_(True), 1))),
                   func.count(case((Prompt.status == COMPLETED, 1))))
            .where(*asked).group_by(Prompt.event_id))
        event_answered = (
            select(Prompt.event_id, func.count())
            .where(*asked, exists().where(Narrative.prompt_id == Prompt.id))
            .group_by(Prompt.event_id))
    events = (select(Event.id, Event.title, Event.starts_at)
              .where(Event.community_id == cid, Event.cancelled_at.is_(None),
                     Event.starts_at <= now, Event.starts_at >= since)
              .order_by(Event.starts_at, Event.id))
    unreachable = (
        select(func.count()).select_from(Membership).join(Member, Member.id == Membership.member_id)
        .where(Membership.community_id == cid, Member.unreachable_at.is_not(None)))
    digest = select(SchedulerState.at).where(SchedulerState.key == bindparam("digest_key"))
    figures = select(*(q.scalar_subquery() for q in (
        contributors, told, stories, unreachable, digest, *pipeline)))
    # One lower bound only (the later of the period's start and the last digest, worked out from
    # the figures): two bounds on answered_at leave SQLite scanning from the earlier one.
    new = (select(stage, func.count(), func.max(Narrative.answered_at))
           .where(Narrative.community_id == cid, Narrative.cycle.in_(CYCLES),
                  Narrative.answered_at > bindparam("after", type_=UTCDateTime()))
           .group_by(stage))
    # Newest few per cycle, each read backwards off (community, cycle, answered_at, id); the
    # pseudonyms are joined once, outside, which keeps PostgreSQL's planning cheap.
    # A plan is quoted under plans only, never under applied value. Plans are read cycle by
    # cycle too, so each read walks (community, cycle, intended, answered_at, id) backwards.
    newest = union_all(*(select(
        select(literal(name, String()).label("cycle"), Narrative.text, Narrative.answered_at,
               Narrative.id, Narrative.member_id)
        .where(*in_period, Narrative.cycle == cycle, _intended(name == INTENDED))
        .order_by(Narrative.answered_at.desc(), Narrative.id.desc())
        .limit(bindparam("pool", type_=Integer)).subquery())
        for name, cycle in (*((c, c) for c in CYCLES), *((INTENDED, c) for c in CYCLES))
    )).subquery()
    excerpts = (
        select(newest.c.cycle, newest.c.text, newest.c.answered_at, newest.c.id,
               Membership.pseudonym, newest.c.member_id)
        .join(Membership, and_(Membership.member_id == newest.c.member_id,
                               Membership.community_id == cid)))
    recent_q = recent.subquery()
    story_rows = (
        select(recent_q.c.story_id, recent_q.c.last_at, stage, Membership.pseudonym,
               Event.title)
        .join(Narrative, Narrative.story_id == recent_q.c.story_id)
        .join(Membership, and_(Membership.member_id == Narrative.member_id,
                               Membership.community_id == Narrative.community_id))
        .join(Event, Event.id == Narrative.event_id)
        .where(Narrative.community_id == cid))
    # The newest narrative of applied value (done, not intended) or beyond, per cycle.
    reached = union_all(*(select(
        select(Narrative.story_id, Narrative.answered_at, Narrative.id)
        .where(*in_period, Narrative.cycle == cycle, Narrative.intended.is_(False))
        .order_by(Narrative.answered_at.desc(), Narrative.id.desc()).limit(1).subquery())
        for cycle in APPLIED_OR_BEYOND)).subquery()
    newest_story = (select(reached.c.story_id)
                    .order_by(reached.c.answered_at.desc(), reached.c.id.desc()).limit(1)
                    .scalar_subquery())
    traced = (
        select(Narrative.cycle, Narrative.text, Narrative.answered_at, Narrative.id,
               Membership.pseudonym, case((Narrative.intended.is_(True), 1), else_=0), Event.title,
               Narrative.story_id)
        .join(Membership, and_(Membership.member_id == Narrative.member_id,
                               Membership.community_id == Narrative.community_id))
        .join(Event, Event.id == Narrative.event_id)
        .where(Narrative.community_id == cid, Narrative.story_id == newest_story,
               Narrative.answered_at >= since))
    zero, blank = literal(0, Integer()), literal('', String())
    tallies = union_all(
        _tagged("cell", cells, zero, lambda t: t.c[0], lambda t: t.c[1], lambda t: t.c[2],
                lambda t: func.coalesce(t.c[3], 0)),
        _tagged("ecell", event_cells, lambda t: t.c[0], lambda t: t.c[1], lambda t: t.c[2],
                zero, zero),
        _tagged("asked", event_prompts, lambda t: t.c[0], blank, lambda t: t.c[1],
                lambda t: t.c[2], lambda t: t.c[3]),
        _tagged("answered", event_answered, lambda t: t.c[0], blank, lambda t: t.c[1], zero,
                zero),
    )
    words = union_all(
        _tagged("x", excerpts, *(lambda t, i=i: t.c[i] for i in range(5)),
                lambda t: t.c[5], blank, blank),
        _tagged("s", story_rows, lambda t: t.c[2], blank, lambda t: t.c[1], zero,
                lambda t: t.c[3], zero, lambda t: t.c[4], lambda t: t.c[0]),
        _tagged("t", traced, *(lambda t, i=i: t.c[i] for i in range(8))),
        _tagged("n", new, lambda t: t.c[0], blank, lambda t: t.c[2], lambda t: t.c[1], blank,
                zero, blank, blank),
    )
    return Statements(figures, tallies, events, words)


@functools.cache
def statements(all_time: bool) -> Statements:
    return _build_statements(all_time)


def other_members(community_id: int, cycle: str, since: dt.datetime, seen: Collection[int],
                  shown: int) -> Executable:
    """The newest narrative in a cycle (or the newest plan) of each of `shown` members not yet
    `seen`, with their pseudonyms: (text, answered_at, id, member_id, pseudonym)."""
    in_cycle = (Narrative.community_id == community_id, *in_stage(cycle),
                Narrative.answered_at >= since, Narrative.member_id.not_in(seen))
    last = func.max(Narrative.answered_at).label("last_at")
    newest = (select(Narrative.member_id, last).where(*in_cycle).group_by(Narrative.member_id)
              .order_by(last.desc()).limit(shown).subquery())
    return (select(Narrative.text, Narrative.answered_at, Narrative.id, Narrative.member_id,
                   Membership.pseudonym)
            .join(newest, and_(newest.c.member_id == Narrative.member_id,
                               newest.c.last_at == Narrative.answered_at))
            .join(Membership, and_(Membership.member_id == Narrative.member_id,
                                   Membership.community_id == Narrative.community_id))
            .where(*in_cycle))


def cell_narratives(community_id: int, since: dt.datetime, event_id: int | None,
                    cycle: str | None, limit: int) -> Executable:
    """The narratives behind the matrix (or one of its cells), newest first, pseudonyms only."""
    query: Any = (select(Narrative.id, Narrative.event_id, Narrative.story_id, Narrative.cycle,
                         Narrative.question_id, Membership.pseudonym, Narrative.text,
                         Narrative.answered_at)
                  .join(Membership, and_(Membership.member_id == Narrative.member_id,
                                         Membership.community_id == Narrative.community_id))
                  .where(Narrative.community_id == community_id, Narrative.answered_at >= since)
                  .order_by(Narrative.answered_at.desc(), Narrative.id.desc()).limit(limit))
    if event_id is not None:
        query = query.where(Narrative.event_id == event_id)
    if cycle is not None:
        query = query.where(Narrative.cycle == cycle)
    return query


def events_participation(event_ids: list[int]) -> Executable:
    """(event_id, asked, attended, answered, completed) for each of some events."""
    asked = (Prompt.event_id.in_(event_ids), Prompt.kind == ASKING_KIND,
             Prompt.status.in_(DELIVERED), Prompt.opened_at.is_not(None))
    return (select(Prompt.event_id, func.count(),
                   func.count(case((Prompt.attended.is_(True), 1))),
                   func.count(case((exists().where(Narrative.prompt_id == Prompt.id), 1))),
                   func.count(case((Prompt.status == COMPLETED, 1))))
            .where(*asked).group_by(Prompt.event_id))


async def participation_by_event(session: AsyncSession,
                                 event_ids: list[int]) -> dict[int, Participation]:
    """Asked, attended, answered and completed for each of some events (for /events)."""
    if not event_ids:
        return {}
    rows = await session.execute(events_participation(event_ids))
    return {eid: Participation(1, int(s), int(a), int(n), int(c), 0)
            for eid, s, a, n, c in rows}
