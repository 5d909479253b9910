"""The narratives a convener or researcher reads in the dashboard: filtered, newest first, by page.

Pages are keyed by (answered_at, id), never by an offset, so the hundredth page reads as few rows
as the first (`ix_narratives_community_id_answered_at`, or the per-cycle index with a cycle).
Only pseudonyms leave this module: an inner join to the membership means a member who withdrew
never appears. A cycle's narratives never include plans (answers to an intention question): the
cycle `intended` lists them, as the matrix counts them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Select

from flows.questions import Capital
from storage.db import Database, Work, connection_of
from valuestory.usecases import access
from valuestory.usecases.matrix.glossary import INTENDED, STAGES
from valuestory.usecases.matrix.period import period_or_all
from valuestory.usecases.narratives.queries import (
    CODER,
    CODES,
    CONVENERS_CODE,
    EVENTS,
    Shape,
    like,
    statement,
)

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
    code_id: int | None = None  # coded with this code (as the visitor may see codings)
    coder_id: int | None = None  # the visitor as a coder, whose blind sets hide others' codings


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


def page_query(community_id: int, filt: NarrativeFilter, after: Cursor | None,
               size: int = PAGE) -> tuple[Select[Any], dict[str, Any]]:
    """A page's statement and its parameters."""
    words = (filt.words or "").split()[:8]
    plans = filt.cycle == INTENDED
    shape = Shape(bool(filt.cycle) and not plans, bool(filt.capital), filt.event_id is not None,
                   filt.since is not None, bool(filt.pseudonym), len(words), after is not None,
                   plans, filt.code_id is not None)
    params: dict[str, Any] = {"community_id": community_id, "rows": size + 1,
                              "cycle": filt.cycle, "capital": filt.capital,
                              "event_id": filt.event_id, "since": filt.since,
                              "pseudonym": filt.pseudonym}
    if filt.code_id is not None:
        params.update(code_id=filt.code_id,
                      coder_id=filt.coder_id if filt.coder_id is not None else -1)
    params.update({f"word{i}": like(word) for i, word in enumerate(words)})
    if after is not None:
        params.update(after_at=after.answered_at, after_id=after.id)
    return statement(shape), params


async def _page(work: Work, community_id: int, filt: NarrativeFilter,
               after: Cursor | None = None, size: int = PAGE) -> Page:
    """One page of a community's narratives, newest first, after `after`."""
    conn = await connection_of(work)
    statement, params = page_query(community_id, filt, after, size)
    rows = (await conn.execute(statement, params)).all()
    items = tuple(map(Item._make, rows[:size]))
    more = len(rows) > size and items
    return Page(items, Cursor(items[-1].answered_at, items[-1].id) if more else None)


async def page_of(db: Database, community_id: int, filt: NarrativeFilter,
                  after: Cursor | None = None, size: int = PAGE) -> Page:
    """One page of a community's narratives, newest first, after `after`, read on its own."""
    async with db.connection() as conn:
        return await _page(conn, community_id, filt, after, size)


async def _events_of(work: Work, community_id: int) -> list[tuple[int, str, dt.datetime]]:
    """The community's events, newest first, for the event filter: (id, title, starts_at)."""
    conn = await connection_of(work)  # plain rows: the ORM's handling of a statement costs more
    rows = await conn.execute(EVENTS, {"community_id": community_id})
    return [(eid, title, at) for eid, title, at in rows]



@dataclass(frozen=True)
class Listing:
    """What the dashboard's narratives page shows."""

    page: Page
    filt: NarrativeFilter
    events: list[tuple[int, str, dt.datetime]]
    since_readable: bool  # False: the period typed could not be read, so all time is shown
    paged: bool  # a later page, not the first
    may_code: bool = False  # the visitor may code these narratives (the page shows the tools)
    codes: tuple[tuple[int, str], ...] = ()  # the codebook, for the code filter, to coders


def _choice(value: str, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


async def for_page(db: Database, token: str | None, community_id: int, admins: frozenset[int],
                   now: dt.datetime, *, cycle: str = "", capital: str = "", event: str = "",
                   since: str = "", pseudonym: str = "", words: str = "", after: str = "",
                   code: str = "") -> access.Visit[Listing]:
    """The dashboard's narratives page, its filters as typed: who asks, and, if they may see the
    community, one page of its narratives and its events for the event filter."""
    cursor = Cursor.decode(after)
    # Who is asking, on a plain connection, no ORM session: its machinery would cost as much
    # again as the statements themselves (python -m bench.dashboard).
    async with db.connection() as conn:
        signed, view = await access.queries.visiting(conn, token, community_id, admins, now)
        if view is None or signed is None:
            return access.Visit(signed, None)
        cid = view.community.id
        coding = access.may_code(view, view.exports is None and bool(
            await conn.scalar(CONVENERS_CODE, {"community_id": cid})))
        codes = tuple((i, n) for i, n in (await conn.execute(
            CODES, {"community_id": cid})).all()) if coding else ()
        code_id = int(code) if code.isdigit() and len(code) < 12 else None
        code_id = code_id if code_id in dict(codes) else None  # only a code of its codebook
        coder_id = await conn.scalar(CODER, {"community_id": cid, "user_id": signed.user_id}) \
            if code_id is not None else None
    period, readable = period_or_all(since.strip(), view.community.timezone, now)
    filt = NarrativeFilter(
        cycle=_choice(cycle, STAGES), capital=_choice(capital, tuple(Capital)),
        event_id=int(event) if event.isdigit() and len(event) < 12 else None,
        since=period.since, pseudonym=pseudonym.strip().upper() or None,
        words=words.strip()[:200] or None, code_id=code_id, coder_id=coder_id)
    # Words looked for among a million narratives can take a while: off the loop's thread.
    async with db.long_read() as reading:
        found = await _page(reading, view.community.id, filt, cursor)
        listed = await _events_of(reading, view.community.id)
    return access.Visit(signed, view, Listing(found, filt, listed, readable, cursor is not None,
                                              coding, codes))
