"""Value indicators: short statements of the value a community creates, under one cycle of its
matrix, each standing on members' narratives as its evidence.

Invariants this module keeps:
- How many narratives, stories and members back an indicator is read from its links every
  time, never typed or stored; a link goes with its narrative, so a withdrawal changes the counts.
- A plan (a narrative answering an intention question) is not something a member did: it may
  back immediate or potential value, never applied, realised or reframing value.
- A capital is named under potential value only. At most two quotes, chosen from its evidence.
- Every change is kept in the indicator's audit log with who made it as a label ("convener K7QX",
  "command line"), never a Telegram id or name, and with no narrative's text.
- Conveners, researchers of the community and admins may change indicators; the command line
  runs with the operator's rights. Anyone else is told the indicator does not exist (`Unknown`).

Each door takes the `Database`, the `Caller` and plain values as typed, checks the caller's
rights and owns its unit of work; its SQL sits in `queries`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from flows import suggestions as examples
from flows.questions import Capital, ValueCycle
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    Community,
    Indicator,
    IndicatorChange,
    IndicatorEvidence,
    IndicatorExampleLeft,
    IndicatorStatus,
)
from valuestory.usecases import access
from valuestory.usecases.errors import AdminError
from valuestory.usecases.exports.writers import neutralise
from valuestory.usecases.indicators import queries
from valuestory.usecases.indicators.queries import Check, Comment, IndicatorView, Quote
from valuestory.usecases.parsing import parse_id
from valuestory.usecases.times import utcnow

CYCLES: tuple[str, ...] = tuple(c.value for c in ValueCycle)
CAPITALS: tuple[str, ...] = tuple(c.value for c in Capital)
# Cycles a plan may back: what members took away, not what they did with it.
PLAN_CYCLES: tuple[str, ...] = (ValueCycle.IMMEDIATE.value, ValueCycle.POTENTIAL.value)
STATEMENT_CHARS = 300
MAX_QUOTES = 2
# Who did it, in an indicator's audit log, for everything done on the command line.
COMMAND_LINE_ACTOR = "command line"


class IndicatorError(AdminError):
    """Something asked of an indicator that can't be done, said plainly (what to fix)."""


class Unknown(IndicatorError):
    """No such indicator, narrative or community, or none the caller may see."""


@dataclass(frozen=True)
class Caller:
    """Who is asking: a person signed in (their Telegram id, and the admins from the settings),
    or the command line (`user_id` None), which runs with the operator's rights."""

    user_id: int | None
    admins: frozenset[int] = frozenset()


COMMAND_LINE = Caller(None)


@dataclass(frozen=True)
class Evidence:
    """One narrative backing an indicator, as its editor shows it."""

    narrative_id: int
    story_id: str
    pseudonym: str
    question: str
    text: str
    cycle: str
    capital: str | None
    intended: bool
    quoted: bool
    answered_at: dt.datetime


@dataclass(frozen=True)
class Change:
    """One entry of an indicator's audit log."""

    at: dt.datetime
    actor: str
    action: str
    details: dict[str, Any]


@dataclass(frozen=True)
class Detail:
    """One indicator with its evidence and its audit log (newest first)."""

    indicator: IndicatorView
    evidence: tuple[Evidence, ...]
    changes: tuple[Change, ...]


Suggestion = examples.Suggestion


def suggestions(language: str | None) -> tuple[Suggestion, ...]:
    """A few example indicators per cycle, written in `language` (English where it has none)."""
    return examples.suggestions(language)


# --- parsing -----------------------------------------------------------------------------------


def parse_cycle(text: str) -> str:
    cycle = text.strip().lower()
    if cycle not in CYCLES:
        raise IndicatorError(f"{text!r} is not a cycle; use one of {', '.join(CYCLES)}")
    return cycle


def parse_capital(text: str | None, cycle: str) -> str | None:
    capital = (text or "").strip().lower()
    if not capital:
        return None
    if cycle != ValueCycle.POTENTIAL:
        raise IndicatorError("a capital is named under potential value only")
    if capital not in CAPITALS:
        raise IndicatorError(f"{text!r} is not a capital; use one of {', '.join(CAPITALS)}")
    return capital


