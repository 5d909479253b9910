"""Planning events: the rules an event keeps, creating, moving and cancelling one, and who will
be asked about it.

Every front end goes through these rules: an event is from 2000 to two years ahead, has a time of
day, and ends after it starts; a new or moved one starts in the future. Cancelling an event
cancels what is still to be asked about it, and the scheduler follows a moved one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from flows import texts
from flows.questions import PromptKind
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    Community,
    Event,
    PromptStatus,
    utcnow,
)
from valuestory.usecases import access, callbacks, parsing, speaking
from valuestory.usecases.callbacks import ConvenerStep
from valuestory.usecases.communities.queries import find_community
from valuestory.usecases.errors import AdminError
from valuestory.usecases.events import queries
from valuestory.usecases.events.queries import Asking, create_event, open_prompt, who_will_be_asked
from valuestory.usecases.events.when import (
    NoTimeOfDay,
    TimeOutOfRange,
    parse_time,
)
from valuestory.usecases.out import Out
from valuestory.usecases.times import local_time


def token(*parts: object) -> str:
    return callbacks.encode(callbacks.Prefix.CONVENER, *parts)


# --- times and creating ---------------------------------------------------------------------


class AlreadyPlanned(AdminError):
    """The same event is planned already; says which, and how to plan another anyway."""

    def __init__(self, event: Event, community: Community) -> None:
        when = local_time(event.starts_at, community.timezone)
        super().__init__(f"{community.name} already has {event.title!r} at {when} "
                         f"(event {event.id}): add --again to plan another one")
        self.event_id = event.id


async def _create_once(session: AsyncSession, community: Community, title: str, starts: str,
                      ends: str, *, again: bool = False) -> Event:
    """`create_event`, unless the community has this title at this start already.

    Running the README's `event create` a second time (or a script that retries) would otherwise
    plan a second event, and members would be asked twice about one afternoon. Cancelled events
    do not count; whoever really means a second one says so (`again`).
    """
    if not again:
        starts_at = parse_time(starts, community.timezone)
        wanted = " ".join(title.split()).casefold()
        for e in await repo.events(session, community.id):
            if (e.starts_at == starts_at and e.title.casefold() == wanted
                    and e.cancelled_at is None):
                raise AlreadyPlanned(e, community)
    return await create_event(session, community, title, starts, ends)


def event_minutes(text: str) -> int | None:
    """How long an event lasts, as typed ('90', '1h30', '2h'): 5 minutes to 24 hours."""
    minutes = parsing.parse_duration(text)
    return minutes if minutes is not None and 5 <= minutes <= 24 * 60 else None


def example_time(zone: str) -> str:
    """A start a week from now at two in the afternoon, as a person would type it in `zone`."""
    return (utcnow().astimezone(ZoneInfo(zone)) + dt.timedelta(days=7)).strftime("%Y-%m-%d 14:00")


class EventRejected(AdminError):
    """What a person typed for an event breaks its rules; the message says so, kindly.

    Its message reads in English; `said(t)` reads it in the language of the texts `t`.
    """


def check_title(text: str) -> str:
    title = " ".join(text.split())
    if not title or len(title) > 200:
        raise EventRejected(texts.EVENT_BAD_TITLE)
    return title


def check_start(text: str, zone: str, now: dt.datetime) -> dt.datetime:
    """A start time for a new (or moved) event: readable, in the future, within two years."""
    try:
        starts = parse_time(text, zone, now)
    except TimeOutOfRange as exc:
        raise EventRejected(texts.EVENT_IN_PAST if exc.past else texts.EVENT_TOO_FAR) from None
    except NoTimeOfDay:
        day = dt.date.fromisoformat(text.strip()).isoformat()
        raise EventRejected(texts.EVENT_NEEDS_TIME, example=f"{day} 14:00") from None
    except AdminError:
        raise EventRejected(texts.EVENT_BAD_START, example=example_time(zone)) from None
    if starts <= now:
        raise EventRejected(texts.EVENT_IN_PAST)
    return starts


def check_minutes(text: str) -> int:
    minutes = event_minutes(text)
    if minutes is None:
        raise EventRejected(texts.EVENT_BAD_DURATION)
    return minutes


async def _plan_event(session: AsyncSession, community: Community, title: str, starts: str,
                     minutes: str, now: dt.datetime | None = None) -> Event:
    """A new event from a form, by /newevent's rules: a title, a future start, a duration."""
    now = now or utcnow()
    title = check_title(title)
    starts_at = check_start(starts, community.timezone, now)
    ends_at = starts_at + dt.timedelta(minutes=check_minutes(minutes))
    return await create_event(session, community, title, starts_at, ends_at)


