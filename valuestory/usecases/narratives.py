"""The narratives a convener or researcher reads in the dashboard: filtered, newest first, by page.

Pages are keyed by (answered_at, id), never by an offset, so the hundredth page reads as few rows
as the first (`ix_narratives_community_id_answered_at`, or the per-cycle index with a cycle).
Only pseudonyms leave this module: an inner join to the membership means a member who withdrew
never appears. A cycle's narratives never include plans (answers to an intention question): the
cycle `intended` lists them, as the matrix counts them.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, String, and_, bindparam, literal, select, tuple_

from flows.questions import Capital
from storage.db import Database, Work, connection_of
from storage.models import Event, Membership, Narrative
from valuestory.usecases import access
from valuestory.usecases.matrix.glossary import INTENDED, STAGES
from valuestory.usecases.matrix.period import period_or_all

PAGE = 50


@dataclass(frozen=True)
class NarrativeFilter:
    """Which narratives: a cycle, a kind of capital, an event, answered since, a pseudonym, words."""

    cycle: str | None = None
    capital: str | None = None
    event_id: int | None = None
    since: dt.datetime | None = None
    pseudonym: str | None = None
    words: str | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last narrative shown."""

    answered_at: dt.datetime
    id: int

    def encode(self) -> str:
        return f"{round(self.answered_at.timestamp() * 1_000_000)}.{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        """A cursor from a page link; None for anything that is not one."""
        micros, _, nid = text.partition(".")
        if not (micros.isdigit() and nid.isdigit()) or len(micros) > 17 or len(nid) > 12:
            return None
        at = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(micros))
        return cls(at, int(nid))


class Item(NamedTuple):
    """One narrative as a page shows it (a tuple: a page makes fifty at a time)."""

    id: int
    story_id: str
    question: str
    answer: str
    pseudonym: str
    event_id: int
    event: str
    answered_at: dt.datetime
    revised: bool
    cycle: str
    capital: str | None
    intended: bool


@dataclass(frozen=True)
class Page:
    items: tuple[Item, ...]
    next: Cursor | None


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class _Shape:
    """Which filters a page has: one statement is built, and compiled, per shape, not per page."""

    cycle: bool
    capital: bool
    event: bool
    since: bool
    pseudonym: bool
    words: int
    after: bool
    plans: bool = False


def _param(name: str, model_column: Any) -> Any:
    return bindparam(name, type_=model_column.type)


@functools.lru_cache(maxsize=256)
def _statement(shape: _Shape) -> Select[Any]:
    """The one statement behind a page (one more row than shown, to know if there is a next).

    The page's narratives are chosen from narratives alone, read backwards off the index, and
    only those few are joined to their pseudonyms and events: joined first, a planner may read
    every membership before it stops at the limit.
    """
    community_id = _param("community_id", Narrative.community_id)
    chosen = (select(Narrative.id, Narrative.story_id, Narrative.question_text, Narrative.text,
                     Narrative.member_id, Narrative.event_id, Narrative.answered_at,
                     Narrative.revised_at, Narrative.cycle, Narrative.capital, Narrative.intended,
                     Narrative.community_id)
              .where(Narrative.community_id == community_id))
    # `=`, not `IS`: PostgreSQL uses an index for an equality only.
    if shape.plans:
        chosen = chosen.where(Narrative.intended == literal(True))
    elif shape.cycle:
        chosen = chosen.where(Narrative.cycle == _param("cycle", Narrative.cycle),
                              Narrative.intended == literal(False))
    if shape.capital:
        chosen = chosen.where(Narrative.capital == _param("capital", Narrative.capital))
    if shape.event:
        chosen = chosen.where(Narrative.event_id == _param("event_id", Narrative.event_id))
    if shape.since:
        chosen = chosen.where(Narrative.answered_at >= _param("since", Narrative.answered_at))
    if shape.pseudonym:
        chosen = chosen.where(Narrative.member_id.in_(select(Membership.member_id).where(
            Membership.community_id == community_id,
            Membership.pseudonym == _param("pseudonym", Membership.pseudonym))))
    for i in range(shape.words):
        chosen = chosen.where(Narrative.text.ilike(bindparam(f"word{i}", type_=String()),
                                                   escape="\\"))
    if shape.after:
        chosen = chosen.where(
            tuple_(Narrative.answered_at, Narrative.id)
            < tuple_(_param("after_at", Narrative.answered_at), _param("after_id", Narrative.id)))
    n = (chosen.order_by(Narrative.answered_at.desc(), Narrative.id.desc())
         .limit(bindparam("rows", type_=Integer())).subquery())
    # Item's fields, in its order: each row becomes an Item as it is.
    columns: list[Any] = [
        n.c.id, n.c.story_id, n.c.question_text, n.c.text, Membership.pseudonym, n.c.event_id,
        Event.title, n.c.answered_at, n.c.revised_at.is_not(None), n.c.cycle, n.c.capital,
        n.c.intended]
    # An inner join to the membership: a member who withdrew has none, and never appears. Joined
    # on the rows' own community, not the parameter again: given the parameter, SQLite's planner
    # builds a Bloom filter over the memberships for 51 rows, which took half as long again.
    return (select(*columns)
            .join(Membership, and_(Membership.member_id == n.c.member_id,
                                   Membership.community_id == n.c.community_id))
            .join(Event, Event.id == n.c.event_id)
            .order_by(n.c.answered_at.desc(), n.c.id.desc()))


def page_query(community_id: int, filt: NarrativeFilter, after: Cursor | None,
               size: int = PAGE) -> tuple[Select[Any], dict[str, Any]]:
    """A page's statement and its parameters."""
    words = (filt.words or "").split()[:8]
    plans = filt.cycle == INTENDED
    shape = _Shape(bool(filt.cycle) and not plans, bool(filt.capital), filt.event_id is not None,
                   filt.since is not None, bool(filt.pseudonym), len(words), after is not None,
                   plans)
    params: dict[str, Any] = {"community_id": community_id, "rows": size + 1,
                              "cycle": filt.cycle, "capital": filt.capital,
                              "event_id": filt.event_id, "since": filt.since,
                              "pseudonym": filt.pseudonym}
    params.update({f"word{i}": _like(word) for i, word in enumerate(words)})
    if after is not None:
        params.update(after_at=after.answered_at, after_id=after.id)
    return _statement(shape), params


