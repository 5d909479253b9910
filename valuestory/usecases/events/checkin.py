"""Check-in: during an event its link (and a QR code of it); a member who opens it is marked
there, and asked about the event afterwards.

Invariant: a link opens only from half an hour before an event to an hour after it, never for a
cancelled one; asking follows the scheduler's own rules, so a check-in never asks in quiet hours.
Replies are in the member's language (before joining: Telegram's, else the community's).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from html import escape

from flows import i18n
from flows.questions import PromptKind
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Prompt, PromptStatus, utcnow
from valuestory.usecases import conversation, speaking
from valuestory.usecases.communities import deep_link, qr_png
from valuestory.usecases.events import queries
from valuestory.usecases.out import Out
from valuestory.usecases.scheduler import closes_for, due_for

CHECKIN_PREFIX = "ci_"
CHECKIN_EARLY = dt.timedelta(minutes=30)
CHECKIN_LATE = dt.timedelta(minutes=60)


def checkin_link(bot_username: str, code: str) -> str:
    return deep_link(bot_username, CHECKIN_PREFIX + code)


async def checkin_for(db: Database, community: Community, bot_username: str,
                      now: dt.datetime | None = None, *,
                      language: str = i18n.BASE_LANGUAGE) -> list[Out]:
    """/checkin during an event: its check-in link, and a QR code of it, in the convener's language."""
    now = now or utcnow()
    t = speaking.say(language)
    async with db.session() as session:
        event = await session.scalar(queries.under_way(community.id, now, CHECKIN_EARLY))
        if event is None:
            return [Out(t.CHECKIN_NONE)]
        if event.checkin_code is None:
            event.checkin_code = secrets.token_urlsafe(9)
        code, title = event.checkin_code, speaking.value(language, event.title)
    link = checkin_link(bot_username, code)
    return [Out(t.CHECKIN.format(title=title, link=escape(link))),
            Out(t.CHECKIN_CAPTION.format(title=title), photo=qr_png(link))]


def is_checkin(code: str | None) -> bool:
    return code is not None and code.startswith(CHECKIN_PREFIX) and len(code) == len(CHECKIN_PREFIX) + 12


async def check_in(db: Database, user_id: int, chat_id: int, code: str,
                   now: dt.datetime | None = None, telegram_language: str | None = None) -> list[Out]:
    """A member opened an event's check-in link: mark them there, and ask them afterwards.

    Replies are in the member's language (before joining: Telegram's, else the community's).
    """
    now = now or utcnow()
    async with db.session() as session:
        event = await session.scalar(queries.by_checkin_code(code.removeprefix(CHECKIN_PREFIX)))
        member = await repo.member_by_telegram_id(session, user_id)
        if event is None:
            return [Out(speaking.say(
                speaking.joining_language(member, telegram_language, None)).BAD_INVITE)]
        community = await session.get(Community, event.community_id)
        assert community is not None
        language = speaking.joining_language(member, telegram_language, community)
        t = speaking.say(language)
        if (event.cancelled_at is not None or now < event.starts_at - CHECKIN_EARLY
                or now > event.ends_at + CHECKIN_LATE):
            return [Out(t.CHECKIN_CLOSED)]
        if member is None or await repo.membership(session, member.id, community.id) is None:
            invite = community.invite_code
            intro = Out(t.CHECKIN_JOIN_FIRST.format(
                community=speaking.value(language, community.name)))
        else:
            member.chat_id = chat_id
            prompt = await repo.prompt_for(session, member.id, event.id, PromptKind.POST_EVENT)
            if prompt is None:
                # The scheduler's own rule, so a check-in never asks during quiet hours.
                due = due_for(community, event, PromptKind.POST_EVENT)
                session.add(Prompt(
                    member_id=member.id, community_id=community.id, event_id=event.id,
                    kind=PromptKind.POST_EVENT, story_id=str(uuid.uuid4()),
                    status=PromptStatus.SCHEDULED, question_set=community.question_set,
                    attended=True, due_at=due, closes_at=closes_for(community, due),
                ))
            else:
                prompt.attended = True
            return [Out(t.CHECKED_IN.format(title=speaking.value(language, event.title)))]
    return [intro, *await conversation.start(db, user_id, chat_id, invite, telegram_language)]