def parse_statement(text: str) -> str:
    statement = " ".join(text.split())
    if not statement:
        raise IndicatorError("write the indicator's statement, e.g. \"Members have more confidence\"")
    if len(statement) > STATEMENT_CHARS:
        raise IndicatorError(f"keep the statement under {STATEMENT_CHARS} characters "
                             f"(it has {len(statement)})")
    return statement


def parse_ids(given: str | Iterable[int | str]) -> list[int]:
    """Narrative ids as typed ("12,15 17") or as a form's values, each once, in order."""
    parts = given.replace(",", " ").split() if isinstance(given, str) else [str(g) for g in given]
    ids: list[int] = []
    for part in parts:
        value = parse_id(part.strip().lstrip("#"))
        if value is None:
            raise IndicatorError(f"{part!r} is not a narrative id; give numbers as the exports "
                                 "show them in narrative_id, e.g. 12,15")
        if value not in ids:
            ids.append(value)
    return ids


def _indicator_id(value: int | str) -> int:
    found = value if isinstance(value, int) else parse_id(value.strip().lstrip("#"))
    if found is None:
        raise IndicatorError(f"{value!r} is not an indicator id; `indicator list` shows them")
    return found


# --- who asks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Allowed:
    community: Community
    actor: str
    view: access.View | None  # None on the command line


async def _allowed(session: AsyncSession, caller: Caller, community: int | str | None,
                   indicator_id: int | str | None = None, *, acting: bool = True) -> _Allowed:
    """The community, if the caller may work on its indicators, with how the log names them
    (when `acting`: a read needs no name).

    On the command line a change to one indicator may leave the community out: it is the
    indicator's own."""
    if caller.user_id is None:
        if community is None and indicator_id is not None:
            iid = _indicator_id(indicator_id)
            community = await session.scalar(queries.community_of(iid))
            if community is None:
                raise Unknown(f"no indicator #{iid}; `indicator list` shows them")
        ref = str(community).strip()
        found = await repo.community_by_name_or_id(session, ref, parse_id(ref))
        if found is None:
            raise Unknown(f"no community called {ref!r}")
        return _Allowed(found, COMMAND_LINE_ACTOR, None)
    cid = community if isinstance(community, int) else parse_id(community or "")
    view = await access.queries.view(session, caller.user_id, cid, caller.admins) if cid else None
    found = await session.get(Community, cid) if view is not None else None
    if view is None or found is None:
        raise Unknown("no such community")
    actor = await _actor(session, caller, caller.user_id, view) if acting else ""
    return _Allowed(found, actor, view)


async def _actor(session: AsyncSession, caller: Caller, user_id: int, view: access.View) -> str:
    """A label for the audit log: the role, and the pseudonym if they are also a member."""
    if access.is_admin(user_id, caller.admins):
        return "admin"
    role = "convener" if view.convenes else "researcher"
    pseudonym = await session.scalar(queries.pseudonym_of(user_id, view.community.id))
    if pseudonym:
        return f"{role} {pseudonym}"
    if view.convenes:
        grant = await session.scalar(queries.convener_grant(user_id, view.community.id))
        return f"convener grant #{grant}"
    return view.exports.actor if view.exports is not None else role


async def _indicator(session: AsyncSession, allowed: _Allowed, indicator_id: int | str
                     ) -> Indicator:
    iid = _indicator_id(indicator_id)
    found = await session.scalar(queries.one(allowed.community.id, iid))
    if found is None:
        raise Unknown(f"no indicator #{iid} in {allowed.community.name}")
    return found


def _log(session: AsyncSession, indicator: Indicator, actor: str, action: str,
         now: dt.datetime, **details: Any) -> None:
    session.add(IndicatorChange(indicator_id=indicator.id, at=now, actor=actor, action=action,
                                details=details))


async def _last(session: AsyncSession, community_id: int, cycle: str) -> int:
    return (await session.scalar(queries.last_position(community_id, cycle))) or 0


