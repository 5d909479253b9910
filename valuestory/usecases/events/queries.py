"""The events' SQL: what the planning, drafts, listing and check-in rooms read; and the steps
other doors run inside their own unit of work (`create_event`, `who_will_be_asked`,
`open_prompt`): the sample and try-out communities, the dashboard's outlook, /newevent."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n
from flows.questions import PromptKind
from storage import repositories as repo
from storage.models import (
    Community,
    ConvenerDraft,
    Event,
    Member,
    Membership,
    Prompt,
    PromptStatus,
    utcnow,
)
from valuestory.usecases import speaking
from valuestory.usecases.errors import AdminError
from valuestory.usecases.events.when import parse_time
from valuestory.usecases.scheduler import closes_for, due_for
from valuestory.usecases.scheduler.queries import askable
from valuestory.usecases.times import local_time


def upcoming(community_id: int, now: dt.datetime, *, cancelled: bool = True) -> Select[Event]:
    """A community's events not yet started (`cancelled`: also those called off), soonest first."""
    query = (select(Event).where(Event.community_id == community_id, Event.starts_at >= now)
             .order_by(Event.starts_at, Event.id))
    return query if cancelled else query.where(Event.cancelled_at.is_(None))


def past(community_id: int, now: dt.datetime) -> Select[Event]:
    """A community's events already started, latest first."""
    return (select(Event).where(Event.community_id == community_id, Event.starts_at < now)
            .order_by(Event.starts_at.desc(), Event.id.desc()))


def still_to_ask(event_id: int) -> Any:
    """An event's prompts not yet sent or still open."""
    return select(Prompt).where(Prompt.event_id == event_id,
                                Prompt.status.in_((PromptStatus.SCHEDULED, PromptStatus.OPEN)))


def askable_count(community: Community, due: dt.datetime) -> Any:
    """How many members the scheduler can ask about an event falling due at `due`."""
    return (select(func.count(Member.id)).join(Membership, Membership.member_id == Member.id)
            .where(askable(community, due)))


def members_of(community_id: int, telegram_user_id: int | None) -> Any:
    """A community's members (or the one with this Telegram id, if they are one)."""
    query = select(Member).join(Membership).where(Membership.community_id == community_id)
    if telegram_user_id is not None:
        query = query.where(Member.telegram_user_id == telegram_user_id)
    return query


def last_answered(member_id: int) -> Any:
    """When the member last moved one of their open prompts on."""
    return select(func.max(Prompt.updated_at)).where(
        Prompt.member_id == member_id, Prompt.status == PromptStatus.OPEN)


# A convener's draft of an event, if they have one.
DRAFT_OF = select(ConvenerDraft.telegram_user_id).where(
    ConvenerDraft.telegram_user_id == bindparam("user_id"))


def under_way(community_id: int, now: dt.datetime, early: dt.timedelta) -> Any:
    """The community's latest event under way (or starting within `early`), not cancelled."""
    return (select(Event).where(Event.community_id == community_id, Event.cancelled_at.is_(None),
                                Event.starts_at <= now + early, Event.ends_at >= now)
            .order_by(Event.starts_at.desc()).limit(1))


def by_checkin_code(code: str) -> Any:
    return select(Event).where(Event.checkin_code == code)


# --- steps a door runs inside its own unit of work: creating an event, reading ahead who will be
# asked about it, asking a member about it now ---------------------------------------------


async def create_event(
    session: AsyncSession, community: Community, title: str, starts: str | dt.datetime,
    ends: str | dt.datetime,
) -> Event:
    """A new event, its times as typed (in the community's zone) or given."""
    title = " ".join(title.split())
    if not title:
        raise AdminError("an event needs a title")
    starts_at = parse_time(starts, community.timezone) if isinstance(starts, str) else starts
    ends_at = parse_time(ends, community.timezone) if isinstance(ends, str) else ends
    if ends_at <= starts_at:
        raise AdminError("the event must end after it starts")
    event = Event(community_id=community.id, title=title, starts_at=starts_at, ends_at=ends_at)
    session.add(event)
    await session.flush()
    return event


@dataclass(frozen=True)
class Asking:
    """What the scheduler will do about an event's post-event questions, read ahead of it."""

    due: dt.datetime  # when the questions fall due (after the event, outside quiet hours)
    closes: dt.datetime
    members: int  # members who can be asked now and had joined by `due`
    text: str  # the same in words, in the community's zone

    def data(self) -> dict[str, object]:
        return {"due": self.due.isoformat(), "closes": self.closes.isoformat(),
                "members": self.members, "text": self.text}


async def who_will_be_asked(session: AsyncSession, community: Community, event: Event,
                            now: dt.datetime | None = None, *,
                            language: str = i18n.BASE_LANGUAGE) -> Asking:
    """Who will be asked about `event` and when, by the scheduler's own rules.

    Members who join after the questions fell due are never asked about it, and questions whose
    window has passed are never sent: an event created after the fact may reach nobody, and
    whoever created it is told so, in `language`.
    """
    now = now or utcnow()
    t = speaking.say(language)
    zone = community.timezone
    due = due_for(community, event, PromptKind.POST_EVENT)
    closes = closes_for(community, due)
    members = int(await session.scalar(askable_count(community, due)) or 0)
    when = local_time(due, zone, language)
    if closes <= now:
        text = t.ASKING_NOBODY_CLOSED.format(when=when, closes=local_time(closes, zone, language),
                                             days=community.window_days)
    elif due > now:
        text = (t.ASKING_LATER.format(when=when, members=t.plural(members, "member"))
                if members else t.ASKING_LATER_NOBODY_YET.format(when=when))
    elif members:
        text = t.ASKING_NOW.format(when=when, members=t.plural(members, "member"))
    else:
        text = t.ASKING_NOBODY_JOINED.format(when=when)
    return Asking(due, closes, members if closes > now else 0, text)


@dataclass(frozen=True)
class OpenedPrompt:
    prompt: Prompt
    created: bool


async def open_prompt(
    session: AsyncSession, member: Member, event: Event, kind: PromptKind = PromptKind.POST_EVENT,
    now: dt.datetime | None = None, *, send: bool = False,
) -> OpenedPrompt:
    """Open a prompt for a member now (or return the one that already exists).

    With `send`, it is left due now for the scheduler, which sends its first question (within
    its quiet hours and pauses) and reminds once; otherwise it opens silently, and the member's
    next message begins it.
    """
    now = now or utcnow()
    existing = await repo.prompt_for(session, member.id, event.id, kind)
    if existing is not None:
        return OpenedPrompt(existing, created=False)
    if await repo.membership(session, member.id, event.community_id) is None:
        raise AdminError("that person is not a member of the event's community")
    story_id = str(uuid.uuid4())
    if kind is not PromptKind.POST_EVENT:
        first = await repo.prompt_for(session, member.id, event.id, PromptKind.POST_EVENT)
        if first is not None:
            story_id = first.story_id
    community = await session.get(Community, event.community_id)
    assert community is not None
    prompt = Prompt(
        member_id=member.id, community_id=event.community_id, event_id=event.id, kind=kind,
        story_id=story_id, status=PromptStatus.SCHEDULED if send else PromptStatus.OPEN,
        question_set=community.question_set, due_at=now, opened_at=None if send else now,
        closes_at=now + dt.timedelta(days=community.window_days),
    )
    session.add(prompt)
    await session.flush()
    return OpenedPrompt(prompt, created=True)