async def _move_event(session: AsyncSession, event: Event, community: Community, starts: str,
                     minutes: str | None = None, now: dt.datetime | None = None) -> Event:
    """Move an upcoming event by /newevent's rules; the scheduler follows (it reads updated_at).

    Without `minutes`, it keeps its length.
    """
    now = now or utcnow()
    if event.cancelled_at is not None or event.starts_at <= now:
        raise EventRejected(texts.EVENT_CANT_MOVE)
    starts_at = check_start(starts, community.timezone, now)
    length = (dt.timedelta(minutes=check_minutes(minutes)) if minutes and minutes.strip()
              else event.ends_at - event.starts_at)
    event.starts_at, event.ends_at = starts_at, starts_at + length  # updated_at follows
    await session.flush()
    return event


async def plan_for(db: Database, user_id: int, admins: frozenset[int], community_id: int,
                   title: str, starts: str, minutes: str, now: dt.datetime | None = None
                   ) -> int | None:
    """The dashboard's new event, as its form was filled in, for a convener of the community:
    its id; None if this person does not convene it. EventRejected says what to fix."""
    async with db.session() as session:
        community = await access.queries.convened_one(session, user_id, community_id, admins)
        if community is None:
            return None
        return (await _plan_event(session, community, title, starts, minutes, now)).id


async def change_for(db: Database, user_id: int, admins: frozenset[int], community_id: int,
                     event_id: int, action: str, starts: str = "", minutes: str = "",
                     now: dt.datetime | None = None) -> bool:
    """The dashboard's move (`action` "move", to `starts`, lasting `minutes`) or cancel of one of
    a community's events, for a convener of it: False if this person does not convene it or the
    event is not the community's. EventRejected says what to fix."""
    async with db.session() as session:
        found = await _convened_event(session, user_id, event_id, admins, community_id)
        if found is None:
            return False
        event, community = found
        if action == "move":
            await _move_event(session, event, community, starts, minutes, now)
        else:
            await _cancel_upcoming(session, event, now or utcnow())
    return True


# --- cancelling -----------------------------------------------------------------------------


async def _cancel_event(session: AsyncSession, event: Event, now: dt.datetime) -> None:
    """Cancel an event: nobody is asked about it, and what was still to be asked is cancelled."""
    event.cancelled_at = now
    for p in (await session.scalars(queries.still_to_ask(event.id))).all():
        p.status = PromptStatus.CANCELLED
        p.finished_at = now


async def _cancel_upcoming(session: AsyncSession, event: Event, now: dt.datetime) -> None:
    """Cancel an event from a form, by /cancelevent's rule: only one not yet over or cancelled."""
    if event.cancelled_at is not None or event.ends_at <= now:
        raise EventRejected(texts.EVENT_GONE)
    await _cancel_event(session, event, now)


async def _convened_event(session: AsyncSession, user_id: int, event_id: int,
                          admins: frozenset[int], community_id: int | None = None
                          ) -> tuple[Event, Community] | None:
    """The event and its community, if this person convenes it (and, given `community_id`, the
    event belongs to that community); None tells them nothing."""
    event = await session.get(Event, event_id)
    if event is None or (community_id is not None and event.community_id != community_id):
        return None
    community = await access.queries.convened_one(session, user_id, event.community_id, admins)
    return (event, community) if community is not None else None