async def _check_evidence(session: AsyncSession, allowed: _Allowed, cycle: str,
                          ids: list[int]) -> None:
    """Each narrative is the community's, and no plan backs what members did."""
    if not ids:
        return
    found = dict((await session.execute(
        queries.narratives_of(allowed.community.id, ids))).all())
    for nid in ids:
        if nid not in found:
            raise Unknown(f"no narrative {nid} in {allowed.community.name}")
        if found[nid] and cycle not in PLAN_CYCLES:
            raise IndicatorError(
                f"narrative {nid} is a plan, not something a member did: a plan can back "
                "immediate or potential value only")


async def _link(session: AsyncSession, allowed: _Allowed, indicator: Indicator, ids: list[int],
                now: dt.datetime) -> list[int]:
    """Link these narratives (checked) to the indicator; the ids newly linked."""
    await _check_evidence(session, allowed, indicator.cycle, ids)
    have = {e.narrative_id for e in (await session.scalars(queries.links(indicator.id))).all()}
    new = [nid for nid in ids if nid not in have]
    session.add_all(IndicatorEvidence(indicator_id=indicator.id, narrative_id=nid, quoted=False,
                                      added_at=now) for nid in new)
    return new


# --- reading -----------------------------------------------------------------------------------


async def listing(db: Database, community: int | str, caller: Caller = COMMAND_LINE, *,
                  statuses: Iterable[str] = (IndicatorStatus.ACTIVE,)) -> list[IndicatorView]:
    """A community's indicators (active ones unless asked), cycle by cycle, in their order."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community, acting=False)
        found = (await session.scalars(queries.indicators(allowed.community.id, statuses))).all()
        return await queries.views(session, found)


@dataclass(frozen=True)
class Board:
    """What the matrix page shows of a community's indicators: those on the matrix, those
    retired or merged, the examples it has neither adopted nor left, and those it left."""

    active: list[IndicatorView]
    retired: list[IndicatorView]
    offered: list[Suggestion]
    left: list[Suggestion] = field(default_factory=list)  # examples it chose not to use


async def board(db: Database, community: int | str, caller: Caller = COMMAND_LINE) -> Board:
    """A community's indicators for its matrix page, with the examples still offered."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community, acting=False)
        found = await queries.views(session, (await session.scalars(queries.indicators(
            allowed.community.id, tuple(IndicatorStatus)))).all())
        offered, left = await _examples(session, allowed.community)
        return Board([v for v in found if v.status == IndicatorStatus.ACTIVE],
                     [v for v in found if v.status != IndicatorStatus.ACTIVE], offered, left)


async def detail(db: Database, caller: Caller, community: int | str | None,
                 indicator_id: int | str) -> Detail:
    """One indicator, its evidence and its audit log."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community, indicator_id, acting=False)
        return await _detail(session, await _indicator(session, allowed, indicator_id))


async def _detail(session: AsyncSession, indicator: Indicator) -> Detail:
    view = (await queries.views(session, [indicator]))[0]
    rows = (await session.execute(queries.evidence(indicator.id))).all()
    logged = (await session.execute(queries.changes(indicator.id))).all()
    return Detail(view, tuple(Evidence(*row) for row in rows),
                  tuple(Change(at, actor, action, dict(details or {}))
                        for at, actor, action, details in logged))


async def offered(db: Database, community: int | str, caller: Caller = COMMAND_LINE
                  ) -> list[Suggestion]:
    """The examples a community has not adopted yet, in its language."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community, acting=False)
        return await _offered(session, allowed.community)


async def _offered(session: AsyncSession, community: Community) -> list[Suggestion]:
    return (await _examples(session, community))[0]


async def _examples(session: AsyncSession, community: Community
                    ) -> tuple[list[Suggestion], list[Suggestion]]:
    """The examples not adopted, in the community's language: those still offered, and those
    it chose to leave."""
    taken = set((await session.scalars(queries.adopted(community.id))).all())
    left = set((await session.scalars(queries.left(community.id))).all())
    free = [s for s in suggestions(community.language) if s.key not in taken]
    return [s for s in free if s.key not in left], [s for s in free if s.key in left]


