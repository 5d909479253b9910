"""The Value Creation Matrix of one community over a period, read from the database.

Every count means what `glossary` says. All time reads the trigger-kept tallies (a few hundred
rows, see migrations 0003, 0005 and 0008_plans); a period reads narratives and prompts through
covering indexes. Both give the same numbers for the same data: a test holds them to it.

A plan (a narrative answering an intention question) is never applied value: it is counted
under `intended`, its own entry beside the five cycles, and never quoted under Applied.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections import defaultdict
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
    NOBODY,
    STAGES,
    Participation,
    Plans,
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


NO_PLANS = Column(INTENDED, 0, 0, 0, ())
NOT_PLANNED = Plans()


@dataclass(frozen=True)
class EventRow:
    """One event of the period: its narratives per cycle and who took part."""

    event_id: int
    title: str
    starts_at: dt.datetime          # aware, UTC
    cells: tuple[int, ...]          # narratives per cycle, in CYCLES order (plans are not in them)
    participation: Participation    # this event's asked (sent), attended, answered, completed
    intended: int = 0               # plans: narratives answering an intention question


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
    # Plans, apart from the five cycles: what members said they might do, not what they did.
    intended: Column = NO_PLANS
    plans: Plans = NOT_PLANNED

    @property
    def gaps(self) -> tuple[str, ...]:
        return tuple(c.cycle for c in self.columns if c.narratives == 0)

    @property
    def total(self) -> int:
        """Every narrative: the five cycles' and the plans."""
        return sum(c.narratives for c in self.columns) + self.intended.narratives

    def stage(self, name: str) -> Column:
        """A cycle's column, or the plans' for `intended`."""
        if name == INTENDED:
            return self.intended
        return next(c for c in self.columns if c.cycle == name)

    def to_dict(self) -> dict[str, Any]:
        """The matrix as plain data (for JSON), response rates included."""
        data = dataclasses.asdict(self)
        data["participation"]["response_rate"] = self.participation.response_rate
        for row, out in zip(self.events, data["events"], strict=True):
            out["participation"]["response_rate"] = row.participation.response_rate
        return data


def digest_key(community_id: int) -> str:
    return f"digest_sent:{community_id}"


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class _Statements:
    figures: Executable  # one row of scalars
    tallies: Executable  # (tag, event_id, cycle, a, b, c): cells, new, event cells, asked
    events: Executable   # the period's events
    words: Executable    # (tag, cycle, text, at, id, pseudonym, flag, title, story_id)


# Later than any answer: "new since the last digest" counts nothing when there was none.
NEVER = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


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


def _in_stage(name: str) -> tuple[Any, ...]:
    """The narratives counted under a cycle (never a plan), or the plans for 'intended'."""
    if name == INTENDED:
        return (_intended(True),)
    return (Narrative.cycle == name, _intended(False))


