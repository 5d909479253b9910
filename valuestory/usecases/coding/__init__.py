"""Coding narratives: a codebook per community, codings by named coders, and their agreement.

Invariants this module keeps:
- A coder is shown only by the label they chose (or an imported project's coder's name), never a
  Telegram id or name. A coding records its coder and when.
- A coding covers a whole narrative (start and end None) or the passage [start, end) of its text
  as stored, in characters; a passage must lie inside the text.
- What a coder has seen is recorded (opening a narrative to code it, coding it, marking a set
  done, importing a project that holds it), because agreement counts only narratives every
  compared coder has seen: seen and left uncoded is "not this code", never seen is left out.
- In a blind set a coder sees only their own codings on its narratives until they mark it done.
- Researchers of the community and admins may code; conveners too where the community allows
  it; the command line runs with the operator's rights and names its coder with `--coder`.

Each door takes the `Database`, the `Caller` and plain values as typed, checks the caller's
rights and owns its unit of work; its SQL sits in `queries`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from flows.questions import Capital, ValueCycle
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    AuditEntry,
    Code,
    Coder,
    Coding,
    CodingSet,
    CodingSetDone,
    CodingSetNarrative,
    Community,
)
from valuestory.usecases import access, indicators
from valuestory.usecases.coding import qdc, qdpx, queries
from valuestory.usecases.coding.agreement import Agreement, for_code
from valuestory.usecases.coding.errors import CodingError, NeedLabel, Unknown
from valuestory.usecases.indicators import COMMAND_LINE, Caller
from valuestory.usecases.parsing import parse_id
from valuestory.usecases.times import utcnow

__all__ = ["COMMAND_LINE", "Agreement", "Caller", "CodingError", "NeedLabel", "Unknown"]

T = TypeVar("T")
LABEL_CHARS = 40
NAME_CHARS = 200
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
CYCLES: tuple[str, ...] = tuple(c.value for c in ValueCycle)
CAPITALS: tuple[str, ...] = tuple(c.value for c in Capital)
CYCLE_COLOURS = {"immediate": "#4E79A7", "potential": "#F28E2B", "applied": "#59A14F",
                 "realised": "#E15759", "reframing": "#B07AA1"}


@dataclass(frozen=True)
class CodeView:
    """A code as every front end shows it, with how often it is used (by any coder)."""

    id: int
    guid: str
    name: str
    description: str
    colour: str
    parent_id: int | None
    cycle: str | None
    capital: str | None
    narratives: int = 0
    codings: int = 0
    by_cycle: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "guid": self.guid, "name": self.name,
                "description": self.description, "colour": self.colour,
                "parent_id": self.parent_id, "cycle": self.cycle, "capital": self.capital,
                "narratives": self.narratives, "codings": self.codings,
                "by_cycle": dict(self.by_cycle)}


@dataclass(frozen=True)
class CodingView:
    """One code applied to one narrative, or to a passage of it, by one coder."""

    id: int
    narrative_id: int
    code_id: int
    code: str
    colour: str
    coder: str
    start: int | None
    end: int | None
    passage: str | None  # the coded text, for a passage
    at: dt.datetime


@dataclass(frozen=True)
class SetView:
    id: int
    name: str
    blind: bool
    narratives: int
    done: tuple[str, ...]


# --- the framework's themes, a codebook a new community may start from -------------------------

# (name, cycle, capital, description): themes of the Value Creation Framework, in our own words.
FRAMEWORK_THEMES: tuple[tuple[str, str, str | None, str], ...] = (
    ("Help and support", "immediate", None, "Getting or giving help with a problem."),
    ("Creative conflict", "immediate", None, "Disagreement that moved the thinking on."),
    ("Energy", "immediate", None, "Enjoyment, motivation, feeling energised."),
    ("A safe space", "immediate", None, "Feeling able to ask, admit and try things."),
    ("A creative space", "immediate", None, "Room to think differently together."),
    ("Confidence", "potential", "human", "More confident in a skill or a decision."),
    ("Connections", "potential", "social", "New people to turn to; a wider network."),
    ("Documents and tools", "potential", "tangible", "Resources, templates, materials shared."),
    ("A collective voice", "potential", "reputational", "Being heard as a community."),
    ("New ways of learning", "potential", "learning", "Changed how members learn."),
    ("Practice changed", "applied", None, "Something a member did differently."),
    ("Performance improved", "realised", None, "A result that matters got better."),
    ("Success redefined", "reframing", None, "What counts as success was rethought."),
)


# --- parsing -----------------------------------------------------------------------------------


def parse_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise CodingError('give the code a name, e.g. "A safe space"')
    if len(name) > NAME_CHARS:
        raise CodingError(f"keep the code's name under {NAME_CHARS} characters")
    return name


def parse_colour(text: str | None, default: str) -> str:
    colour = (text or "").strip() or default
    if not _COLOUR.match(colour):
        raise CodingError(f"{text!r} is not a colour; write it as #RRGGBB, e.g. #4E79A7")
    return colour.upper()


def parse_cycle(text: str | None) -> str | None:
    cycle = (text or "").strip().lower()
    if not cycle:
        return None
    if cycle not in CYCLES:
        raise CodingError(f"{text!r} is not a cycle; use one of {', '.join(CYCLES)}")
    return cycle


def parse_capital(text: str | None, cycle: str | None) -> str | None:
    capital = (text or "").strip().lower()
    if not capital:
        return None
    if cycle != ValueCycle.POTENTIAL:
        raise CodingError("a capital is named under potential value only")
    if capital not in CAPITALS:
        raise CodingError(f"{text!r} is not a capital; use one of {', '.join(CAPITALS)}")
    return capital


def parse_label(text: str) -> str:
    label = " ".join(text.split())
    if not label:
        raise CodingError("choose a label to be shown by as a coder, e.g. your initials")
    if len(label) > LABEL_CHARS:
        raise CodingError(f"keep the label under {LABEL_CHARS} characters")
    if label.lstrip("@").isdigit() or label.startswith("@"):
        raise CodingError("choose a label that is not a Telegram id or username")
    return label


def _number(value: int | str, what: str) -> int:
    found = value if isinstance(value, int) else parse_id(str(value).strip().lstrip("#"))
    if found is None:
        raise CodingError(f"{value!r} is not a {what} id")
    return found


# --- who asks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Allowed:
    community: Community
    actor: str
    user_id: int | None  # None on the command line
    view: access.View | None = None  # what a signed-in caller may do here, for a page's tabs


async def _allowed(session: AsyncSession, caller: Caller, community: int | str) -> _Allowed:
    """The community, if the caller may code its narratives."""
    if caller.user_id is None:
        ref = str(community).strip()
        found = await repo.community_by_name_or_id(session, ref, parse_id(ref))
        if found is None:
            raise Unknown(f"no community called {ref!r}")
        return _Allowed(found, indicators.COMMAND_LINE_ACTOR, None)
    cid = community if isinstance(community, int) else parse_id(str(community))
    view = await access.queries.view(session, caller.user_id, cid, caller.admins) if cid else None
    found = await session.get(Community, cid) if view is not None else None
    if view is None or found is None:
        raise Unknown("no such community")
    if not access.may_code(view, found.conveners_code):
        raise Unknown("no such community")
    who = "admin" if access.is_admin(caller.user_id, caller.admins) else (
        view.exports.actor if view.exports is not None else "convener")
    return _Allowed(found, who, caller.user_id, view)


async def may_code(db: Database, caller: Caller, community: int | str) -> bool:
    """Whether this person may code the community's narratives (the dashboard shows the tools)."""
    async with db.session() as session:
        try:
            await _allowed(session, caller, community)
        except Unknown:
            return False
        return True


