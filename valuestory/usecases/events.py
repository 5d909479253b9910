"""Events: creating, drafting step by step, listing, cancelling, check-in, and asking about them.

Telegram's /newevent, the command line's `event create` and the dashboard go through the same
rules here: an event is from 2000 to two years ahead and ends after it starts; a draft lives in
the database, so a restart resumes it; cancelling an event cancels what is still to be asked.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows import texts
from flows.questions import PromptKind
from storage import repositories as repo
from storage.db import Database
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
from valuestory.usecases import access, callbacks, conversation, matrix, parsing, speaking
from valuestory.usecases.communities import deep_link, qr_png
from valuestory.usecases.errors import AdminError
from valuestory.usecases.out import Out
from valuestory.usecases.scheduler import askable, closes_for, due_for
from valuestory.usecases.times import local_time

CHECKIN_PREFIX = "ci_"
CHECKIN_EARLY = dt.timedelta(minutes=30)
CHECKIN_LATE = dt.timedelta(minutes=60)
DRAFT_LIFETIME = dt.timedelta(hours=2)
# Far enough ahead for any planned event, near enough that adding a duration or a follow-up
# can't run past the largest date there is.
FURTHEST_AHEAD = dt.timedelta(days=2 * 365)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def token(*parts: object) -> str:
    return callbacks.encode(callbacks.Prefix.CONVENER, *parts)


# --- times and creating ---------------------------------------------------------------------


class TimeOutOfRange(AdminError):
    """A readable time too far from now to be an event's: before 2000 (`past`) or far ahead."""

    def __init__(self, message: str, past: bool) -> None:
        super().__init__(message)
        self.past = past


class NoTimeOfDay(AdminError):
    """A date alone: taking it as midnight would ask members in the small hours."""


def parse_time(text: str, zone: str, now: dt.datetime | None = None) -> dt.datetime:
    """A time typed by a person: 'YYYY-MM-DD HH:MM' in the community's zone, or ISO 8601.

    Only from 2000 to two years after `now`, and never a date without its time of day.
    """
    text = text.strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        pass
    else:
        raise NoTimeOfDay(f"{text!r} has no time of day: give a date and time like "
                          f"{day.isoformat()} 14:00")
    try:
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        raise AdminError(f"{text!r} is not a date and time like 2026-12-03 14:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    latest = (now or utcnow()) + FURTHEST_AHEAD
    # The year first: converting a time near the end of year 9999 to UTC overflows.
    if not EARLIEST.year <= parsed.year <= latest.year or not EARLIEST <= parsed <= latest:
        raise TimeOutOfRange(f"{text!r} is too far off: events can be from 2000 up to two years "
                             "from now", past=parsed.year < EARLIEST.year or parsed < EARLIEST)
    return parsed.astimezone(dt.UTC)


async def create_event(
    session: AsyncSession, community: Community, title: str, starts: str | dt.datetime,
    ends: str | dt.datetime,
) -> Event:
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


def event_minutes(text: str) -> int | None:
    """How long an event lasts, as typed ('90', '1h30', '2h'): 5 minutes to 24 hours."""
    minutes = parsing.parse_duration(text)
    return minutes if minutes is not None and 5 <= minutes <= 24 * 60 else None


# --- who will be asked about an event, and when ---------------------------------------------


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
                            now: dt.datetime | None = None) -> Asking:
    """Who will be asked about `event` and when, by the scheduler's own rules.

    Members who join after the questions fell due are never asked about it, and questions whose
    window has passed are never sent: an event created after the fact may reach nobody, and
    whoever created it is told so.
    """
    now = now or utcnow()
    zone = community.timezone
    due = due_for(community, event, PromptKind.POST_EVENT)
    closes = closes_for(community, due)
    members = int(await session.scalar(
        select(func.count(Member.id)).join(Membership, Membership.member_id == Member.id)
        .where(askable(community, due))) or 0)
    when = local_time(due, zone)
    if closes <= now:
        text = texts.ASKING_NOBODY_CLOSED.format(when=when, closes=local_time(closes, zone),
                                                 days=community.window_days)
    elif due > now:
        text = (texts.ASKING_LATER.format(when=when, members=texts.plural(members, "member"))
                if members else texts.ASKING_LATER_NOBODY_YET.format(when=when))
    elif members:
        text = texts.ASKING_NOW.format(when=when, members=texts.plural(members, "member"))
    else:
        text = texts.ASKING_NOBODY_JOINED.format(when=when)
    return Asking(due, closes, members if closes > now else 0, text)