def _build_statements(all_time: bool) -> _Statements:
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
    return _Statements(figures, tallies, events, words)


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
    # Four round trips: figures, tallies, events, words.
    conn = await session.connection()

    row = (await conn.execute(q.figures, params)).one()
    contributors, stories_count, followup_stories, unreachable = (int(x or 0) for x in row[:4])
    last_digest = _aware(row[4])
    plans = Plans(*(int(x or 0) for x in row[5:9]))

    counts = {c: 0 for c in STAGES}
    members = {c: 0 for c in STAGES}
    stories_in = {c: 0 for c in STAGES}
    new = {c: 0 for c in STAGES}
    cells: dict[int, dict[str, int]] = defaultdict(dict)
    asked: dict[int, tuple[int, int, int]] = {}
    answered: dict[int, int] = {}
    for tag, event_id, cycle, a, b, c in await conn.execute(q.tallies, params):
        if tag == "cell":
            counts[cycle], members[cycle], stories_in[cycle] = int(a), int(b), int(c or 0)
        elif tag == "ecell":
            cells[event_id][cycle] = int(a)
        elif tag == "asked":
            asked[event_id] = (int(a), int(b or 0), int(c or 0))
        else:
            answered[event_id] = int(a)

    rows = []
    total = NOBODY
    for event_id, title, starts_at in await conn.execute(q.events, params):
        sent, attended, completed = asked.get(event_id, (0, 0, 0))
        when = _aware(starts_at)
        assert when is not None
        taking_part = Participation(1, sent, attended, answered.get(event_id, 0), completed, 0)
        total += taking_part
        rows.append(EventRow(event_id, title, when,
                             tuple(cells[event_id].get(c, 0) for c in CYCLES), taking_part,
                             cells[event_id].get(INTENDED, 0)))
    participation = dataclasses.replace(total, unreachable=unreachable)

    pool: dict[str, list[tuple[dt.datetime, int, int, Excerpt]]] = defaultdict(list)
    found: dict[str, tuple[dt.datetime, str, str, set[str]]] = {}
    steps: list[tuple[dt.datetime, int, str, bool, str]] = []
    who = ("", "")
    # Nothing is new before the last digest (when there was none, everything is new).
    after = NEVER if last_digest is None else max(last_digest, period.since or EPOCH)
    if any(counts.values()):
        for tag, cycle, text, at, nid, pseudonym, flag, title, story_id in await conn.execute(
                q.words, {**params, "after": after}):
            when = _aware(at) or EPOCH
            if tag == "x":
                pool[cycle].append((when, nid, flag, Excerpt(pseudonym, trim(text, EXCERPT_CHARS),
                                                             when)))
            elif tag == "s":
                found.setdefault(story_id, (when, pseudonym, title, set()))[3].add(cycle)
            elif tag == "t":
                steps.append((when, nid, cycle, bool(flag), text))
                who = (pseudonym, title)
            else:
                new[cycle] = int(nid)
    if last_digest is None:
        new = dict(counts)

    stories = tuple(Story(p, t, tuple(c for c in STAGES if c in cs))
                    for _, p, t, cs in sorted(found.values(), key=lambda v: v[0], reverse=True))
    traced = None
    if steps:
        order = {c: i for i, c in enumerate(CYCLES)}
        steps.sort(key=lambda s: (order.get(s[2], 99), not s[3], s[0], s[1]))
        traced = TracedStory(who[0], who[1], tuple(
            TracedStep(c, i, trim(t, EXCERPT_CHARS)) for _, _, c, i, t in steps))

    for cycle, newest in pool.items():
        shown = {member for _, _, member, _ in newest}
        if len(shown) < min(EXCERPTS_PER_CYCLE, members[cycle]):
            # One member told all the newest: reach back for the others' newest words.
            newest += await _other_members(conn, params, cycle, shown)
    excerpts = _distinct_members(pool)
    columns = {
        c: Column(c, counts[c], members[c], new[c], excerpts.get(c, ()), stories_in[c])
        for c in STAGES
    }
    return Matrix(
        community=community.name, timezone=community.timezone, period=period, generated_at=now,
        last_digest_at=last_digest, columns=tuple(columns[c] for c in CYCLES),
        stories_count=stories_count, stories=stories, participation=participation,
        contributors=contributors, followup_stories=followup_stories, events=tuple(rows),
        traced=traced, intended=columns[INTENDED], plans=plans,
    )


async def _other_members(conn: AsyncConnection, params: dict[str, Any], cycle: str,
                         seen: set[int]) -> list[tuple[dt.datetime, int, int, Excerpt]]:
    """The newest narrative in a cycle (or the newest plan) of each of a few members not yet shown."""
    in_cycle = (Narrative.community_id == params["cid"], *_in_stage(cycle),
                Narrative.answered_at >= params["since"], Narrative.member_id.not_in(seen))
    last = func.max(Narrative.answered_at).label("last_at")
    newest = (select(Narrative.member_id, last).where(*in_cycle).group_by(Narrative.member_id)
              .order_by(last.desc()).limit(EXCERPTS_PER_CYCLE).subquery())
    rows = await conn.execute(
        select(Narrative.text, Narrative.answered_at, Narrative.id, Narrative.member_id,
               Membership.pseudonym)
        .join(newest, and_(newest.c.member_id == Narrative.member_id,
                           newest.c.last_at == Narrative.answered_at))
        .join(Membership, and_(Membership.member_id == Narrative.member_id,
                               Membership.community_id == Narrative.community_id))
        .where(*in_cycle))
    out = []
    for text, at, nid, member_id, pseudonym in rows:
        when = _aware(at) or EPOCH
        out.append((when, nid, member_id, Excerpt(pseudonym, trim(text, EXCERPT_CHARS), when)))
    return out


def _distinct_members(pool: dict[str, list[tuple[dt.datetime, int, int, Excerpt]]],
                      ) -> dict[str, tuple[Excerpt, ...]]:
    """The newest narratives per cycle, one per member while there are other members to show."""
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