async def _coder(session: AsyncSession, allowed: _Allowed, label: str | None,
                 now: dt.datetime, create: bool = True) -> Coder | None:
    """The caller as a coder: a signed-in person by who they are, the command line by label."""
    if allowed.user_id is not None:
        found = await session.scalar(queries.coder(allowed.community.id, allowed.user_id))
        if found is None and create:
            raise NeedLabel("choose a label to be shown by as a coder first")
        return found
    if not label:
        if not create:
            return None
        raise CodingError("say who is coding with --coder LABEL")
    name = parse_label(label)
    found = await session.scalar(queries.coder_labelled(allowed.community.id, name))
    if found is None and create:
        found = Coder(community_id=allowed.community.id, label=name, guid=str(uuid.uuid4()),
                      created_at=now)
        session.add(found)
        await session.flush()
    return found


def _audit(session: AsyncSession, allowed: _Allowed, action: str, now: dt.datetime,
           **details: Any) -> None:
    session.add(AuditEntry(at=now, actor=allowed.actor, action=action,
                           community_id=allowed.community.id, details=details))


async def choose_label(db: Database, caller: Caller, community: int | str, label: str,
                       now: dt.datetime | None = None) -> str:
    """The label a signed-in coder is shown by in this community (chosen once, changeable)."""
    now = now or utcnow()
    name = parse_label(label)
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        if allowed.user_id is None:
            raise CodingError("the command line names its coder with --coder")
        taken = await session.scalar(queries.coder_labelled(allowed.community.id, name))
        mine = await session.scalar(queries.coder(allowed.community.id, allowed.user_id))
        if taken is not None and taken is not mine:
            raise CodingError(f"another coder is shown as {name!r}: choose another label")
        if mine is None:
            session.add(Coder(community_id=allowed.community.id, telegram_user_id=allowed.user_id,
                              label=name, guid=str(uuid.uuid4()), created_at=now))
        else:
            mine.label = name
        return name


