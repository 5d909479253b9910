"""What each of the dashboard's coding pages shows, read in one unit of work per page.

One door per page: the codebook, a narrative's coding view, a coding set, agreement. Each checks,
as every coding door does, that the signed-in caller may code the community (else `Unknown`, a
404 to the page), and returns plain data with the caller's `access.View` for the page's tabs.
Opening a narrative's coding view records that the coder has seen it (agreement counts it), and
shows only the codings the coder may see (in a blind set not yet marked done: their own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.db import Database
from storage.models import CodingSetDone
from valuestory.usecases import access
from valuestory.usecases.coding import (
    Agreement,
    Caller,
    CodeView,
    CodingView,
    SetView,
    Unknown,
    _allowed,
    _coder,
    _coding_view,
    _mark_seen,
    _narrative,
    _set,
    _views,
    agreement,
    queries,
)
from valuestory.usecases.times import utcnow


@dataclass(frozen=True)
class Shown:
    """A narrative as the coding view shows it (a member's pseudonym, never who they are)."""

    id: int
    question: str
    text: str
    pseudonym: str
    event: str
    answered_at: dt.datetime
    cycle: str
    capital: str | None
    intended: bool


@dataclass(frozen=True)
class Codebook:
    view: access.View
    label: str | None
    codes: list[CodeView]
    parents: dict[int, str]  # code id -> name, to name each code's parent
    sets: list[SetView]
    conveners_code: bool


@dataclass(frozen=True)
class NarrativeCoding:
    view: access.View
    label: str | None  # None: the coder must choose one before coding
    narrative: Shown
    codes: list[CodeView]
    codings: list[CodingView]  # those the caller may see
    hidden_by: list[str]  # blind sets holding it that the caller has not marked done
    sets: list[str]


@dataclass(frozen=True)
class SetRow:
    id: int
    pseudonym: str
    question: str
    text: str
    mine: int  # the caller's codings on it
    seen: bool  # the caller has opened it (or coded it)


@dataclass(frozen=True)
class SetScreen:
    view: access.View
    label: str | None
    set: SetView
    rows: list[SetRow]
    done: bool  # the caller marked it done


@dataclass(frozen=True)
class AgreementScreen:
    view: access.View
    rows: list[Agreement]
    sets: list[SetView]
    set_name: str | None


def _view(view: access.View | None) -> access.View:
    assert view is not None, "the dashboard's pages are for signed-in callers"
    return view


async def codebook_screen(db: Database, caller: Caller, community: int) -> Codebook:
    """The codebook page: codes with their counts, the sets, the caller's label."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        codes = await _views(session, allowed.community.id)
        who = await _coder(session, allowed, None, utcnow(), create=False)
        found = []
        for s in (await session.scalars(queries.coding_sets(allowed.community.id))).all():
            held = len((await session.scalars(queries.in_set(s.id))).all())
            done = tuple((await session.scalars(queries.done_in(s.id))).all())
            found.append(SetView(s.id, s.name, s.blind, held, done))
        return Codebook(_view(allowed.view), who.label if who else None, codes,
                        {c.id: c.name for c in codes}, found, allowed.community.conveners_code)


async def colours(db: Database, caller: Caller, community: int) -> list[tuple[int, str]]:
    """Each code's id and colour, for the pages' stylesheet."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        return [(c.id, c.colour) for c in
                (await session.scalars(queries.codes(allowed.community.id))).all()]


async def narrative_screen(db: Database, caller: Caller, community: int, narrative: int,
                           now: dt.datetime | None = None) -> NarrativeCoding:
    """A narrative's coding view; a coder opening it has now seen it."""
    now = now or utcnow()
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        await _narrative(session, allowed, narrative)
        row = (await session.execute(queries.shown_narrative(allowed.community.id,
                                                             narrative))).first()
        if row is None:
            raise Unknown(f"no narrative #{narrative} to code")
        n, pseudonym, event = row
        shown = Shown(n.id, n.question_text, n.text, pseudonym, event, n.answered_at, n.cycle,
                      n.capital, n.intended)
        who = await _coder(session, allowed, None, now, create=False)
        if who is not None:
            await _mark_seen(session, who, [n.id], now)
        seen = [_coding_view(c, name, colour, label, n.text) for c, name, colour, label in
                (await session.execute(queries.codings_on([n.id], who.id if who else None))).all()]
        holding = (await session.scalars(queries.sets_holding(n.id))).all()
        hidden = []
        for s in holding:
            if s.blind and (who is None or await session.scalar(
                    queries.done_by(s.id, who.id)) is None):
                hidden.append(s.name)
        return NarrativeCoding(_view(allowed.view), who.label if who else None, shown,
                               await _views(session, allowed.community.id), seen, hidden,
                               [s.name for s in holding])


async def set_screen(db: Database, caller: Caller, community: int, set_id: int) -> SetScreen:
    """A coding set's page: its narratives, which the caller has seen and coded, who is done."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        found = await _set(session, allowed, set_id)
        who = await _coder(session, allowed, None, utcnow(), create=False)
        mine: dict[int, int] = {}
        seen: set[int] = set()
        if who is not None:
            mine = dict((await session.execute(queries.my_codings_in_set(found.id, who.id))).all())
            seen = set((await session.scalars(queries.seen_in_set(found.id, who.id))).all())
        rows = [SetRow(nid, pseudonym, question, text, mine.get(nid, 0), nid in seen)
                for nid, question, text, pseudonym in
                (await session.execute(queries.set_narratives(found.id))).all()]
        done = tuple((await session.scalars(queries.done_in(found.id))).all())
        mine_done = who is not None and await session.get(
            CodingSetDone, (found.id, who.id)) is not None
        return SetScreen(_view(allowed.view), who.label if who else None,
                         SetView(found.id, found.name, found.blind, len(rows), done), rows,
                         mine_done)


async def agreement_screen(db: Database, caller: Caller, community: int,
                           set_name: str = "") -> AgreementScreen:
    """Agreement per code among every coder (within a set, if one is chosen)."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        found = [SetView(s.id, s.name, s.blind, 0, ())
                 for s in (await session.scalars(queries.coding_sets(allowed.community.id))).all()]
    chosen = set_name.strip() or None
    rows = await agreement(db, caller, community, set_name=chosen)
    return AgreementScreen(_view(allowed.view), rows, found, chosen)