async def leave(db: Database, caller: Caller, community: int | str, key: str,
                now: dt.datetime | None = None) -> Suggestion:
    """Leave an example: it is no longer offered to the community (it can still be adopted)."""
    example = examples.BY_KEY.get(key.strip())
    if example is None:
        raise IndicatorError(f"{key!r} is not one of the examples")
    async with db.session() as session:
        allowed = await _allowed(session, caller, community, acting=False)
        if example.key not in set((await session.scalars(queries.left(allowed.community.id))).all()):
            session.add(IndicatorExampleLeft(community_id=allowed.community.id,
                                             example=example.key, left_at=now or utcnow()))
        return next(s for s in suggestions(allowed.community.language) if s.key == example.key)


# --- changing ----------------------------------------------------------------------------------


async def add(db: Database, caller: Caller, community: int | str, cycle: str, statement: str,
              capital: str | None = None, evidence: str | Iterable[int | str] = "",
              now: dt.datetime | None = None) -> IndicatorView:
    """A new indicator under a cycle (a capital under potential value), last in its cycle,
    backed by the narratives given (ids as the exports show them)."""
    now = now or utcnow()
    chosen = parse_cycle(cycle)
    kind = parse_capital(capital, chosen)
    said = parse_statement(statement)
    ids = parse_ids(evidence)
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        created = await _create(session, allowed, chosen, kind, said, now)
        linked = await _link(session, allowed, created, ids, now)
        if linked:
            _log(session, created, allowed.actor, "linked", now, narratives=linked)
        await session.flush()
        return (await queries.views(session, [created]))[0]


async def _create(session: AsyncSession, allowed: _Allowed, cycle: str, capital: str | None,
                  statement: str, now: dt.datetime, suggestion: str | None = None) -> Indicator:
    created = Indicator(community_id=allowed.community.id, cycle=cycle, capital=capital,
                        statement=statement, status=IndicatorStatus.ACTIVE,
                        position=await _last(session, allowed.community.id, cycle) + 1,
                        suggestion=suggestion, created_at=now, updated_at=now)
    session.add(created)
    await session.flush()
    details: dict[str, Any] = {"cycle": cycle, "statement": statement}
    if capital:
        details["capital"] = capital
    if suggestion:
        details["example"] = suggestion
    _log(session, created, allowed.actor, "adopted" if suggestion else "created", now, **details)
    return created


async def adopt(db: Database, caller: Caller, community: int | str, key: str,
                now: dt.datetime | None = None) -> IndicatorView:
    """Adopt one of the examples, in the community's language, last in its cycle."""
    now = now or utcnow()
    example = examples.BY_KEY.get(key.strip())
    if example is None:
        raise IndicatorError(f"{key!r} is not one of the examples")
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        taken = set((await session.scalars(queries.adopted(allowed.community.id))).all())
        if example.key in taken:
            raise IndicatorError("that example is on the matrix already")
        worded = next(s for s in suggestions(allowed.community.language) if s.key == example.key)
        created = await _create(session, allowed, str(example.cycle),
                                example.capital and str(example.capital), worded.statement, now,
                                suggestion=example.key)
        return (await queries.views(session, [created]))[0]


async def edit(db: Database, caller: Caller, community: int | str | None, indicator_id: int | str, *,
               statement: str | None = None, cycle: str | None = None,
               capital: str | None = None, now: dt.datetime | None = None) -> IndicatorView:
    """Change an indicator's statement, cycle or capital (what is None stays as it is; an empty
    capital clears it). Moving it to another cycle puts it last there; its evidence must still
    fit (no plan under what members did)."""
    now = now or utcnow()
    async with db.session() as session:
        allowed = await _allowed(session, caller, community, indicator_id)
        found = await _indicator(session, allowed, indicator_id)
        new_cycle = parse_cycle(cycle) if cycle is not None and cycle.strip() else found.cycle
        new_capital = (parse_capital(capital, new_cycle) if capital is not None
                       else (found.capital if new_cycle == ValueCycle.POTENTIAL else None))
        new_statement = parse_statement(statement) if statement is not None else found.statement
        changed: dict[str, Any] = {}
        for name, old, new in (("statement", found.statement, new_statement),
                               ("cycle", found.cycle, new_cycle),
                               ("capital", found.capital, new_capital)):
            if old != new:
                changed[name] = {"from": old, "to": new}
        if "cycle" in changed:
            linked = [e.narrative_id for e in (await session.scalars(queries.links(found.id))).all()]
            await _check_evidence(session, allowed, new_cycle, linked)
            found.position = await _last(session, allowed.community.id, new_cycle) + 1
        if changed:
            found.statement, found.cycle, found.capital = new_statement, new_cycle, new_capital
            found.updated_at = now
            _log(session, found, allowed.actor, "edited", now, **changed)
        await session.flush()
        return (await queries.views(session, [found]))[0]