async def my_label(db: Database, caller: Caller, community: int | str) -> str | None:
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        found = await _coder(session, allowed, None, utcnow(), create=False)
        return found.label if found is not None else None


# --- the codebook ------------------------------------------------------------------------------


async def _views(session: AsyncSession, community_id: int) -> list[CodeView]:
    found = (await session.scalars(queries.codes(community_id))).all()
    counts = {cid: (n, c) for cid, n, c in (await session.execute(
        queries.counts_by_code(community_id))).all()}
    cycles: dict[int, dict[str, int]] = defaultdict(dict)
    for cid, cycle, n in (await session.execute(queries.counts_by_code_and_cycle(community_id))).all():
        cycles[cid][cycle] = n
    return [_view(c, counts.get(c.id, (0, 0)), cycles.get(c.id, {})) for c in found]


def _view(c: Code, counts: tuple[int, int] = (0, 0), by_cycle: dict[str, int] | None = None
          ) -> CodeView:
    return CodeView(c.id, c.guid, c.name, c.description, c.colour, c.parent_id, c.cycle,
                    c.capital, counts[0], counts[1], dict(by_cycle or {}))


async def codebook(db: Database, caller: Caller, community: int | str) -> list[CodeView]:
    """The community's codes by name, each with the narratives it is applied to, by cycle."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        return await _views(session, allowed.community.id)


async def _code(session: AsyncSession, allowed: _Allowed, ref: int | str) -> Code:
    cid = ref if isinstance(ref, int) else parse_id(str(ref).strip().lstrip("#"))
    found = await session.scalar(queries.code(allowed.community.id, cid)) if cid else None
    if found is None and isinstance(ref, str):
        found = await session.scalar(queries.code_named(allowed.community.id, ref.strip()))
    if found is None:
        raise Unknown(f"no code {ref!r} in {allowed.community.name}")
    return found


async def add_code(db: Database, caller: Caller, community: int | str, name: str, *,
                   description: str = "", colour: str | None = None,
                   parent: int | str | None = None, cycle: str | None = None,
                   capital: str | None = None, guid: str | None = None,
                   now: dt.datetime | None = None) -> CodeView:
    """A new code in the community's codebook."""
    now = now or utcnow()
    named = parse_name(name)
    chosen = parse_cycle(cycle)
    kind = parse_capital(capital, chosen)
    paint = parse_colour(colour, CYCLE_COLOURS.get(chosen or "", "#888888"))
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        if await session.scalar(queries.code_named(allowed.community.id, named)) is not None:
            raise CodingError(f"the codebook already has a code called {named!r}")
        above = await _code(session, allowed, parent) if parent not in (None, "") else None
        created = Code(community_id=allowed.community.id, guid=guid or str(uuid.uuid4()),
                       name=named, description=description.strip(), colour=paint,
                       parent_id=above.id if above is not None else None, cycle=chosen,
                       capital=kind, created_at=now)
        session.add(created)
        await session.flush()
        _audit(session, allowed, "code_added", now, code=created.id)
        return _view(created)


