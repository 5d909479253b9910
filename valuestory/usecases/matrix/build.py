"""The Value Creation Matrix of one community over a period, read from the database.

Every count means what `glossary` says. All time reads the trigger-kept tallies (a few hundred
rows, see migrations 0003 and 0005); a period reads narratives and prompts through covering
indexes. Both give the same numbers for the same data: a test holds them to it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Executable,
    Integer,
    and_,
    bindparam,
    case,
    distinct,
    exists,
    func,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from flows.engine import trim
from storage.models import (
    Community,
    Event,
    MatrixCell,
    MatrixCommunity,
    MatrixCycleStories,
    MatrixEventCell,
    MatrixEventPrompts,
    MatrixFollowup,
    MatrixMember,
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
    NOBODY,
    Participation,
)
from valuestory.usecases.matrix.period import Period

EXCERPTS_PER_CYCLE = 3
# Newest narratives read per cycle to find excerpts from different members.
EXCERPT_POOL = 12
EXCERPT_CHARS = 160
STORIES_SHOWN = 3


@dataclass(frozen=True)
class Excerpt:
    pseudonym: str
    text: str
    answered_at: dt.datetime


@dataclass(frozen=True)
class Column:
    """One cycle of the matrix: its evidence."""

    cycle: str
    narratives: int
    members: int
    new: int
    excerpts: tuple[Excerpt, ...]
    stories: int = 0


@dataclass(frozen=True)
class EventRow:
    """One event of the period: its narratives per cycle and who took part."""

    event_id: int
    title: str
    starts_at: dt.datetime          # aware, UTC
    cells: tuple[int, ...]          # narratives per cycle, in CYCLES order
    participation: Participation    # this event's asked (sent), attended, answered, completed


@dataclass(frozen=True)
class Story:
    """One member's story that reached a follow-up cycle, with every cycle it touched."""

    pseudonym: str
    event: str
    cycles: tuple[str, ...]


@dataclass(frozen=True)
class TracedStep:
    """One answer of a traced story: its cycle, whether it was only intended, and its words."""

    cycle: str
    intended: bool
    text: str


@dataclass(frozen=True)
class TracedStory:
    """The newest story that reached applied value or beyond, answer by answer."""

    pseudonym: str
    event: str
    steps: tuple[TracedStep, ...]


@dataclass(frozen=True)
class Matrix:
    community: str
    timezone: str
    period: Period
    generated_at: dt.datetime
    last_digest_at: dt.datetime | None
    columns: tuple[Column, ...]
    stories_count: int  # stories with at least one narrative
    stories: tuple[Story, ...]
    participation: Participation
    contributors: int = 0  # members with at least one narrative
    followup_stories: int = 0  # stories that reached realised or reframing value
    events: tuple[EventRow, ...] = ()
    traced: TracedStory | None = None

    @property
    def gaps(self) -> tuple[str, ...]:
        return tuple(c.cycle for c in self.columns if c.narratives == 0)

    @property
    def total(self) -> int:
        return sum(c.narratives for c in self.columns)


def digest_key(community_id: int) -> str:
    return f"digest_sent:{community_id}"


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class _Statements:
    cells: Executable
    figures: Executable
    events: Executable
    event_cells: Executable
    event_prompts: Executable
    event_answered: Executable
    new: Executable
    excerpts: Executable
    stories: Executable
    traced: Executable