async def link(db: Database, caller: Caller, community: int | str | None, indicator_id: int | str,
               evidence: str | Iterable[int | str], now: dt.datetime | None = None
               ) -> IndicatorView:
    """Add narratives to an indicator's evidence (those already there stay as they are)."""
    now = now or utcnow()
    ids = parse_ids(evidence)
    if not ids:
        raise IndicatorError("give the narratives to link, e.g. --evidence 12,15")
    async with db.session() as session:
        allowed = await _allowed(session, caller, community, indicator_id)
        found = await _indicator(session, allowed, indicator_id)
        linked = await _link(session, allowed, found, ids, now)
        if linked:
            found.updated_at = now
            _log(session, found, allowed.actor, "linked", now, narratives=linked)
        await session.flush()
        return (await queries.views(session, [found]))[0]


async def unlink(db: Database, caller: Caller, community: int | str | None, indicator_id: int | str,
                 evidence: str | Iterable[int | str], now: dt.datetime | None = None
                 ) -> IndicatorView:
    """Take narratives out of an indicator's evidence (and its quotes)."""
    now = now or utcnow()
    ids = parse_ids(evidence)
    async with db.session() as session:
        allowed = await _allowed(session, caller, community, indicator_id)
        found = await _indicator(session, allowed, indicator_id)
        have = {e.narrative_id for e in (await session.scalars(queries.links(found.id))).all()}
        gone = [nid for nid in ids if nid in have]
        if gone:
            await session.execute(queries.unlink(found.id, gone))
            found.updated_at = now
            _log(session, found, allowed.actor, "unlinked", now, narratives=gone)
        await session.flush()
        return (await queries.views(session, [found]))[0]


async def set_quotes(db: Database, caller: Caller, community: int | str | None,
                     indicator_id: int | str, evidence: str | Iterable[int | str],
                     now: dt.datetime | None = None) -> IndicatorView:
    """Choose the one or two narratives of its evidence shown with an indicator (none: no quote)."""
    now = now or utcnow()
    ids = parse_ids(evidence)
    if len(ids) > MAX_QUOTES:
        raise IndicatorError(f"choose at most {MAX_QUOTES} quotes")
    async with db.session() as session:
        allowed = await _allowed(session, caller, community, indicator_id)
        found = await _indicator(session, allowed, indicator_id)
        links = (await session.scalars(queries.links(found.id))).all()
        have = {e.narrative_id for e in links}
        for nid in ids:
            if nid not in have:
                raise IndicatorError(f"narrative {nid} is not evidence of this indicator: "
                                     "link it first")
        before = sorted(e.narrative_id for e in links if e.quoted)
        if before != sorted(ids):
            await session.execute(queries.quote_only(found.id, ids))
            found.updated_at = now
            _log(session, found, allowed.actor, "quoted", now, narratives=ids)
        await session.flush()
        return (await queries.views(session, [found]))[0]


async def merge(db: Database, caller: Caller, community: int | str | None, indicator_id: int | str,
                into: int | str, now: dt.datetime | None = None) -> IndicatorView:
    """Merge one indicator into another of the community: its evidence joins the other's (whose
    statement, cycle and quotes stay), and it leaves the matrix. Returns the one merged into."""
    now = now or utcnow()
    async with db.session() as session:
        allowed = await _allowed(session, caller, community, indicator_id)
        source = await _indicator(session, allowed, indicator_id)
        target = await _indicator(session, allowed, into)
        if source.id == target.id:
            raise IndicatorError("choose another indicator to merge it into")
        for one in (source, target):
            if one.status != IndicatorStatus.ACTIVE:
                raise IndicatorError(f"indicator #{one.id} is {one.status}: restore it first")
        ids = [e.narrative_id for e in (await session.scalars(queries.links(source.id))).all()]
        moved = await _link(session, allowed, target, ids, now)
        source.status, source.merged_into_id, source.updated_at = (
            IndicatorStatus.MERGED, target.id, now)
        target.updated_at = now
        _log(session, source, allowed.actor, "merged", now, into=target.id)
        _log(session, target, allowed.actor, "merged", now, merged_from=source.id,
             narratives=moved)
        await session.flush()
        return (await queries.views(session, [target]))[0]