async def cancel_step(db: Database, user_id: int, step: str, event_id: int,
                      admins: frozenset[int], now: dt.datetime | None = None) -> list[Out]:
    """A press under /cancelevent: pick (cx), confirm (cxy) or keep (cxn) an event.

    Answered in the convener's language: theirs as a member, else the community's.
    """
    now = now or utcnow()
    async with db.session() as session:
        found = await _convened_event(session, user_id, event_id, admins)
        event, community = found if found is not None else (None, None)
        language = await speaking.queries.staff_language(
            session, user_id, [community.id] if community is not None else None)
        t = speaking.say(language)
        if event is None or community is None:
            return [Out(t.NOT_ALLOWED)]
        when = local_time(event.starts_at, community.timezone, language)
        title = speaking.value(language, event.title)
        if event.cancelled_at is not None or event.ends_at <= now:
            return [Out(t.EVENT_GONE)]
        if step == ConvenerStep.CANCEL:
            return [Out(t.CANCEL_CONFIRM.format(title=title, when=when), ((
                (t.BTN_CANCEL_EVENT, token(ConvenerStep.CANCEL_YES, event.id)),
                (t.BTN_KEEP_EVENT, token(ConvenerStep.CANCEL_NO, event.id))),))]
        if step == ConvenerStep.CANCEL_YES:
            await _cancel_event(session, event, now)
            return [Out(t.EVENT_CANCELLED.format(title=title))]
        return [Out(t.EVENT_KEPT.format(title=title))]


# --- who will be asked about an event, and when ---------------------------------------------


def describe(e: Event, c: Community) -> dict[str, object]:
    """An event as data, its times in its community's zone."""
    zone = ZoneInfo(c.timezone)
    return {"id": e.id, "community": c.name, "title": e.title,
            "starts": e.starts_at.astimezone(zone).isoformat(),
            "ends": e.ends_at.astimezone(zone).isoformat(),
            "cancelled": e.cancelled_at is not None}


async def schedule(db: Database, community: str, title: str, starts: str, ends: str, *,
                   again: bool = False) -> tuple[dict[str, object], Asking]:
    """The command line's new event, in a community given by name or id, with its times as typed
    (once, unless `again`: see `_create_once`): the event (`describe`) and who will be asked
    about it, said in the community's language (whoever runs the command line has none here)."""
    async with db.session() as session:
        c = await find_community(session, community)
        e = await _create_once(session, c, title, starts, ends, again=again)
        return describe(e, c), await who_will_be_asked(session, c, e, language=c.language)


# --- asking members about an event now ------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """Prompts asked for by hand: the event's title, those opened now and those already open."""

    title: str
    created: list[int]
    already_open: list[int]


async def open_by_hand(db: Database, event_id: int, telegram_user_id: int | None,
                       kind: str, *, quietly: bool = False,
                       now: dt.datetime | None = None) -> Opened:
    """Ask one member (by Telegram id), or every member of the event's community, about an event
    now; the running bot sends the first questions (`quietly`: none is sent, and the member's
    next message begins it). AdminError says what to fix."""
    async with db.session() as session:
        event = await session.get(Event, event_id)
        if event is None:
            raise AdminError(f"no event with id {event_id}")
        members = (await session.scalars(
            queries.members_of(event.community_id, telegram_user_id))).all()
        if telegram_user_id is not None and not members:
            raise AdminError("that person is not a member of the event's community")
        opened = [await open_prompt(session, m, event, PromptKind(kind), now, send=not quietly)
                  for m in members]
        return Opened(event.title, [o.prompt.id for o in opened if o.created],
                      [o.prompt.id for o in opened if not o.created])
