"""/newevent: a convener drafts an event in chat, a step at a time, by the planning rules.

Invariant: a draft lives in the database (`ConvenerDraft`), so a restart resumes it; it is
dropped by any command, after two hours, or when a question the person was asked as a member
came later, so it never swallows a member's answer. Every step speaks the convener's language:
theirs as a member, else the community's.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, ConvenerDraft, utcnow
from valuestory.usecases import access, speaking
from valuestory.usecases.callbacks import ConvenerStep, DraftChoice
from valuestory.usecases.events import queries
from valuestory.usecases.events.planning import (
    EventRejected,
    check_minutes,
    check_start,
    check_title,
    example_time,
    token,
)
from valuestory.usecases.events.queries import create_event, who_will_be_asked
from valuestory.usecases.out import Out
from valuestory.usecases.times import local_time

DRAFT_LIFETIME = dt.timedelta(hours=2)


def _duration_label(minutes: int, t: i18n.Texts) -> str:
    h, m = divmod(minutes, 60)
    if h and m:
        return t.DURATION_HOURS_MINUTES.format(hours=h, minutes=m)
    return t.DURATION_HOURS.format(hours=h) if h else t.DURATION_MINUTES.format(minutes=m)


def _cancel_row(t: i18n.Texts) -> tuple[tuple[str, str], ...]:
    return ((t.BTN_CANCEL, token(ConvenerStep.DRAFT, DraftChoice.CANCEL)),)


async def start_draft(db: Database, user_id: int, community: Community, *,
                      language: str = i18n.BASE_LANGUAGE) -> list[Out]:
    """/newevent: begin (or begin again) a draft event, asking for its title."""
    async with db.session() as session:
        draft = await session.get(ConvenerDraft, user_id)
        if draft is None:
            draft = ConvenerDraft(telegram_user_id=user_id)
            session.add(draft)
        draft.kind, draft.community_id, draft.step, draft.data = "newevent", community.id, "title", {}
        draft.updated_at = utcnow()
    t = speaking.say(language)
    return [Out(t.EVENT_ASK_TITLE.format(community=speaking.value(language, community.name)),
                (_cancel_row(t),))]


async def draft_text(db: Database, user_id: int, text: str,
                     admins: frozenset[int]) -> list[Out] | None:
    """A typed message from someone with a draft: the next step, or None if it is not for it."""
    if not await _has_draft(db, user_id):
        return None  # as for nearly every typed message: one plain read said so
    async with db.session() as session:
        draft = await session.get(ConvenerDraft, user_id)
        if draft is None:
            return None  # not ours: the member conversation takes it
        if draft.updated_at < utcnow() - DRAFT_LIFETIME:
            # An abandoned draft must not swallow a convener's answers as a member.
            await session.delete(draft)
            return None
        if await _asked_since(session, user_id, draft.updated_at):
            return None  # a question they were asked as a member came later: the answer is for it
        community = await access.queries.convened_one(session, user_id, draft.community_id, admins)
        if community is None:
            await session.delete(draft)
            return None
        language = await speaking.queries.staff_language(session, user_id, [community.id])
        reply = _draft_step(draft, community, text, utcnow(), speaking.say(language))
        draft.updated_at = utcnow()
    return [reply]


async def _asked_since(session: AsyncSession, user_id: int, since: dt.datetime) -> bool:
    """Whether this person, as a member, has an open prompt touched after `since`."""
    member = await repo.member_by_telegram_id(session, user_id)
    if member is None:
        return False
    newest = await session.scalar(queries.last_answered(member.id))
    return newest is not None and newest >= since


async def _has_draft(db: Database, user_id: int) -> bool:
    """Whether this person has a draft, in one read outside any transaction: every typed message
    and every command asks, and hardly anyone has one."""
    async with db.reading() as conn:
        return await conn.scalar(queries.DRAFT_OF, {"user_id": user_id}) is not None


async def drop_draft(db: Database, user_id: int) -> None:
    """Any command ends an unfinished /newevent, so the draft never takes later typed text."""
    if not await _has_draft(db, user_id):
        return
    async with db.session() as session:
        draft = await session.get(ConvenerDraft, user_id)
        if draft is not None:
            await session.delete(draft)


def _draft_step(draft: ConvenerDraft, community: Community, text: str, now: dt.datetime,
                t: i18n.Texts) -> Out:
    zone = community.timezone
    cancel_row = _cancel_row(t)
    data = dict(draft.data)
    try:
        if draft.step == "title":
            data["title"] = check_title(text)
            draft.data, draft.step = data, "start"
            return Out(t.EVENT_ASK_START.format(example=example_time(zone), zone=escape(zone)),
                       (cancel_row,))
        if draft.step == "start":
            data["starts"] = check_start(text, zone, now).isoformat()
            draft.data, draft.step = data, "duration"
            return Out(t.EVENT_ASK_DURATION, (cancel_row,))
        if draft.step == "duration":
            data["minutes"] = str(check_minutes(text))
            draft.data, draft.step = data, "confirm"
    except EventRejected as exc:
        return Out(exc.said(t), (cancel_row,))
    return _confirmation(data, zone, t)


def _confirmation(data: dict[str, str], zone: str, t: i18n.Texts) -> Out:
    starts = dt.datetime.fromisoformat(data["starts"])
    return Out(
        t.EVENT_CONFIRM.format(title=speaking.value(t.language, data["title"]),
                               when=local_time(starts, zone, t.language),
                               duration=_duration_label(int(data["minutes"]), t)),
        (((t.BTN_CREATE, token(ConvenerStep.DRAFT, DraftChoice.CREATE)),
          (t.BTN_CANCEL, token(ConvenerStep.DRAFT, DraftChoice.CANCEL))),),
    )


async def finish_draft(db: Database, user_id: int, create: bool,
                       admins: frozenset[int]) -> list[Out]:
    """Create or Cancel pressed under a draft's confirmation."""
    async with db.session() as session:
        draft = await session.get(ConvenerDraft, user_id)
        language = await speaking.queries.staff_language(
            session, user_id, [draft.community_id] if draft is not None else None)
        t = speaking.say(language)
        if draft is None:
            return [Out(t.EVENT_DRAFT_EXPIRED)]
        if not create:
            await session.delete(draft)
            return [Out(t.EVENT_DRAFT_CANCELLED)]
        community = await access.queries.convened_one(session, user_id, draft.community_id, admins)
        if community is None:
            await session.delete(draft)
            return [Out(t.NOT_ALLOWED)]
        if draft.step != "confirm":
            return [Out(t.EVENT_DRAFT_EXPIRED)]
        starts = dt.datetime.fromisoformat(draft.data["starts"])
        ends = starts + dt.timedelta(minutes=int(draft.data["minutes"]))
        event = await create_event(session, community, draft.data["title"], starts, ends)
        await session.delete(draft)
        said = await who_will_be_asked(session, community, event, language=language)
        done = t.EVENT_CREATED.format(title=speaking.value(language, event.title),
                                      when=local_time(event.starts_at, community.timezone, language))
        return [Out(f"{done} {said.text}")]