async def edit_code(db: Database, caller: Caller, community: int | str, code: int | str, *,
                    name: str | None = None, description: str | None = None,
                    colour: str | None = None, cycle: str | None = None,
                    capital: str | None = None, now: dt.datetime | None = None) -> CodeView:
    """Rename a code, or change its description, colour, cycle or capital."""
    now = now or utcnow()
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        found = await _code(session, allowed, code)
        if name is not None:
            named = parse_name(name)
            other = await session.scalar(queries.code_named(allowed.community.id, named))
            if other is not None and other.id != found.id:
                raise CodingError(f"the codebook already has a code called {named!r}")
            found.name = named
        if description is not None:
            found.description = description.strip()
        if cycle is not None:
            found.cycle = parse_cycle(cycle)
            found.capital = parse_capital(capital, found.cycle) if capital is not None else (
                found.capital if found.cycle == ValueCycle.POTENTIAL else None)
        elif capital is not None:
            found.capital = parse_capital(capital, found.cycle)
        if colour is not None:
            found.colour = parse_colour(colour, found.colour)
        _audit(session, allowed, "code_changed", now, code=found.id)
        await session.flush()
        return next(v for v in await _views(session, allowed.community.id) if v.id == found.id)


async def remove_code(db: Database, caller: Caller, community: int | str, code: int | str,
                      now: dt.datetime | None = None) -> int:
    """Take a code out of the codebook with its codings; returns how many codings went."""
    now = now or utcnow()
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        found = await _code(session, allowed, code)
        gone = len((await session.scalars(
            queries.codings_on_code(found.id))).all())
        await session.execute(queries.forget_code(found.id))
        _audit(session, allowed, "code_removed", now, code=found.id, codings=gone)
        return gone


async def start_from_framework(db: Database, caller: Caller, community: int | str,
                               now: dt.datetime | None = None) -> list[CodeView]:
    """Add the framework's themes the codebook does not have yet (by name), a code each."""
    now = now or utcnow()
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        for name, cycle, capital, description in FRAMEWORK_THEMES:
            if await session.scalar(queries.code_named(allowed.community.id, name)) is not None:
                continue
            session.add(Code(community_id=allowed.community.id, guid=str(uuid.uuid4()), name=name,
                             description=description, colour=CYCLE_COLOURS[cycle],
                             cycle=cycle, capital=capital,
                             created_at=now))
        await session.flush()
        _audit(session, allowed, "codebook_started", now, themes=len(FRAMEWORK_THEMES))
        return await _views(session, allowed.community.id)


# --- coding ------------------------------------------------------------------------------------


async def _narrative(session: AsyncSession, allowed: _Allowed, ref: int | str) -> Any:
    nid = _number(ref, "narrative")
    found = await session.scalar(queries.narrative(allowed.community.id, nid))
    if found is None:
        raise Unknown(f"no narrative #{nid} in {allowed.community.name}")
    return found


async def _mark_seen(session: AsyncSession, coder: Coder, narrative_ids: Iterable[int],
                     now: dt.datetime) -> None:
    """Record these narratives as seen by the coder, where not already: one statement per chunk,
    the same `see_all` an import uses, not a look-up per narrative."""
    for chunk in _chunks(sorted(set(narrative_ids)), 10000):
        await session.execute(queries.see_all(coder.id, chunk, now))


def _coding_view(c: Coding, code: str, colour: str, coder: str, text: str | None) -> CodingView:
    passage = text[c.start:c.end] if text is not None and c.start is not None else None
    return CodingView(c.id, c.narrative_id, c.code_id, code, colour, coder, c.start, c.end,
                      passage, c.created_at)