# --- asking members about an event now ------------------------------------------------------


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


# --- /newevent: a dialogue whose state lives in the database --------------------------------


def _duration_label(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    if h and m:
        return texts.DURATION_HOURS_MINUTES.format(hours=h, minutes=m)
    return texts.DURATION_HOURS.format(hours=h) if h else texts.DURATION_MINUTES.format(minutes=m)


def _example(zone: str) -> str:
    return (utcnow().astimezone(ZoneInfo(zone)) + dt.timedelta(days=7)).strftime("%Y-%m-%d 14:00")


CANCEL_ROW = ((texts.BTN_CANCEL, token("draft", "cancel")),)


async def start_draft(db: Database, user_id: int, community: Community) -> list[Out]:
    """/newevent: begin (or begin again) a draft event, asking for its title."""
    async with db.session() as session:
        draft = await session.get(ConvenerDraft, user_id)
        if draft is None:
            draft = ConvenerDraft(telegram_user_id=user_id)
            session.add(draft)
        draft.kind, draft.community_id, draft.step, draft.data = "newevent", community.id, "title", {}
        draft.updated_at = utcnow()
    return [Out(texts.EVENT_ASK_TITLE.format(community=escape(community.name)), (CANCEL_ROW,))]


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
        community = await access.convened_one(session, user_id, draft.community_id, admins)
        if community is None:
            await session.delete(draft)
            return None
        reply = _draft_step(draft, community, text, utcnow())
        draft.updated_at = utcnow()
    return [reply]


async def _asked_since(session: AsyncSession, user_id: int, since: dt.datetime) -> bool:
    """Whether this person, as a member, has an open prompt touched after `since`."""
    member = await repo.member_by_telegram_id(session, user_id)
    if member is None:
        return False
    newest = await session.scalar(select(func.max(Prompt.updated_at)).where(
        Prompt.member_id == member.id, Prompt.status == PromptStatus.OPEN))
    return newest is not None and newest >= since


async def _has_draft(db: Database, user_id: int) -> bool:
    """Whether this person has a draft, in one read outside any transaction: every typed message
    and every command asks, and hardly anyone has one."""
    async with db.reading() as conn:
        return await conn.scalar(_DRAFT_OF, {"user_id": user_id}) is not None


_DRAFT_OF = select(ConvenerDraft.telegram_user_id).where(
    ConvenerDraft.telegram_user_id == bindparam("user_id"))


async def drop_draft(db: Database, user_id: int) -> None:
    """Any command ends an unfinished /newevent, so the draft never takes later typed text."""
    if not await _has_draft(db, user_id):
        return
    async with db.session() as session:
        draft = await session.get(ConvenerDraft, user_id)
        if draft is not None:
            await session.delete(draft)


class EventRejected(AdminError):
    """What a person typed for an event breaks its rules; the message says so, kindly."""


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
        raise EventRejected(texts.EVENT_NEEDS_TIME.format(example=f"{day} 14:00")) from None
    except AdminError:
        raise EventRejected(texts.EVENT_BAD_START.format(example=_example(zone))) from None
    if starts <= now:
        raise EventRejected(texts.EVENT_IN_PAST)
    return starts


def check_minutes(text: str) -> int:
    minutes = event_minutes(text)
    if minutes is None:
        raise EventRejected(texts.EVENT_BAD_DURATION)
    return minutes


def _draft_step(draft: ConvenerDraft, community: Community, text: str, now: dt.datetime) -> Out:
    zone = community.timezone
    data = dict(draft.data)
    try:
        if draft.step == "title":
            data["title"] = check_title(text)
            draft.data, draft.step = data, "start"
            return Out(texts.EVENT_ASK_START.format(example=_example(zone), zone=escape(zone)),
                       (CANCEL_ROW,))
        if draft.step == "start":
            data["starts"] = check_start(text, zone, now).isoformat()
            draft.data, draft.step = data, "duration"
            return Out(texts.EVENT_ASK_DURATION, (CANCEL_ROW,))
        if draft.step == "duration":
            data["minutes"] = str(check_minutes(text))
            draft.data, draft.step = data, "confirm"
    except EventRejected as exc:
        return Out(str(exc), (CANCEL_ROW,))
    return _confirmation(data, zone)


async def plan_event(session: AsyncSession, community: Community, title: str, starts: str,
                     minutes: str, now: dt.datetime | None = None) -> Event:
    """A new event from a form, by /newevent's rules: a title, a future start, a duration."""
    now = now or utcnow()
    title = check_title(title)
    starts_at = check_start(starts, community.timezone, now)
    ends_at = starts_at + dt.timedelta(minutes=check_minutes(minutes))
    return await create_event(session, community, title, starts_at, ends_at)


async def move_event(session: AsyncSession, event: Event, community: Community, starts: str,
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


def _confirmation(data: dict[str, str], zone: str) -> Out:
    starts = dt.datetime.fromisoformat(data["starts"])
    return Out(
        texts.EVENT_CONFIRM.format(title=escape(data["title"]), when=local_time(starts, zone),
                                   duration=_duration_label(int(data["minutes"]))),
        (((texts.BTN_CREATE, token("draft", "create")), (texts.BTN_CANCEL, token("draft", "cancel"))),),
    )


async def finish_draft(db: Database, user_id: int, create: bool,
                       admins: frozenset[int]) -> list[Out]:
    """Create or Cancel pressed under a draft's confirmation."""
    async with db.session() as session:
        draft = await session.get(ConvenerDraft, user_id)
        if draft is None:
            return [Out(texts.EVENT_DRAFT_EXPIRED)]
        if not create:
            await session.delete(draft)
            return [Out(texts.EVENT_DRAFT_CANCELLED)]
        community = await access.convened_one(session, user_id, draft.community_id, admins)
        if community is None:
            await session.delete(draft)
            return [Out(texts.NOT_ALLOWED)]
        if draft.step != "confirm":
            return [Out(texts.EVENT_DRAFT_EXPIRED)]
        starts = dt.datetime.fromisoformat(draft.data["starts"])
        ends = starts + dt.timedelta(minutes=int(draft.data["minutes"]))
        event = await create_event(session, community, draft.data["title"], starts, ends)
        await session.delete(draft)
        said = await who_will_be_asked(session, community, event)
        done = texts.EVENT_CREATED.format(title=escape(event.title),
                                          when=local_time(event.starts_at, community.timezone))
        return [Out(f"{done} {said.text}")]


# --- listing and cancelling -----------------------------------------------------------------


async def response_rates(session: AsyncSession,
                         event_ids: Sequence[int]) -> dict[int, matrix.Participation]:
    """For each event: who was asked, attended, answered and completed, as the matrix counts."""
    return await matrix.participation_by_event(session, list(event_ids))


async def for_dashboard(
    session: AsyncSession, community: Community, now: dt.datetime, past_shown: int = 50,
) -> tuple[list[Event], list[Event], dict[int, matrix.Participation]]:
    """Upcoming events (soonest first), past ones (latest first), and the past ones' participation."""
    upcoming = list((await session.scalars(
        select(Event).where(Event.community_id == community.id, Event.starts_at >= now)
        .order_by(Event.starts_at, Event.id))).all())
    past = list((await session.scalars(
        select(Event).where(Event.community_id == community.id, Event.starts_at < now)
        .order_by(Event.starts_at.desc(), Event.id.desc()).limit(past_shown))).all())
    return upcoming, past, await response_rates(session, [e.id for e in past])


async def listing(db: Database, community: Community, now: dt.datetime | None = None) -> list[Out]:
    """/events: upcoming events, and recent ones with their response rates."""
    now = now or utcnow()
    zone = community.timezone
    async with db.session() as session:
        upcoming = (await session.scalars(
            select(Event).where(Event.community_id == community.id, Event.starts_at >= now)
            .order_by(Event.starts_at).limit(10))).all()
        recent = (await session.scalars(
            select(Event).where(Event.community_id == community.id, Event.starts_at < now)
            .order_by(Event.starts_at.desc()).limit(5))).all()
        rates = await response_rates(session, [e.id for e in recent])
    lines = [texts.EVENTS_TITLE.format(community=escape(community.name))]
    if not upcoming and not recent:
        lines.append(texts.EVENTS_NONE)

    def line(e: Event, template: str) -> str:
        when = local_time(e.starts_at, zone)
        if e.cancelled_at is not None:
            return texts.EVENT_LINE_CANCELLED.format(when=when, title=escape(e.title))
        p = rates.get(e.id, matrix.NOBODY)
        return template.format(when=when, title=escape(e.title), sent=p.sent, answered=p.answered,
                               rate=matrix.rate(p))

    if upcoming:
        lines += ["", texts.EVENTS_UPCOMING, *(line(e, texts.EVENT_LINE_UPCOMING) for e in upcoming)]
    if recent:
        lines += ["", texts.EVENTS_RECENT, *(line(e, texts.EVENT_LINE_RECENT) for e in recent)]
    return [Out("\n".join(lines))]


async def cancel_choices(db: Database, community: Community,
                         now: dt.datetime | None = None) -> list[Out]:
    """/cancelevent: the upcoming events, as buttons."""
    now = now or utcnow()
    async with db.session() as session:
        upcoming = (await session.scalars(
            select(Event).where(Event.community_id == community.id, Event.starts_at >= now,
                                Event.cancelled_at.is_(None))
            .order_by(Event.starts_at).limit(10))).all()
    if not upcoming:
        return [Out(texts.CANCEL_NONE)]
    rows = tuple(((f"{local_time(e.starts_at, community.timezone)}: {e.title}"[:60],
                   token("cx", e.id)),) for e in upcoming)
    return [Out(texts.CANCEL_PICK, rows)]


async def cancel_event(session: AsyncSession, event: Event, now: dt.datetime) -> None:
    """Cancel an event: nobody is asked about it, and what was still to be asked is cancelled."""
    event.cancelled_at = now
    for p in (await session.scalars(select(Prompt).where(
            Prompt.event_id == event.id,
            Prompt.status.in_((PromptStatus.SCHEDULED, PromptStatus.OPEN))))).all():
        p.status = PromptStatus.CANCELLED
        p.finished_at = now


async def cancel_upcoming(session: AsyncSession, event: Event, now: dt.datetime) -> None:
    """Cancel an event from a form, by /cancelevent's rule: only one not yet over or cancelled."""
    if event.cancelled_at is not None or event.ends_at <= now:
        raise EventRejected(texts.EVENT_GONE)
    await cancel_event(session, event, now)


async def cancel_step(db: Database, user_id: int, step: str, event_id: int,
                      admins: frozenset[int], now: dt.datetime | None = None) -> list[Out]:
    """A press under /cancelevent: pick (cx), confirm (cxy) or keep (cxn) an event."""
    now = now or utcnow()
    async with db.session() as session:
        event = await session.get(Event, event_id)
        community = (await access.convened_one(session, user_id, event.community_id, admins)
                     if event is not None else None)
        if event is None or community is None:
            return [Out(texts.NOT_ALLOWED)]
        when, title = local_time(event.starts_at, community.timezone), escape(event.title)
        if event.cancelled_at is not None or event.ends_at <= now:
            return [Out(texts.EVENT_GONE)]
        if step == "cx":
            return [Out(texts.CANCEL_CONFIRM.format(title=title, when=when), ((
                (texts.BTN_CANCEL_EVENT, token("cxy", event.id)),
                (texts.BTN_KEEP_EVENT, token("cxn", event.id))),))]
        if step == "cxy":
            await cancel_event(session, event, now)
            return [Out(texts.EVENT_CANCELLED.format(title=title))]
        return [Out(texts.EVENT_KEPT.format(title=title))]


# --- check-in -------------------------------------------------------------------------------


def checkin_link(bot_username: str, code: str) -> str:
    return deep_link(bot_username, CHECKIN_PREFIX + code)


async def checkin_for(db: Database, community: Community, bot_username: str,
                      now: dt.datetime | None = None) -> list[Out]:
    """/checkin during an event: its check-in link, and a QR code of it."""
    now = now or utcnow()
    async with db.session() as session:
        event = await session.scalar(
            select(Event).where(Event.community_id == community.id, Event.cancelled_at.is_(None),
                                Event.starts_at <= now + CHECKIN_EARLY, Event.ends_at >= now)
            .order_by(Event.starts_at.desc()).limit(1))
        if event is None:
            return [Out(texts.CHECKIN_NONE)]
        if event.checkin_code is None:
            event.checkin_code = secrets.token_urlsafe(9)
        code, title = event.checkin_code, escape(event.title)
    link = checkin_link(bot_username, code)
    return [Out(texts.CHECKIN.format(title=title, link=escape(link))),
            Out(texts.CHECKIN_CAPTION.format(title=title), photo=qr_png(link))]


def is_checkin(code: str | None) -> bool:
    return code is not None and code.startswith(CHECKIN_PREFIX) and len(code) == len(CHECKIN_PREFIX) + 12


async def check_in(db: Database, user_id: int, chat_id: int, code: str,
                   now: dt.datetime | None = None, telegram_language: str | None = None) -> list[Out]:
    """A member opened an event's check-in link: mark them there, and ask them afterwards.

    Replies are in the member's language (before joining: Telegram's, else the community's).
    """
    now = now or utcnow()
    async with db.session() as session:
        event = await session.scalar(
            select(Event).where(Event.checkin_code == code.removeprefix(CHECKIN_PREFIX)))
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