async def retire(db: Database, caller: Caller, community: int | str | None, indicator_id: int | str,
                 now: dt.datetime | None = None) -> IndicatorView:
    """Take an indicator off the matrix; it keeps its evidence and can be restored."""
    return await _set_status(db, caller, community, indicator_id, IndicatorStatus.RETIRED,
                             "retired", now or utcnow())


async def restore(db: Database, caller: Caller, community: int | str | None, indicator_id: int | str,
                  now: dt.datetime | None = None) -> IndicatorView:
    """Put a retired or merged indicator back on the matrix, last in its cycle."""
    return await _set_status(db, caller, community, indicator_id, IndicatorStatus.ACTIVE,
                             "restored", now or utcnow())


async def _set_status(db: Database, caller: Caller, community: int | str | None,
                      indicator_id: int | str, status: str, action: str, now: dt.datetime
                      ) -> IndicatorView:
    async with db.session() as session:
        allowed = await _allowed(session, caller, community, indicator_id)
        found = await _indicator(session, allowed, indicator_id)
        if found.status != status:
            if status == IndicatorStatus.ACTIVE:
                found.position = await _last(session, allowed.community.id, found.cycle) + 1
                found.merged_into_id = None
            found.status, found.updated_at = status, now
            _log(session, found, allowed.actor, action, now)
        await session.flush()
        return (await queries.views(session, [found]))[0]


async def move(db: Database, caller: Caller, community: int | str | None, indicator_id: int | str,
               step: int, now: dt.datetime | None = None) -> IndicatorView:
    """Move an indicator up (step -1) or down (+1) among its cycle's active indicators."""
    now = now or utcnow()
    async with db.session() as session:
        allowed = await _allowed(session, caller, community, indicator_id)
        found = await _indicator(session, allowed, indicator_id)
        if found.status != IndicatorStatus.ACTIVE:
            raise IndicatorError(f"indicator #{found.id} is {found.status}: restore it first")
        row = [i for i in (await session.scalars(queries.indicators(
            allowed.community.id, (IndicatorStatus.ACTIVE,)))).all() if i.cycle == found.cycle]
        at = next(n for n, i in enumerate(row) if i.id == found.id)
        to = max(0, min(len(row) - 1, at + (1 if step > 0 else -1)))
        if to != at:
            row.insert(to, row.pop(at))
            for n, i in enumerate(row, start=1):
                i.position = n
            found.updated_at = now
            _log(session, found, allowed.actor, "moved", now, position=to + 1)
        await session.flush()
        return (await queries.views(session, [found]))[0]


# --- the dashboard's pages ---------------------------------------------------------------------


@dataclass(frozen=True)
class Editor:
    """The indicator editor: one indicator, its evidence and log, and the community's other
    active indicators (to merge it into)."""

    detail: Detail
    others: list[IndicatorView]


async def for_page(db: Database, token: str | None, community_id: int, admins: frozenset[int],
                   now: dt.datetime, indicator_id: int) -> access.Visit[Editor]:
    """The dashboard's indicator editor: who asks, and, if they may see the community and the
    indicator is its own, the indicator with its evidence, log, and the others to merge with."""
    async with db.session() as session:
        signed, view = await access.queries.visiting(session, token, community_id, admins, now)
        if view is None:
            return access.Visit(signed, None)
        found = await session.scalar(queries.one(community_id, indicator_id, lock=False))
        if found is None:
            return access.Visit(signed, view)
        shown = await _detail(session, found)
        others = [v for v in await queries.views(session, (await session.scalars(queries.indicators(
            community_id, (IndicatorStatus.ACTIVE,)))).all()) if v.id != found.id]
    return access.Visit(signed, view, Editor(shown, others))