async def apply(db: Database, caller: Caller, community: int | str, narrative: int | str,
                code: int | str, start: int | str | None = None, end: int | str | None = None,
                *, coder: str | None = None, now: dt.datetime | None = None) -> CodingView:
    """Code a whole narrative (no start and end) or the passage [start, end) of its text."""
    now = now or utcnow()
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        found = await _narrative(session, allowed, narrative)
        chosen = await _code(session, allowed, code)
        who = await _coder(session, allowed, coder, now)
        assert who is not None
        first, last = _passage(found.text, start, end)
        await _mark_seen(session, who, [found.id], now)
        same = await session.scalar(queries.same_coding(chosen.id, found.id, who.id, first, last))
        if same is not None:
            existing = await session.get(Coding, same)
            assert existing is not None
            return _coding_view(existing, chosen.name, chosen.colour, who.label, found.text)
        made = Coding(code_id=chosen.id, narrative_id=found.id, coder_id=who.id, start=first,
                      end=last, guid=str(uuid.uuid4()), created_at=now)
        session.add(made)
        await session.flush()
        return _coding_view(made, chosen.name, chosen.colour, who.label, found.text)


def _passage(text: str, start: int | str | None, end: int | str | None
             ) -> tuple[int | None, int | None]:
    if start in (None, "") and end in (None, ""):
        return None, None
    try:
        first, last = int(str(start)), int(str(end))
    except ValueError:
        raise CodingError("a passage is given by its first and last character, as numbers") from None
    if first < 0 or last <= first or last > len(text):
        raise CodingError(f"a passage must lie inside the narrative's {len(text)} characters")
    if first == 0 and last == len(text):
        return None, None  # all of it: the whole narrative
    return first, last


async def unapply(db: Database, caller: Caller, community: int | str, coding_id: int | str,
                  *, coder: str | None = None) -> None:
    """Take away one of the caller's own codings."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        who = await _coder(session, allowed, coder, utcnow())
        found = await session.scalar(queries.coding(allowed.community.id,
                                                    _number(coding_id, "coding")))
        if found is None or who is None or found.coder_id != who.id:
            raise Unknown("no such coding of yours")
        await session.delete(found)


async def codings(db: Database, caller: Caller, community: int | str,
                  narrative_ids: Sequence[int], *, coder: str | None = None, seen: bool = False,
                  now: dt.datetime | None = None) -> dict[int, list[CodingView]]:
    """The codings on these narratives the caller may see (in a blind set they have not finished:
    only their own); `seen` records that the caller has now seen these narratives."""
    now = now or utcnow()
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        who = await _coder(session, allowed, coder, now, create=seen)
        ids = list((await session.scalars(queries.narratives_of(allowed.community.id,
                                                                narrative_ids))).all())
        if seen and who is not None:
            await _mark_seen(session, who, ids, now)
        texts = {n.id: n.text for n in (await session.scalars(
            queries.narrative_texts(ids))).all()}
        found: dict[int, list[CodingView]] = defaultdict(list)
        rows = (await session.execute(queries.codings_on(ids, who.id if who else None))).all()
        for c, name, colour, label in rows:
            found[c.narrative_id].append(_coding_view(c, name, colour, label, texts.get(c.narrative_id)))
        return dict(found)


# --- sets, blind coding and agreement ----------------------------------------------------------


async def new_set(db: Database, caller: Caller, community: int | str, name: str,
                  narrative_ids: Iterable[int | str] | str, *, blind: bool = True,
                  now: dt.datetime | None = None) -> SetView:
    """A set of narratives to code (ids, or ids as typed: "12, 13 20"); in a blind one no coder
    sees the others' codings on them until they mark it done."""
    now = now or utcnow()
    named = parse_name(name)
    typed = narrative_ids.replace(",", " ").split() if isinstance(narrative_ids, str) \
        else narrative_ids
    ids = list(dict.fromkeys(_number(n, "narrative") for n in typed))
    if not ids:
        raise CodingError("a set needs at least one narrative")
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        if await session.scalar(queries.coding_set(allowed.community.id, named)) is not None:
            raise CodingError(f"there is already a set called {named!r}")
        known = set((await session.scalars(queries.narratives_of(allowed.community.id, ids))).all())
        missing = [n for n in ids if n not in known]
        if missing:
            raise Unknown(f"no narrative #{missing[0]} in {allowed.community.name}")
        made = CodingSet(community_id=allowed.community.id, name=named, blind=blind,
                         created_at=now)
        session.add(made)
        await session.flush()
        session.add_all(CodingSetNarrative(set_id=made.id, narrative_id=n) for n in sorted(known))
        _audit(session, allowed, "coding_set_made", now, set=made.id, narratives=len(known))
        return SetView(made.id, made.name, made.blind, len(known), ())


