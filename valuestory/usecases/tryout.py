"""What `valuestory try` and `valuestory demo` need beyond a member's own conversation.

The try-out community and its event are made on first use and found again after, so a database
given with `--database` can be tried again: a story paused with Later is resumed, and another
member can be tried beside the first. Everything said to the person still comes from the
member's use cases; these only set the scene and read what the terminal shows at the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flows import texts
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Event, utcnow
from valuestory.usecases import communities, matrix
from valuestory.usecases.events import queries as events

NAME = "Try-out community"
TIMEZONE = "Europe/London"


@dataclass(frozen=True)
class Place:
    """The community a try-out joins (by its invite) and the event its member is asked about."""

    community_id: int
    invite_code: str
    event_id: int


async def place(db: Database, question_set: str, language: str,
                now: dt.datetime | None = None) -> Place:
    """The try-out community and its event, made unless a former try-out left them there."""
    now = now or utcnow()
    async with db.session() as session:
        community = await repo.community_by_name_or_id(session, NAME)
        if community is None:
            community = await communities.queries.create_community(session, NAME, TIMEZONE, question_set,
                                                           language)
        held = await repo.events(session, community.id)
        if held:
            event = held[-1]
        else:
            # An event that ended an hour ago, titled in the language being tried.
            starts = (now - dt.timedelta(hours=3)).replace(second=0, microsecond=0)
            event = await events.create_event(session, community,
                                                texts.In(language).TRY_EVENT_TITLE, starts,
                                                starts + dt.timedelta(hours=2))
        return Place(community.id, community.invite_code, event.id)


async def ask(db: Database, user_id: int, event_id: int) -> bool:
    """Ask a member about the event (once: asking again finds the same prompt).

    False while the person is not yet a member of the event's community.
    """
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        event = await session.get(Event, event_id)
        if member is None or event is None:
            return False
        if await repo.membership(session, member.id, event.community_id) is None:
            return False
        await events.open_prompt(session, member, event)
        return True


async def asking(db: Database, user_id: int) -> bool:
    """Whether the person has a question open: a story under way, or paused with Later."""
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        return member is not None and bool(await repo.open_prompts(session, member.id))


async def matrix_text(db: Database, community_id: int) -> str | None:
    """The community's matrix as the terminal shows it, or None if it is gone."""
    async with db.session() as session:
        community = await session.get(Community, community_id)
    if community is None:
        return None
    return matrix.render_terminal(await matrix.build_matrix(db, community))