@dataclass(frozen=True)
class ForNarrative:
    """"This is evidence of ...": one narrative, the indicators it backs, and the community's
    active indicators it could back."""

    narrative: Evidence
    backs: list[IndicatorView]
    choices: list[IndicatorView]


async def for_narrative(db: Database, token: str | None, community_id: int,
                        admins: frozenset[int], now: dt.datetime, narrative_id: int
                        ) -> access.Visit[ForNarrative]:
    """The dashboard's "evidence of" page for one of the community's narratives."""
    async with db.session() as session:
        signed, view = await access.queries.visiting(session, token, community_id, admins, now)
        if view is None:
            return access.Visit(signed, None)
        row = (await session.execute(queries.narrative(community_id, narrative_id))).first()
        if row is None:
            return access.Visit(signed, view)
        backed = set((await session.scalars(queries.backing(narrative_id))).all())
        active = await queries.views(session, (await session.scalars(queries.indicators(
            community_id, (IndicatorStatus.ACTIVE,)))).all())
    said = Evidence(*row)
    fits = [v for v in active if v.id not in backed
            and (not said.intended or v.cycle in PLAN_CYCLES)]
    return access.Visit(signed, view, ForNarrative(
        said, [v for v in active if v.id in backed], fits))


QUOTE_COLUMNS = ("narrative_id", "pseudonym", "cycle", "capital", "plan", "question", "answer",
                 "answered_at", "shown_as_quote", "kind")
# `kind`: "evidence" for a narrative behind the indicator; "members' check comment" for a
# sentence a member wrote about it when they checked the matrix (no narrative id, their answer in
# `question`): their words about it, not evidence of it.
EVIDENCE_KIND, COMMENT_KIND = "evidence", "members' check comment"
SAID = {"agreed": "Rings true", "disagreed": "Not for me"}


async def quotes_csv(db: Database, token: str | None, community_id: int, admins: frozenset[int],
                     now: dt.datetime, indicator_id: int) -> access.Visit[str]:
    """The narratives behind one indicator as a CSV file's text (pseudonyms only, no Telegram id
    or name), for a convener or researcher of the community."""
    async with db.session() as session:
        signed, view = await access.queries.visiting(session, token, community_id, admins, now)
        if view is None:
            return access.Visit(signed, None)
        found = await session.scalar(queries.one(community_id, indicator_id, lock=False))
        if found is None:
            return access.Visit(signed, view)
        rows = [Evidence(*row) for row in await session.execute(queries.evidence(found.id))]
        comments = (await queries.views(session, [found]))[0].comments
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(QUOTE_COLUMNS)
    for e in rows:
        writer.writerow([e.narrative_id, e.pseudonym, e.cycle, e.capital or "",
                         "yes" if e.intended else "", neutralise(e.question),
                         neutralise(e.text), e.answered_at.isoformat(timespec="seconds"),
                         "yes" if e.quoted else "", EVIDENCE_KIND])
    for c in comments:
        writer.writerow(["", c.pseudonym, found.cycle, found.capital or "", "",
                         f"Members' check ({SAID.get(c.said, c.said)}): "
                         + neutralise(found.statement),
                         neutralise(c.text),
                         c.answered_at.isoformat(timespec="seconds") if c.answered_at else "",
                         "", COMMENT_KIND])
    return access.Visit(signed, view, "\ufeff" + out.getvalue())

__all__ = [
    "CAPITALS",
    "COMMAND_LINE",
    "CYCLES",
    "MAX_QUOTES",
    "Board",
    "Caller",
    "Change",
    "Check",
    "Comment",
    "Detail",
    "Editor",
    "Evidence",
    "ForNarrative",
    "IndicatorError",
    "IndicatorView",
    "Quote",
    "Suggestion",
    "Unknown",
    "add",
    "adopt",
    "board",
    "detail",
    "edit",
    "for_narrative",
    "for_page",
    "leave",
    "link",
    "listing",
    "merge",
    "move",
    "offered",
    "quotes_csv",
    "restore",
    "retire",
    "set_quotes",
    "suggestions",
    "unlink",
]