async def sets(db: Database, caller: Caller, community: int | str) -> list[SetView]:
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        found = []
        for s in (await session.scalars(queries.coding_sets(allowed.community.id))).all():
            held = len((await session.scalars(queries.in_set(s.id))).all())
            done = tuple((await session.scalars(queries.done_in(s.id))).all())
            found.append(SetView(s.id, s.name, s.blind, held, done))
        return found


async def mark_done(db: Database, caller: Caller, community: int | str, name: int | str, *,
                    coder: str | None = None, now: dt.datetime | None = None) -> SetView:
    """The caller has coded the set: they have seen all of it, and now see the others' codings."""
    now = now or utcnow()
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        who = await _coder(session, allowed, coder, now)
        assert who is not None
        found = await _set(session, allowed, name)
        held = list((await session.scalars(queries.in_set(found.id))).all())
        await _mark_seen(session, who, held, now)
        if await session.get(CodingSetDone, (found.id, who.id)) is None:
            session.add(CodingSetDone(set_id=found.id, coder_id=who.id, done_at=now))
        await session.flush()
        done = tuple((await session.scalars(queries.done_in(found.id))).all())
        return SetView(found.id, found.name, found.blind, len(held), done)


async def _set(session: AsyncSession, allowed: _Allowed, ref: int | str) -> CodingSet:
    """A set by its name, or by its id (a page's address gives an int)."""
    found = (await session.scalar(queries.coding_set_by_id(allowed.community.id, ref))
             if isinstance(ref, int) else
             await session.scalar(queries.coding_set(allowed.community.id, ref.strip())))
    if found is None:
        raise Unknown(f"no set called {ref!r} in {allowed.community.name}")
    return found


async def agreement(db: Database, caller: Caller, community: int | str, *,
                    coders: Sequence[str] = (), set_name: str | None = None) -> list[Agreement]:
    """Per code, agreement among the coders (all who have seen anything, or those named) over the
    narratives every one of them has seen (within a set, if named)."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        cid = allowed.community.id
        seen: dict[str, set[int]] = defaultdict(set)
        for label, nid in (await session.execute(queries.seen_pairs(cid))).all():
            seen[label].add(nid)
        if coders:
            wanted = {c.lower(): c for c in coders}
            unknown = [c for c in coders if c.lower() not in {k.lower() for k in seen}]
            if unknown:
                raise Unknown(f"no coder {unknown[0]!r} has coded in {allowed.community.name}")
            seen = defaultdict(set, {k: v for k, v in seen.items() if k.lower() in wanted})
        if set_name:
            found = await session.scalar(queries.coding_set(cid, set_name.strip()))
            if found is None:
                raise Unknown(f"no set called {set_name!r} in {allowed.community.name}")
            held = set((await session.scalars(queries.in_set(found.id))).all())
            seen = defaultdict(set, {k: v & held for k, v in seen.items()})
        coded: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for code_name, label, nid in (await session.execute(queries.coded_triples(cid))).all():
            coded[code_name][label].add(nid)
        names = [c.name for c in (await session.scalars(queries.codes(cid))).all()]
        return [for_code(name, seen, coded.get(name, {})) for name in names]


# --- a code becomes an indicator ---------------------------------------------------------------


async def to_indicator(db: Database, caller: Caller, community: int | str, code: int | str,
                       statement: str | None = None, now: dt.datetime | None = None
                       ) -> indicators.IndicatorView:
    """An indicator under the code's cycle, backed by every narrative the code is applied to."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        found = await _code(session, allowed, code)
        if found.cycle is None:
            raise CodingError(f"say which cycle {found.name!r} evidences before it becomes an "
                              "indicator")
        evidence = list((await session.scalars(queries.narratives_coded(found.id))).all())
        cycle, capital, said, cid = found.cycle, found.capital, statement or found.name, \
            allowed.community.id
    return await indicators.add(db, caller, cid, cycle, said, capital=capital,
                                evidence=evidence, now=now)


# --- the codebook as a REFI-QDA codebook file (.qdc) -------------------------------------------


