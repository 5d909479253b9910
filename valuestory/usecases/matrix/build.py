"""The Value Creation Matrix of one community over a period, read from the database.

Every count means what `glossary` says. All time reads the trigger-kept tallies (a few hundred
rows, see migrations 0003, 0005 and 0008_plans); a period reads narratives and prompts through
covering indexes. Both give the same numbers for the same data: a test holds them to it.

A plan (a narrative answering an intention question) is never applied value: it is counted
under `intended`, its own entry beside the five cycles, and never quoted under Applied.

The matrix leads with the community's value indicators, as the study draws it: read in its unit
of work through the indicators' shared query (`indicators.queries.on_matrix`), all time whatever
the period, each counted from its evidence and its members' check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from flows.engine import trim
from storage.db import Database
from storage.models import (
    Community,
)
from valuestory.usecases.indicators import queries as value_indicators
from valuestory.usecases.matrix.glossary import (
    CYCLES,
    INTENDED,
    NOBODY,
    STAGES,
    Participation,
    Plans,
)
from valuestory.usecases.matrix.period import Period
from valuestory.usecases.matrix.queries import (
    cell_narratives,
    other_members,
    statements,
)

EXCERPTS_PER_CYCLE = 3
# Newest narratives read per cycle to find excerpts from different members.
EXCERPT_POOL = 12
EXCERPT_CHARS = 160


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
    # The community's active indicators (all time), cycle by cycle, in their order.
    indicators: tuple[value_indicators.IndicatorView, ...] = ()

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

    def under(self, cycle: str) -> tuple[value_indicators.IndicatorView, ...]:
        """The indicators under one cycle, in their order."""
        return tuple(i for i in self.indicators if i.cycle == cycle)

    def to_dict(self) -> dict[str, Any]:
        """The matrix as plain data (for JSON), response rates included; its indicators by
        cycle, each with what backs it and its members' check."""
        data = dataclasses.asdict(self)
        data["indicators"] = {c: [{"id": i.id, "statement": i.statement, "capital": i.capital,
                                   "narratives": i.narratives, "stories": i.stories,
                                   "members": i.members, "check": dataclasses.asdict(i.check)}
                                  for i in self.under(c)]
                              for c in CYCLES}
        data["participation"]["response_rate"] = self.participation.response_rate
        for row, out in zip(self.events, data["events"], strict=True):
            out["participation"]["response_rate"] = row.participation.response_rate
        return data


def digest_key(community_id: int) -> str:
    return f"digest_sent:{community_id}"


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Later than any answer: "new since the last digest" counts nothing when there was none.
NEVER = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


async def build_matrix(db: Database, community: Community, period: Period | None = None,
                       now: dt.datetime | None = None) -> Matrix:
    """The community's Value Creation Matrix for a period, read from the database off the
    loop's thread (a year's matrix takes a while)."""
    async with db.long_read() as reading:
        return await _build(reading, community, period, now)


async def _build(
    session: AsyncSession, community: Community, period: Period | None = None,
    now: dt.datetime | None = None,
) -> Matrix:
    """The community's Value Creation Matrix for a period, read in the caller's unit of work.

    All time reads the trigger-kept tallies; a period reads the narratives through covering
    indexes.
    """
    period = period or Period()
    now = now or dt.datetime.now(dt.UTC)
    q = statements(period.since is None)
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
    standing = tuple(await value_indicators.on_matrix(session, community.id))
    columns = {
        c: Column(c, counts[c], members[c], new[c], excerpts.get(c, ()), stories_in[c])
        for c in STAGES
    }
    return Matrix(
        community=community.name, timezone=community.timezone, period=period, generated_at=now,
        last_digest_at=last_digest, columns=tuple(columns[c] for c in CYCLES),
        stories_count=stories_count, stories=stories, participation=participation,
        contributors=contributors, followup_stories=followup_stories, events=tuple(rows),
        traced=traced, intended=columns[INTENDED], plans=plans, indicators=standing,
    )


async def _other_members(conn: AsyncConnection, params: dict[str, Any], cycle: str,
                         seen: set[int]) -> list[tuple[dt.datetime, int, int, Excerpt]]:
    """The newest narrative in a cycle (or the newest plan) of each of a few members not yet shown."""
    rows = await conn.execute(other_members(params["cid"], cycle, params["since"], seen,
                                            EXCERPTS_PER_CYCLE))
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


async def narratives(db: Database, community_id: int, period: Period | None = None,
                     event_id: int | None = None, cycle: str | None = None,
                     limit: int = 200) -> list[CellNarrative]:
    """The narratives behind the matrix (or one of its cells), newest first, pseudonyms only."""
    period = period or Period()
    query = cell_narratives(community_id, period.since or EPOCH, event_id, cycle, limit)
    async with db.long_read() as reading:
        return [CellNarrative(*row) for row in await reading.execute(query)]