async def page(work: Work, community_id: int, filt: NarrativeFilter,
               after: Cursor | None = None, size: int = PAGE) -> Page:
    """One page of a community's narratives, newest first, after `after`."""
    conn = await connection_of(work)
    statement, params = page_query(community_id, filt, after, size)
    rows = (await conn.execute(statement, params)).all()
    items = tuple(map(Item._make, rows[:size]))
    more = len(rows) > size and items
    return Page(items, Cursor(items[-1].answered_at, items[-1].id) if more else None)


async def _events_of(work: Work, community_id: int) -> list[tuple[int, str, dt.datetime]]:
    """The community's events, newest first, for the event filter: (id, title, starts_at)."""
    conn = await connection_of(work)  # plain rows: the ORM's handling of a statement costs more
    rows = await conn.execute(_EVENTS, {"community_id": community_id})
    return [(eid, title, at) for eid, title, at in rows]


_EVENTS = (select(Event.id, Event.title, Event.starts_at)
           .where(Event.community_id == _param("community_id", Event.community_id))
           .order_by(Event.starts_at.desc(), Event.id.desc()))


@dataclass(frozen=True)
class Listing:
    """What the dashboard's narratives page shows."""

    page: Page
    filt: NarrativeFilter
    events: list[tuple[int, str, dt.datetime]]
    since_readable: bool  # False: the period typed could not be read, so all time is shown
    paged: bool  # a later page, not the first


def _choice(value: str, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


async def for_page(db: Database, token: str | None, community_id: int, admins: frozenset[int],
                   now: dt.datetime, *, cycle: str = "", capital: str = "", event: str = "",
                   since: str = "", pseudonym: str = "", words: str = "", after: str = ""
                   ) -> access.Visit[Listing]:
    """The dashboard's narratives page, its filters as typed: who asks, and, if they may see the
    community, one page of its narratives and its events for the event filter."""
    cursor = Cursor.decode(after)
    # Who is asking, on a plain connection, no ORM session: its machinery would cost as much
    # again as the statements themselves (python -m bench.dashboard).
    async with db.connection() as conn:
        signed, view = await access.visiting(conn, token, community_id, admins, now)
    if view is None:
        return access.Visit(signed, None)
    period, readable = period_or_all(since.strip(), view.community.timezone, now)
    filt = NarrativeFilter(
        cycle=_choice(cycle, STAGES), capital=_choice(capital, tuple(Capital)),
        event_id=int(event) if event.isdigit() and len(event) < 12 else None,
        since=period.since, pseudonym=pseudonym.strip().upper() or None,
        words=words.strip()[:200] or None)
    # Words looked for among a million narratives can take a while: off the loop's thread.
    async with db.long_read() as reading:
        found = await page(reading, view.community.id, filt, cursor)
        listed = await _events_of(reading, view.community.id)
    return access.Visit(signed, view, Listing(found, filt, listed, readable, cursor is not None))