def _ordered(found: Sequence[Code]) -> list[Code]:
    """Parents before their children, each level by name."""
    by_parent: dict[int | None, list[Code]] = defaultdict(list)
    ids = {c.id for c in found}
    for c in found:
        by_parent[c.parent_id if c.parent_id in ids else None].append(c)
    ordered: list[Code] = []

    def visit(parent: int | None) -> None:
        for c in sorted(by_parent.get(parent, []), key=lambda c: (c.name.lower(), c.id)):
            ordered.append(c)
            visit(c.id)

    visit(None)
    return ordered


async def export_codebook(db: Database, caller: Caller, community: int | str, path: Path) -> int:
    """Write the community's codebook to a .qdc file; how many codes it holds."""
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        found = _ordered((await session.scalars(queries.codes(allowed.community.id))).all())
        guids = {c.id: c.guid for c in found}
        codes = [qdc.FileCode(c.guid, c.name, c.colour, c.description,
                              guids.get(c.parent_id) if c.parent_id else None) for c in found]
        _audit(session, allowed, "codebook_exported", utcnow(), codes=len(codes))
    await asyncio.to_thread(qdc.write, codes, path)
    return len(codes)


async def import_codebook(db: Database, caller: Caller, community: int | str, path: Path,
                          now: dt.datetime | None = None) -> qdc.Outcome:
    """Bring a .qdc file's codes into the codebook: matched by guid, else by name."""
    now = now or utcnow()
    read = await asyncio.to_thread(qdc.read, path)
    outcome = qdc.Outcome()
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        await _merge_codes(session, allowed, read, outcome, now)
        _audit(session, allowed, "codebook_imported", now, added=len(outcome.added),
               changed=len(outcome.changed))
    return outcome


async def _merge_codes(session: AsyncSession, allowed: _Allowed, read: list[qdc.FileCode],
                       outcome: qdc.Outcome, now: dt.datetime,
                       skip: frozenset[str] = frozenset()) -> dict[str, Code]:
    """The file's codes matched to ours (by guid, else name) or added; ours by the file's guid."""
    here: dict[str, Code] = {}
    for c in read:
        if c.guid in skip or not c.name.strip():
            continue
        found = await session.scalar(queries.code_by_guid(allowed.community.id, c.guid)) \
            or await session.scalar(queries.code_named(allowed.community.id, c.name.strip()))
        parent = here.get(c.parent) if c.parent else None
        if found is None:
            found = Code(community_id=allowed.community.id, guid=c.guid or str(uuid.uuid4()),
                         name=" ".join(c.name.split())[:NAME_CHARS], description=c.description,
                         colour=_colour_or(c.colour, "#888888"),
                         parent_id=parent.id if parent else None, created_at=now)
            session.add(found)
            await session.flush()
            outcome.added.append(found.name)
        else:
            before = (found.name, found.colour, found.description)
            if found.guid == c.guid:
                found.name = " ".join(c.name.split())[:NAME_CHARS]
            found.colour = _colour_or(c.colour, found.colour)
            found.description = c.description or found.description
            (outcome.changed if before != (found.name, found.colour, found.description)
             else outcome.unchanged).append(found.name)
        here[c.guid] = found
    return here


@dataclass
class ProjectImport:
    """What importing a project did: codes added and changed, codings added and already here,
    narratives counted as seen, and what could not be matched, with why."""

    codes: qdc.Outcome = field(default_factory=qdc.Outcome)
    codings_added: int = 0
    codings_unchanged: int = 0
    seen: int = 0
    coders: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"codes": self.codes.to_dict(), "codings_added": self.codings_added,
                "codings_unchanged": self.codings_unchanged, "seen": self.seen,
                "coders": self.coders, "unmatched": self.unmatched}


def _structural() -> frozenset[str]:
    """The codes our exports write from the question set (cycles, capitals, plans): read back,
    they are what the member answered, not anybody's coding."""
    from valuestory.usecases.exports import refiqda

    found = {refiqda.guid("code", c) for c in ValueCycle}
    found |= {refiqda.guid("code", f"potential.{c}") for c in Capital}
    found.add(refiqda.guid("code", refiqda.PLANS_CODE))
    return frozenset(found)