def _build_statements(all_time: bool) -> _Statements:
    """The matrix's statements, built once with bound parameters and reused."""
    cid = bindparam("cid", type_=Integer)
    since = bindparam("since", type_=UTCDateTime())
    now = bindparam("now", type_=UTCDateTime())
    in_period = (Narrative.community_id == cid, Narrative.answered_at >= since)
    last = func.max(Narrative.answered_at)
    asked = (Prompt.community_id == cid, Prompt.kind == ASKING_KIND,
             Prompt.status.in_(DELIVERED), Prompt.opened_at.is_not(None))
    if all_time:
        stories_by_cycle = (select(MatrixCycleStories.cycle, MatrixCycleStories.stories)
                            .where(MatrixCycleStories.community_id == cid).subquery())
        cells = (select(MatrixCell.cycle, func.sum(MatrixCell.narratives), func.count(),
                        func.max(stories_by_cycle.c.stories))
                 .join(stories_by_cycle, stories_by_cycle.c.cycle == MatrixCell.cycle,
                       isouter=True)
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
    else:
        cells = (select(Narrative.cycle, func.count(), func.count(distinct(Narrative.member_id)),
                        func.count(distinct(Narrative.story_id)))
                 .where(*in_period).group_by(Narrative.cycle))
        contributors = select(func.count(distinct(Narrative.member_id))).where(*in_period)
        told = select(func.count(distinct(Narrative.story_id))).where(*in_period)
        followups = select(Narrative.story_id).where(
            *in_period, Narrative.cycle.in_(FOLLOWUP_CYCLES)).distinct().subquery()
        stories = select(func.count()).select_from(followups)
        recent = (select(Narrative.story_id, last.label("last_at"))
                  .where(*in_period, Narrative.cycle.in_(FOLLOWUP_CYCLES))
                  .group_by(Narrative.story_id).order_by(last.desc()).limit(STORIES_SHOWN))
        event_cells = (select(Narrative.event_id, Narrative.cycle, func.count())
                       .where(*in_period).group_by(Narrative.event_id, Narrative.cycle))
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
        contributors, told, stories, unreachable, digest)))
    new = (select(Narrative.cycle, func.count())
           .where(Narrative.community_id == cid, Narrative.cycle.in_(CYCLES),
                  Narrative.answered_at > bindparam("after", type_=UTCDateTime()))
           .group_by(Narrative.cycle))
    # Newest few per cycle, each read backwards off (community, cycle, answered_at, id); the
    # pseudonyms are joined once, outside, which keeps PostgreSQL's planning cheap.
    newest = union_all(*(select(
        select(Narrative.cycle, Narrative.text, Narrative.answered_at, Narrative.id,
               Narrative.member_id)
        .where(*in_period, Narrative.cycle == cycle)
        .order_by(Narrative.answered_at.desc(), Narrative.id.desc())
        .limit(bindparam("pool", type_=Integer)).subquery())
        for cycle in CYCLES)).subquery()
    excerpts = (
        select(newest.c.cycle, newest.c.text, newest.c.answered_at, newest.c.id,
               Membership.pseudonym, newest.c.member_id)
        .join(Membership, and_(Membership.member_id == newest.c.member_id,
                               Membership.community_id == cid)))
    recent_q = recent.subquery()
    story_rows = (
        select(recent_q.c.story_id, recent_q.c.last_at, Narrative.cycle, Membership.pseudonym,
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
        select(Narrative.cycle, Narrative.intended, Narrative.text, Narrative.question_id,
               Narrative.id, Membership.pseudonym, Event.title)
        .join(Membership, and_(Membership.member_id == Narrative.member_id,
                               Membership.community_id == Narrative.community_id))
        .join(Event, Event.id == Narrative.event_id)
        .where(Narrative.community_id == cid, Narrative.story_id == newest_story,
               Narrative.answered_at >= since)
        .order_by(Narrative.answered_at, Narrative.id))
    return _Statements(cells, figures, events, event_cells, event_prompts, event_answered, new,
                       excerpts, story_rows, traced)


@functools.cache
def _statements(all_time: bool) -> _Statements:
    return _build_statements(all_time)


async def build_matrix(
    session: AsyncSession, community: Community, period: Period | None = None,
    now: dt.datetime | None = None,
) -> Matrix:
    """The community's Value Creation Matrix for a period, read from the database.

    All time reads the trigger-kept tallies; a period reads the narratives through covering
    indexes.
    """
    period = period or Period()
    now = now or dt.datetime.now(dt.UTC)
    q = _statements(period.since is None)
    params: dict[str, Any] = {"cid": community.id, "since": period.since or EPOCH, "now": now,
                              "digest_key": digest_key(community.id), "pool": EXCERPT_POOL}
    # Core execution: the ORM layer adds nothing for plain rows, and this runs on every /matrix.
    conn = await session.connection()

    counts = {c: 0 for c in CYCLES}
    members = {c: 0 for c in CYCLES}
    stories_in = {c: 0 for c in CYCLES}
    for cycle, n, who, told in await conn.execute(q.cells, params):
        counts[cycle], members[cycle], stories_in[cycle] = int(n), int(who), int(told or 0)

    row = (await conn.execute(q.figures, params)).one()
    contributors, stories_count, followup_stories, unreachable = (int(x or 0) for x in row[:4])
    last_digest = _aware(row[4])

    rows = await _event_rows(conn, q, params)
    participation = NOBODY
    for r in rows:
        participation += r.participation
    participation = Participation(participation.events, participation.sent,
                                  participation.attended, participation.answered,
                                  participation.completed, unreachable)

    new = dict(counts)
    if last_digest is not None:
        new = {c: 0 for c in CYCLES}
        after = max(last_digest, period.since or EPOCH)
        for cycle, n in await conn.execute(q.new, {**params, "after": after}):
            new[cycle] = int(n)

    excerpts = await _excerpts(conn, q, params) if any(counts.values()) else {}

    stories: tuple[Story, ...] = ()
    if followup_stories:
        found: dict[str, tuple[dt.datetime, str, str, set[str]]] = {}
        for story_id, last_at, cycle, pseudonym, title in await conn.execute(q.stories, params):
            found.setdefault(story_id, (_aware(last_at) or EPOCH, pseudonym, title, set()))[3].add(
                cycle)
        stories = tuple(Story(p, t, tuple(c for c in CYCLES if c in cs))
                        for _, p, t, cs in sorted(found.values(), key=lambda v: v[0], reverse=True))

    traced = await _traced(conn, q, params) if any(
        counts[c] for c in APPLIED_OR_BEYOND) else None

    columns = tuple(
        Column(c, counts[c], members[c], new[c], excerpts.get(c, ()), stories_in[c])
        for c in CYCLES
    )
    return Matrix(
        community=community.name, timezone=community.timezone, period=period, generated_at=now,
        last_digest_at=last_digest, columns=columns, stories_count=stories_count, stories=stories,
        participation=participation, contributors=contributors,
        followup_stories=followup_stories, events=rows, traced=traced,
    )


async def _event_rows(conn: AsyncConnection, q: _Statements,
                      params: dict[str, Any]) -> tuple[EventRow, ...]:
    """Every event of the period, oldest first, with its cells and its participation."""
    events = (await conn.execute(q.events, params)).all()
    if not events:
        return ()
    cells: dict[int, dict[str, int]] = defaultdict(dict)
    for event_id, cycle, n in await conn.execute(q.event_cells, params):
        cells[event_id][cycle] = int(n)
    asked = {eid: (int(s), int(a or 0), int(c or 0))
             for eid, s, a, c in await conn.execute(q.event_prompts, params)}
    answered = {eid: int(n) for eid, n in await conn.execute(q.event_answered, params)}
    out = []
    for event_id, title, starts_at in events:
        sent, attended, completed = asked.get(event_id, (0, 0, 0))
        when = _aware(starts_at)
        assert when is not None
        out.append(EventRow(
            event_id, title, when, tuple(cells[event_id].get(c, 0) for c in CYCLES),
            Participation(1, sent, attended, answered.get(event_id, 0), completed, 0)))
    return tuple(out)


async def _excerpts(conn: AsyncConnection, q: _Statements,
                    params: dict[str, Any]) -> dict[str, tuple[Excerpt, ...]]:
    """The newest narratives per cycle, one per member while there are other members to show."""
    pool: dict[str, list[tuple[dt.datetime, int, int, Excerpt]]] = defaultdict(list)
    for cycle, text, at, nid, pseudonym, member_id in await conn.execute(q.excerpts, params):
        when = _aware(at)
        assert when is not None
        pool[cycle].append((when, nid, member_id,
                            Excerpt(pseudonym, trim(text, EXCERPT_CHARS), when)))
    out: dict[str, tuple[Excerpt, ...]] = {}
    for cycle, found in pool.items():
        found.sort(key=lambda t: (t[0], t[1]), reverse=True)
        chosen: list[tuple[dt.datetime, int, int, Excerpt]] = []
        seen: set[int] = set()
        for item in found:
            if item[2] not in seen:
                chosen.append(item)
                seen.add(item[2])
        # Fewer members than excerpts: repeat the newest of the members already shown.
        chosen += [item for item in found if item not in chosen][
            :max(0, EXCERPTS_PER_CYCLE - len(chosen))]
        chosen.sort(key=lambda t: (t[0], t[1]), reverse=True)
        out[cycle] = tuple(x for *_, x in chosen[:EXCERPTS_PER_CYCLE])
    return out


async def _traced(conn: AsyncConnection, q: _Statements,
                  params: dict[str, Any]) -> TracedStory | None:
    rows = (await conn.execute(q.traced, params)).all()
    if not rows:
        return None
    order = {c: i for i, c in enumerate(CYCLES)}
    steps = sorted(((cycle, intended, text) for cycle, intended, text, *_ in rows),
                   key=lambda s: (order.get(s[0], 99), not s[1]))
    return TracedStory(rows[0][5], rows[0][6], tuple(
        TracedStep(c, bool(i), trim(t, EXCERPT_CHARS)) for c, i, t in steps))


def _aware(value: object) -> dt.datetime | None:
    # A scalar subquery's column carries no type, so SQLite hands back text.
    if value is None:
        return None
    at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class CellNarrative:
    """One narrative behind a cell of the matrix, as a convener may read it."""

    narrative_id: int
    event_id: int
    story_id: str
    cycle: str
    question_id: str
    pseudonym: str
    text: str
    answered_at: dt.datetime


async def narratives(session: AsyncSession, community_id: int, period: Period | None = None,
                     event_id: int | None = None, cycle: str | None = None,
                     limit: int = 200) -> list[CellNarrative]:
    """The narratives behind the matrix (or one of its cells), newest first, pseudonyms only."""
    period = period or Period()
    query = (select(Narrative.id, Narrative.event_id, Narrative.story_id, Narrative.cycle,
                    Narrative.question_id, Membership.pseudonym, Narrative.text,
                    Narrative.answered_at)
             .join(Membership, and_(Membership.member_id == Narrative.member_id,
                                    Membership.community_id == Narrative.community_id))
             .where(Narrative.community_id == community_id,
                    Narrative.answered_at >= (period.since or EPOCH))
             .order_by(Narrative.answered_at.desc(), Narrative.id.desc()).limit(limit))
    if event_id is not None:
        query = query.where(Narrative.event_id == event_id)
    if cycle is not None:
        query = query.where(Narrative.cycle == cycle)
    return [CellNarrative(*row) for row in await session.execute(query)]


async def participation_by_event(session: AsyncSession,
                                 event_ids: list[int]) -> dict[int, Participation]:
    """Asked, attended, answered and completed for each of some events (for /events)."""
    if not event_ids:
        return {}
    asked = (Prompt.event_id.in_(event_ids), Prompt.kind == ASKING_KIND,
             Prompt.status.in_(DELIVERED), Prompt.opened_at.is_not(None))
    rows = await session.execute(
        select(Prompt.event_id, func.count(),
               func.count(case((Prompt.attended.is_(True), 1))),
               func.count(case((exists().where(Narrative.prompt_id == Prompt.id), 1))),
               func.count(case((Prompt.status == COMPLETED, 1))))
        .where(*asked).group_by(Prompt.event_id))
    return {eid: Participation(1, int(s), int(a), int(n), int(c), 0)
            for eid, s, a, n, c in rows}
