"""Listing a community's events: upcoming ones soonest first, past ones latest first, and how
members answered about the past ones, for /events, /cancelevent and the dashboard.

Invariant: one query says what is upcoming (starting now or later) and what is past, so every
list agrees on where an event falls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Event, utcnow
from valuestory.usecases import access, event_outlook, matrix, speaking
from valuestory.usecases.callbacks import ConvenerStep
from valuestory.usecases.communities.queries import find_community
from valuestory.usecases.events import queries
from valuestory.usecases.events.planning import describe, token
from valuestory.usecases.matrix import queries as matrix_queries
from valuestory.usecases.out import Out
from valuestory.usecases.times import local_time


async def _upcoming_and_past(
    session: AsyncSession, community: Community, now: dt.datetime, upcoming_shown: int | None,
    past_shown: int,
) -> tuple[list[Event], list[Event], dict[int, matrix.Participation]]:
    """Upcoming events (all, or the first `upcoming_shown`), the latest `past_shown` past ones,
    and the past ones' participation."""
    upcoming = queries.upcoming(community.id, now)
    if upcoming_shown is not None:
        upcoming = upcoming.limit(upcoming_shown)
    soon = list((await session.scalars(upcoming)).all())
    past = list((await session.scalars(queries.past(community.id, now).limit(past_shown))).all())
    return soon, past, await _response_rates(session, [e.id for e in past])


async def _response_rates(session: AsyncSession,
                         event_ids: Sequence[int]) -> dict[int, matrix.Participation]:
    """For each event: who was asked, attended, answered and completed, as the matrix counts."""
    return await matrix_queries.participation_by_event(session, list(event_ids))


async def _for_dashboard(
    session: AsyncSession, community: Community, now: dt.datetime, past_shown: int = 50,
) -> tuple[list[Event], list[Event], dict[int, matrix.Participation]]:
    """Upcoming events (soonest first), past ones (latest first), and the past ones' participation."""
    return await _upcoming_and_past(session, community, now, None, past_shown)


@dataclass(frozen=True)
class Listed:
    """The dashboard's events page: upcoming events (soonest first), past ones (latest first),
    and the past ones' participation."""

    upcoming: list[Event]
    past: list[Event]
    rates: dict[int, matrix.Participation]
    unasked: dict[int, str]  # for past events nobody was asked about: what is still to come


async def for_convener(db: Database, user_id: int, admins: frozenset[int], community_id: int,
                       now: dt.datetime, language: str = i18n.BASE_LANGUAGE) -> Listed | None:
    """`_for_dashboard`, for a convener of the community, said in `language`; None for anyone
    else."""
    async with db.session() as session:
        community = await access.queries.convened_one(session, user_id, community_id, admins)
        if community is None:
            return None
        upcoming, past, rates = await _for_dashboard(session, community, now)
    unasked = await event_outlook.unasked(db, community_id, [e for e in past if e.id not in rates],
                                          now, language)
    return Listed(upcoming, past, rates, unasked)


async def every(db: Database, community: str | None = None) -> list[dict[str, object]]:
    """Events (of a community given by name or id, or of every one), oldest first, each as
    `describe` has it."""
    async with db.session() as session:
        only = await find_community(session, community) if community else None
        found = await repo.events(session, only.id if only else None)
        owners = {c.id: c for c in await repo.communities(session)}
        return [describe(e, owners[e.community_id]) for e in found]


async def listing(db: Database, community: Community, now: dt.datetime | None = None, *,
                  language: str = i18n.BASE_LANGUAGE) -> list[Out]:
    """/events: upcoming events, and recent ones with their response rates, in `language`."""
    now = now or utcnow()
    zone = community.timezone
    t = speaking.say(language)
    async with db.session() as session:
        upcoming, recent, rates = await _upcoming_and_past(session, community, now, 10, 5)
    lines = [t.EVENTS_TITLE.format(community=speaking.value(language, community.name))]
    if not upcoming and not recent:
        lines.append(t.EVENTS_NONE)

    def line(e: Event, template: str) -> str:
        when, title = local_time(e.starts_at, zone, language), speaking.value(language, e.title)
        if e.cancelled_at is not None:
            return t.EVENT_LINE_CANCELLED.format(when=when, title=title)
        p = rates.get(e.id, matrix.NOBODY)
        return template.format(when=when, title=title, sent=p.sent, answered=p.answered,
                               rate=matrix.rate(p, language))

    if upcoming:
        lines += ["", t.EVENTS_UPCOMING, *(line(e, t.EVENT_LINE_UPCOMING) for e in upcoming)]
    if recent:
        lines += ["", t.EVENTS_RECENT, *(line(e, t.EVENT_LINE_RECENT) for e in recent)]
    return [Out("\n".join(lines))]


async def cancel_choices(db: Database, community: Community,
                         now: dt.datetime | None = None, *,
                         language: str = i18n.BASE_LANGUAGE) -> list[Out]:
    """/cancelevent: the upcoming events not cancelled yet, as buttons."""
    t = speaking.say(language)
    now = now or utcnow()
    async with db.session() as session:
        upcoming = (await session.scalars(
            queries.upcoming(community.id, now, cancelled=False).limit(10))).all()
    if not upcoming:
        return [Out(t.CANCEL_NONE)]
    rows = tuple(((f"{local_time(e.starts_at, community.timezone, language)}: {e.title}"[:60],
                   token(ConvenerStep.CANCEL, e.id)),) for e in upcoming)
    return [Out(t.CANCEL_PICK, rows)]