async def import_project(db: Database, caller: Caller, community: int | str, path: Path,
                         coder: str | None = None, now: dt.datetime | None = None
                         ) -> ProjectImport:
    """Bring a project written back by another tool: its new codes, and its codings on our
    narratives (matched by the source's guid, re-anchored to our text). Each coder of the project
    (or `coder`, for all of it) counts as having seen every narrative it holds."""
    from valuestory.usecases.exports import refiqda

    now = now or utcnow()
    if coder is not None:
        coder = parse_label(coder)
    skip = _structural()
    project = await asyncio.to_thread(qdpx.read, path, skip)
    done = ProjectImport()
    async with db.session() as session:
        allowed = await _allowed(session, caller, community)
        codes = await _merge_codes(session, allowed, project.codes, done.codes, now, skip)
        ours = refiqda.narrative_guids((await session.scalars(
            queries.narrative_ids(allowed.community.id))).all())
        held = sorted({ours[s] for s in project.sources if s in ours})
        foreign = len(project.sources) - len(held)
        if foreign:
            done.unmatched.append(f"{foreign} sources are not narratives of "
                                  f"{allowed.community.name}")
        wanted = {ours[s.source] for s in project.selections if s.source in ours}
        texts: dict[int, str] = {}
        for chunk in _chunks(sorted(wanted), 500):
            texts.update({nid: text for nid, text in (await session.execute(
                queries.texts_of(chunk))).all()})
        coders: dict[str, Coder] = {}

        async def coder_for(user: str | None) -> Coder:
            label = coder or _user_label(project.users.get(user or "", ""))
            if label not in coders:
                found = await session.scalar(queries.coder_labelled(allowed.community.id, label))
                if found is None:
                    found = Coder(community_id=allowed.community.id, label=label,
                                  guid=user or str(uuid.uuid4()), created_at=now)
                    session.add(found)
                    await session.flush()
                coders[label] = found
            return coders[label]

        known: dict[int, set[tuple[int, int, int | None, int | None]]] = {}
        guids = set((await session.scalars(queries.coding_guids(allowed.community.id))).all())
        made: list[dict[str, Any]] = []
        for sel in project.selections:
            mine = [(g, codes[c]) for g, c in sel.codes if c in codes]
            if not mine:
                continue
            nid = ours.get(sel.source)
            if nid is None:
                done.unmatched.append(f"a coding on source {sel.source}: not a narrative here")
                continue
            spot = qdpx.anchor(texts[nid], project.texts.get(sel.source), sel.start, sel.end)
            if spot is None:
                done.unmatched.append(f"a coding on narrative {nid} at {sel.start}-{sel.end}: "
                                      "the passage is not in its text")
                continue
            first, last = _passage(texts[nid], *spot)
            who = await coder_for(sel.user)
            if who.id not in known:
                known[who.id] = {(c, n, a, b) for c, n, a, b in (await session.execute(
                    queries.codings_of_coder(who.id))).all()}
            for guid, code in mine:
                key = (code.id, nid, first, last)
                if key in known[who.id] or guid in guids:
                    done.codings_unchanged += 1
                    continue
                known[who.id].add(key)
                guid = guid or str(uuid.uuid4())
                guids.add(guid)
                made.append({"code_id": code.id, "narrative_id": nid, "coder_id": who.id,
                             "start": first, "end": last, "guid": guid, "created_at": now})
        for rows in _chunks(made, 5000):
            await session.execute(queries.add_codings(), rows)
        done.codings_added = len(made)
        if not coders and (coder or project.users):
            await coder_for(next(iter(project.users), None))
        for who in coders.values():
            for chunk in _chunks(held, 10000):
                result = await session.execute(queries.see_all(who.id, chunk, now))
                done.seen += cast(CursorResult[Any], result).rowcount or 0
        done.coders = sorted(coders)
        _audit(session, allowed, "project_imported", now, codes_added=len(done.codes.added),
               codings_added=done.codings_added, unmatched=len(done.unmatched),
               coders=done.coders)
    return done


def _user_label(name: str) -> str:
    try:
        return parse_label(name)
    except CodingError:
        return "imported"


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _colour_or(colour: str | None, default: str) -> str:
    return colour.upper() if colour and _COLOUR.match(colour) else default
