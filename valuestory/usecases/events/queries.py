"""The events' SQL: what the planning, drafts, listing and check-in rooms read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, bindparam, func, select

from storage.models import (
    Community,
    ConvenerDraft,
    Event,
    Member,
    Membership,
    Prompt,
    PromptStatus,
)
from valuestory.usecases.scheduler import askable


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
