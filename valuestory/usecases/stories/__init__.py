"""A story: one member's thread about one event, across the cycles, in the order it unfolded.

Stages run immediate, potential, intended (what they meant to do), applied, realised,
reframing; within a stage, by time. Only pseudonyms and event titles leave this module.

A few stories (at most `FEATURED_MOST`) can be featured in the community's report; without
any, the report traces the furthest-reaching ones (`for_report`).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from flows.questions import ValueCycle
from storage.db import Database
from storage.models import FeaturedStory
from valuestory.usecases import access
from valuestory.usecases.stories import queries

STAGES = ("immediate", "potential", "intended", "applied", "realised", "reframing")
LISTED = 50
FEATURED_MOST = 3


def stage(cycle: str, intended: bool) -> str:
    return "intended" if intended and cycle == ValueCycle.APPLIED else cycle


@dataclass(frozen=True)
class Step:
    narrative_id: int
    stage: str
    question: str
    answer: str
    answered_at: dt.datetime
    revised: bool


@dataclass(frozen=True)
class Thread:
    story_id: str
    pseudonym: str
    event_id: int
    event: str
    event_starts_at: dt.datetime
    steps: tuple[Step, ...]
    featured: bool = False

    @property
    def stages(self) -> tuple[str, ...]:
        seen = {s.stage for s in self.steps}
        return tuple(s for s in STAGES if s in seen)


def _order(step: Step) -> tuple[int, dt.datetime, int]:
    return (STAGES.index(step.stage) if step.stage in STAGES else len(STAGES), step.answered_at,
            step.narrative_id)


async def _thread(session: AsyncSession, community_id: int, story_id: str,
                  featured: bool = False) -> Thread | None:
    """The story, or None if this community has no such story."""
    rows = (await session.execute(queries.thread(community_id, story_id))).all()
    if not rows:
        return None
    steps = sorted((Step(r[0], stage(r[1], bool(r[2])), r[3], r[4], r[5], r[6] is not None)
                    for r in rows), key=_order)
    first = rows[0]
    return Thread(story_id, first[7], first[8], first[9], first[10], tuple(steps), featured)


@dataclass(frozen=True)
class Summary:
    story_id: str
    pseudonym: str
    event: str
    last_at: dt.datetime
    stages: tuple[str, ...]


async def _reaching_applied(session: AsyncSession, community_id: int,
                           limit: int = LISTED) -> list[Summary]:
    """The newest stories that reached applied value (done, not only meant) or beyond."""
    rows = (await session.execute(queries.reaching_applied(community_id, limit))).all()
    found: dict[str, tuple[dt.datetime, str, str, set[str]]] = {}
    for story_id, last_at, cycle, intended, pseudonym, title in rows:
        found.setdefault(story_id, (last_at, pseudonym, title, set()))[3].add(
            stage(cycle, bool(intended)))
    return [Summary(sid, p, t, at, tuple(s for s in STAGES if s in st))
            for sid, (at, p, t, st) in sorted(found.items(), key=lambda kv: kv[1][0], reverse=True)]


async def for_page(db: Database, token: str | None, community_id: int, admins: frozenset[int],
                   now: dt.datetime) -> access.Visit[list[Summary]]:
    """The dashboard's stories page: who asks and, if they may see the community, its stories
    that reached applied value or beyond."""
    async with db.session() as session:
        signed, view = await access.queries.visiting(session, token, community_id, admins, now)
    if view is None:
        return access.Visit(signed, None)
    async with db.long_read() as reading:  # a community's stories: off the loop's thread
        return access.Visit(signed, view, await _reaching_applied(reading, view.community.id))


async def thread_for_page(db: Database, token: str | None, community_id: int,
                          admins: frozenset[int], now: dt.datetime,
                          story_id: str) -> access.Visit[Thread]:
    """The dashboard's page of one story: who asks and, if they may see the community, the
    story (`found` None when the community has no such story)."""
    async with db.session() as session:
        signed, view = await access.queries.visiting(session, token, community_id, admins, now)
        if view is None:
            return access.Visit(signed, None)
        chosen = set((await session.scalars(queries.featured(view.community.id))).all())
        return access.Visit(signed, view, await _thread(session, view.community.id, story_id,
                                                        story_id in chosen))


class Featuring(enum.Enum):
    """What choosing to feature a story (or not) did."""

    FEATURED = "featured"
    UNFEATURED = "unfeatured"
    FULL = "full"  # as many are featured as a report traces: one has to go first


async def feature(db: Database, token: str | None, community_id: int, admins: frozenset[int],
                  now: dt.datetime, story_id: str, on: bool) -> access.Visit[Featuring]:
    """Feature a story in the community's report, or stop featuring it: anyone who may see the
    community may choose (`found` None when the community has no such story)."""
    async with db.session() as session:
        signed, view = await access.queries.visiting(session, token, community_id, admins, now)
        if view is None or signed is None:
            return access.Visit(signed, view)
        cid = view.community.id
        if not (await session.execute(queries.thread(cid, story_id).limit(1))).first():
            return access.Visit(signed, view)
        chosen = list((await session.scalars(queries.featured(cid))).all())
        if not on:
            await session.execute(queries.unfeature(cid, story_id))
            return access.Visit(signed, view, Featuring.UNFEATURED)
        if story_id not in chosen:
            if len(chosen) >= FEATURED_MOST:
                return access.Visit(signed, view, Featuring.FULL)
            session.add(FeaturedStory(community_id=cid, story_id=story_id,
                                      chosen_by=signed.user_id, chosen_at=now))
        return access.Visit(signed, view, Featuring.FEATURED)


async def for_report(db: Database, community_id: int, since: dt.datetime,
                     most: int = FEATURED_MOST) -> list[Thread]:
    """The stories a report traces: those featured, in the order chosen; else the
    furthest-reaching ones since `since` (furthest cycle reached, then most stages, newest)."""
    async with db.long_read() as reading:  # a big community's stories: off the loop's thread
        return await _for_report(reading, community_id, since, most)


async def _for_report(session: AsyncSession, community_id: int, since: dt.datetime,
                      most: int) -> list[Thread]:
    chosen = list((await session.scalars(queries.featured(community_id))).all())
    if chosen:
        found = [await _thread(session, community_id, sid, True) for sid in chosen[:most]]
        return [t for t in found if t is not None]
    rows = (await session.execute(queries.furthest(community_id, since, most * 4))).all()
    reached: dict[str, tuple[int, dt.datetime]] = {}
    for story_id, rank, at in rows:
        # A union's column carries no type, so SQLite hands back text.
        at = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at))
        at = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
        best = reached.get(story_id)
        reached[story_id] = (max(rank, best[0]), max(at, best[1])) if best else (rank, at)
    if not reached:
        return []
    stages_in: dict[str, set[str]] = {}
    for story_id, cycle, intended in await session.execute(queries.stages_of(list(reached))):
        stages_in.setdefault(story_id, set()).add(stage(cycle, bool(intended)))
    ranked = sorted(reached, key=lambda sid: (reached[sid][0], len(stages_in.get(sid, ())),
                                              reached[sid][1], sid), reverse=True)
    found = [await _thread(session, community_id, sid) for sid in ranked[:most]]
    return [t for t in found if t is not None]
