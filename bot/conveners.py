"""Convener commands in Telegram: the matrix, the digest, events, invites, check-in, members.

Only conveners of a community (and admins) see anything about it; everyone else gets the same
plain refusal whether or not the community exists. Button data is re-checked on every press.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import io
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.context import database, private_press, settings
from bot.send import send, set_buttons, split_message
from flows import texts
from flows.questions import PromptKind
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    Community,
    Consent,
    ConvenerDraft,
    Event,
    Member,
    Membership,
    Prompt,
    PromptStatus,
    Role,
    RoleGrant,
    utcnow,
)
from valuestory.process.settings import Settings
from valuestory.usecases import admin, community_settings, conversation, digest, matrix, parsing, scheduler
from valuestory.usecases.out import Out

log = logging.getLogger(__name__)

PREFIX = "cv"
CHECKIN_PREFIX = "ci_"
CHECKIN_EARLY = dt.timedelta(minutes=30)
CHECKIN_LATE = dt.timedelta(minutes=60)
CALLBACK_LIMIT = 64
DRAFT_LIFETIME = dt.timedelta(hours=2)


# --- who may see what -----------------------------------------------------------------------


async def convened(session: AsyncSession, user_id: int, config: Settings) -> list[Community]:
    """The communities this person may act on as a convener, by name."""
    query = select(Community).order_by(Community.name)
    if user_id not in config.admin_telegram_ids:
        query = query.join(RoleGrant, RoleGrant.community_id == Community.id).where(
            RoleGrant.telegram_user_id == user_id, RoleGrant.role == Role.CONVENER)
    return list((await session.scalars(query)).unique().all())


async def convened_one(
    session: AsyncSession, user_id: int, community_id: int, config: Settings
) -> Community | None:
    """The community, if this person convenes it (or is an admin); None tells them nothing."""
    community = await session.get(Community, community_id)
    if community is None:
        return None
    if user_id in config.admin_telegram_ids:
        return community
    grant = await session.scalar(select(RoleGrant.id).where(
        RoleGrant.telegram_user_id == user_id, RoleGrant.community_id == community_id,
        RoleGrant.role == Role.CONVENER))
    return community if grant is not None else None


@dataclass
class Ask:
    """One convener request being answered: where to reply, and who is asking."""

    context: ContextTypes.DEFAULT_TYPE
    chat_id: int
    user_id: int

    @property
    def db(self) -> Database:
        return database(self.context)

    async def say(self, *outs: Out) -> None:
        await send(self.context, self.chat_id, list(outs))

    async def photo(self, png: bytes, caption: str) -> None:
        await self.context.bot.send_photo(self.chat_id, png, caption=caption)


Action = Callable[[Ask, Community, str], Awaitable[None]]


def _e(text: str) -> str:
    return html.escape(text)


def _local(at: dt.datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%a %-d %b %Y, %H:%M")


def token(*parts: object) -> str:
    return "|".join([PREFIX, *(str(p) for p in parts)])


# --- /matrix --------------------------------------------------------------------------------


async def do_matrix(ask: Ask, community: Community, arg: str) -> None:
    now = utcnow()
    try:
        period = matrix.parse_period(arg, community.timezone, now)
    except matrix.PeriodError:
        await ask.say(Out(texts.MATRIX_USAGE))
        return
    async with ask.db.session() as session:
        built = await matrix.build_matrix(session, community, period, now)
    await ask.say(Out(matrix.render_text(built)))
    await ask.photo(await asyncio.to_thread(matrix.render_png, built), texts.MATRIX_CAPTION.format(
        community=_e(built.community), period=_e(period.label)))


# --- /digest --------------------------------------------------------------------------------


async def do_digest(ask: Ask, community: Community, arg: str) -> None:
    words = arg.lower().split()
    async with ask.db.session() as session:
        c = await session.get(Community, community.id)
        assert c is not None
        grant = await session.scalar(select(RoleGrant).where(
            RoleGrant.telegram_user_id == ask.user_id, RoleGrant.community_id == c.id,
            RoleGrant.role == Role.CONVENER))
        if words in (["on"], ["off"]):
            if grant is None:
                await ask.say(Out(texts.DIGEST_NOT_CONVENER))
                return
            grant.digest_enabled = words == ["on"]
        elif len(words) == 2:
            try:
                community_settings.apply(c, community_settings.Change(digest=" ".join(words)))
            except community_settings.SettingError:
                await ask.say(Out(texts.DIGEST_USAGE))
                return
        elif words:
            await ask.say(Out(texts.DIGEST_USAGE))
            return
        enabled = grant is not None and grant.digest_enabled
        reply = texts.DIGEST_STATUS.format(
            community=_e(c.name), state=texts.DIGEST_ON if enabled else texts.DIGEST_OFF,
            day=texts.WEEKDAYS[c.digest_weekday], time=c.digest_time, zone=_e(c.timezone))
    await ask.say(Out(reply))


async def send_weekly_digest(bot: Bot, db: Database, community_id: int, now: dt.datetime) -> int:
    """Send the matrix, text and picture, to every convener of the community who wants it."""
    async with db.session() as session:
        community = await session.get(Community, community_id)
        if community is None:
            return 0
        built = await matrix.build_matrix(session, community, matrix.Period(), now)
        to = await digest.recipients(session, community_id)
        # The scheduler alone decides when a digest is due; this only remembers when one went
        # out, so the next one can say what is new since.
        await matrix.record_digest(session, community_id, now)
    if not to:
        return 0
    body = split_message(texts.DIGEST_INTRO + "\n\n" + matrix.render_text(built))
    png = await asyncio.to_thread(matrix.render_png, built)
    caption = texts.MATRIX_CAPTION.format(community=_e(built.community), period=_e(built.period.label))
    sent = 0
    for user_id in to:
        try:
            for part in body:
                # Explicit, not left to the Bot's defaults: the command line's plain Bot has none.
                await bot.send_message(user_id, part, parse_mode=ParseMode.HTML)
            await bot.send_photo(user_id, png, caption=caption, parse_mode=ParseMode.HTML)
            sent += 1
        except TelegramError as exc:
            log.warning("digest for community %s not delivered to a convener: %s",
                        community_id, type(exc).__name__)
    return sent


# --- /newevent: a dialogue whose state lives in the database --------------------------------


def event_minutes(text: str) -> int | None:
    """How long an event lasts, as typed ('90', '1h30', '2h'): 5 minutes to 24 hours."""
    minutes = parsing.parse_duration(text)
    return minutes if minutes is not None and 5 <= minutes <= 24 * 60 else None


def _duration_label(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    if h and m:
        return texts.DURATION_HOURS_MINUTES.format(hours=h, minutes=m)
    return texts.DURATION_HOURS.format(hours=h) if h else texts.DURATION_MINUTES.format(minutes=m)


def _example(zone: str) -> str:
    return (utcnow().astimezone(ZoneInfo(zone)) + dt.timedelta(days=7)).strftime("%Y-%m-%d 14:00")


CANCEL_ROW = ((texts.BTN_CANCEL, token("draft", "cancel")),)


async def do_newevent(ask: Ask, community: Community, arg: str) -> None:
    async with ask.db.session() as session:
        draft = await session.get(ConvenerDraft, ask.user_id)
        if draft is None:
            draft = ConvenerDraft(telegram_user_id=ask.user_id)
            session.add(draft)
        draft.kind, draft.community_id, draft.step, draft.data = "newevent", community.id, "title", {}
        draft.updated_at = utcnow()
    await ask.say(Out(texts.EVENT_ASK_TITLE.format(community=_e(community.name)), (CANCEL_ROW,)))


async def on_draft_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A typed message from a convener in the middle of /newevent; others pass through."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    config = settings(context)
    async with database(context).session() as session:
        draft = await session.get(ConvenerDraft, user.id)
        if draft is None:
            return  # not ours: the member conversation takes it
        if draft.updated_at < utcnow() - DRAFT_LIFETIME:
            # An abandoned draft must not swallow a convener's answers as a member.
            await session.delete(draft)
            return
        if await _asked_since(session, user.id, draft.updated_at):
            return  # a question they were asked as a member came later: the answer is for it
        community = await convened_one(session, user.id, draft.community_id, config)
        if community is None:
            await session.delete(draft)
            return
        reply = _draft_step(draft, community, message.text, utcnow())
        draft.updated_at = utcnow()
    await send(context, message.chat_id, [reply])
    raise ApplicationHandlerStop


async def _asked_since(session: AsyncSession, user_id: int, since: dt.datetime) -> bool:
    """Whether this person, as a member, has an open prompt touched after `since`."""
    member = await repo.member_by_telegram_id(session, user_id)
    if member is None:
        return False
    newest = await session.scalar(select(func.max(Prompt.updated_at)).where(
        Prompt.member_id == member.id, Prompt.status == PromptStatus.OPEN))
    return newest is not None and newest >= since


async def on_any_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any command ends an unfinished /newevent, so the draft never takes later typed text."""
    user = update.effective_user
    if user is None:
        return
    async with database(context).session() as session:
        draft = await session.get(ConvenerDraft, user.id)
        if draft is not None:
            await session.delete(draft)


def _draft_step(draft: ConvenerDraft, community: Community, text: str, now: dt.datetime) -> Out:
    zone = community.timezone
    data = dict(draft.data)
    if draft.step == "title":
        title = " ".join(text.split())
        if not title or len(title) > 200:
            return Out(texts.EVENT_BAD_TITLE, (CANCEL_ROW,))
        data["title"] = title
        draft.data, draft.step = data, "start"
        return Out(texts.EVENT_ASK_START.format(example=_example(zone), zone=_e(zone)), (CANCEL_ROW,))
    if draft.step == "start":
        try:
            starts = admin.parse_time(text, zone, now)
        except admin.TimeOutOfRange as exc:
            return Out(texts.EVENT_IN_PAST if exc.past else texts.EVENT_TOO_FAR, (CANCEL_ROW,))
        except admin.AdminError:
            return Out(texts.EVENT_BAD_START.format(example=_example(zone)), (CANCEL_ROW,))
        if starts <= now:
            return Out(texts.EVENT_IN_PAST, (CANCEL_ROW,))
        data["starts"] = starts.isoformat()
        draft.data, draft.step = data, "duration"
        return Out(texts.EVENT_ASK_DURATION, (CANCEL_ROW,))
    if draft.step == "duration":
        minutes = event_minutes(text)
        if minutes is None:
            return Out(texts.EVENT_BAD_DURATION, (CANCEL_ROW,))
        data["minutes"] = str(minutes)
        draft.data, draft.step = data, "confirm"
        return _confirmation(data, zone)
    return _confirmation(data, zone)


def _confirmation(data: dict[str, str], zone: str) -> Out:
    starts = dt.datetime.fromisoformat(data["starts"])
    return Out(
        texts.EVENT_CONFIRM.format(title=_e(data["title"]), when=_local(starts, zone),
                                   duration=_duration_label(int(data["minutes"]))),
        (((texts.BTN_CREATE, token("draft", "create")), (texts.BTN_CANCEL, token("draft", "cancel"))),),
    )


async def _finish_draft(ask: Ask, create: bool) -> None:
    config = settings(ask.context)
    async with ask.db.session() as session:
        draft = await session.get(ConvenerDraft, ask.user_id)
        if draft is None:
            reply = texts.EVENT_DRAFT_EXPIRED
        elif not create:
            await session.delete(draft)
            reply = texts.EVENT_DRAFT_CANCELLED
        else:
            community = await convened_one(session, ask.user_id, draft.community_id, config)
            if community is None:
                await session.delete(draft)
                await ask.say(Out(texts.NOT_ALLOWED))
                return
            if draft.step != "confirm":
                await ask.say(Out(texts.EVENT_DRAFT_EXPIRED))
                return
            starts = dt.datetime.fromisoformat(draft.data["starts"])
            ends = starts + dt.timedelta(minutes=int(draft.data["minutes"]))
            event = await admin.create_event(session, community, draft.data["title"], starts, ends)
            await session.delete(draft)
            reply = texts.EVENT_CREATED.format(title=_e(event.title),
                                               when=_local(event.starts_at, community.timezone))
    await ask.say(Out(reply))


# --- /events, /cancelevent ------------------------------------------------------------------


async def _rates(session: AsyncSession, event_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    if not event_ids:
        return {}
    rows = await session.execute(
        select(Prompt.event_id, func.count(Prompt.opened_at),
               func.coalesce(func.sum(case((Prompt.status.in_(matrix.ANSWERED), 1), else_=0)), 0))
        .where(Prompt.event_id.in_(event_ids), Prompt.kind == PromptKind.POST_EVENT,
               Prompt.status.in_(matrix.SENT))
        .group_by(Prompt.event_id))
    return {eid: (int(sent), int(answered)) for eid, sent, answered in rows}


async def do_events(ask: Ask, community: Community, arg: str) -> None:
    now = utcnow()
    zone = community.timezone
    async with ask.db.session() as session:
        upcoming = (await session.scalars(
            select(Event).where(Event.community_id == community.id, Event.starts_at >= now)
            .order_by(Event.starts_at).limit(10))).all()
        recent = (await session.scalars(
            select(Event).where(Event.community_id == community.id, Event.starts_at < now)
            .order_by(Event.starts_at.desc()).limit(5))).all()
        rates = await _rates(session, [e.id for e in recent])
    lines = [texts.EVENTS_TITLE.format(community=_e(community.name))]
    if not upcoming and not recent:
        lines.append(texts.EVENTS_NONE)

    def line(e: Event, template: str) -> str:
        when = _local(e.starts_at, zone)
        if e.cancelled_at is not None:
            return texts.EVENT_LINE_CANCELLED.format(when=when, title=_e(e.title))
        sent, answered = rates.get(e.id, (0, 0))
        rate = f"{answered / sent:.0%}" if sent else texts.RATE_NONE
        return template.format(when=when, title=_e(e.title), sent=sent, answered=answered, rate=rate)

    if upcoming:
        lines += ["", texts.EVENTS_UPCOMING, *(line(e, texts.EVENT_LINE_UPCOMING) for e in upcoming)]
    if recent:
        lines += ["", texts.EVENTS_RECENT, *(line(e, texts.EVENT_LINE_RECENT) for e in recent)]
    await ask.say(Out("\n".join(lines)))


async def do_cancelevent(ask: Ask, community: Community, arg: str) -> None:
    now = utcnow()
    async with ask.db.session() as session:
        upcoming = (await session.scalars(
            select(Event).where(Event.community_id == community.id, Event.starts_at >= now,
                                Event.cancelled_at.is_(None))
            .order_by(Event.starts_at).limit(10))).all()
    if not upcoming:
        await ask.say(Out(texts.CANCEL_NONE))
        return
    rows = tuple(((f"{_local(e.starts_at, community.timezone)}: {e.title}"[:60], token("cx", e.id)),)
                 for e in upcoming)
    await ask.say(Out(texts.CANCEL_PICK, rows))


async def _event_of(session: AsyncSession, ask: Ask, event_id: int) -> tuple[Event, Community] | None:
    event = await session.get(Event, event_id)
    if event is None:
        return None
    community = await convened_one(session, ask.user_id, event.community_id, settings(ask.context))
    return (event, community) if community is not None else None


async def _cancel_pressed(ask: Ask, step: str, event_id: int) -> None:
    now = utcnow()
    async with ask.db.session() as session:
        found = await _event_of(session, ask, event_id)
        if found is None:
            await ask.say(Out(texts.NOT_ALLOWED))
            return
        event, community = found
        when, title = _local(event.starts_at, community.timezone), _e(event.title)
        if event.cancelled_at is not None or event.ends_at <= now:
            reply = Out(texts.EVENT_GONE)
        elif step == "cx":
            reply = Out(texts.CANCEL_CONFIRM.format(title=title, when=when), ((
                (texts.BTN_CANCEL_EVENT, token("cxy", event.id)),
                (texts.BTN_KEEP_EVENT, token("cxn", event.id))),))
        elif step == "cxy":
            event.cancelled_at = now
            for p in (await session.scalars(select(Prompt).where(
                    Prompt.event_id == event.id,
                    Prompt.status.in_((PromptStatus.SCHEDULED, PromptStatus.OPEN))))).all():
                p.status = PromptStatus.CANCELLED
                p.finished_at = now
            reply = Out(texts.EVENT_CANCELLED.format(title=title))
        else:
            reply = Out(texts.EVENT_KEPT.format(title=title))
    await ask.say(reply)


# --- /invite, /checkin ----------------------------------------------------------------------


def qr_png(link: str) -> bytes:
    """A QR code of the link, big enough to scan from the back of a room."""
    import segno

    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=12, border=4)
    return buffer.getvalue()


async def do_invite(ask: Ask, community: Community, arg: str) -> None:
    link = admin.deep_link(ask.context.bot.username, community.invite_code)
    await ask.say(Out(texts.INVITE.format(community=_e(community.name), link=_e(link))))
    await ask.photo(qr_png(link), texts.INVITE_CAPTION.format(community=_e(community.name)))


def checkin_link(bot_username: str, code: str) -> str:
    return admin.deep_link(bot_username, CHECKIN_PREFIX + code)


async def do_checkin(ask: Ask, community: Community, arg: str) -> None:
    now = utcnow()
    async with ask.db.session() as session:
        event = await session.scalar(
            select(Event).where(Event.community_id == community.id, Event.cancelled_at.is_(None),
                                Event.starts_at <= now + CHECKIN_EARLY, Event.ends_at >= now)
            .order_by(Event.starts_at.desc()).limit(1))
        if event is None:
            await ask.say(Out(texts.CHECKIN_NONE))
            return
        if event.checkin_code is None:
            event.checkin_code = secrets.token_urlsafe(9)
        code, title = event.checkin_code, event.title
    link = checkin_link(ask.context.bot.username, code)
    await ask.say(Out(texts.CHECKIN.format(title=_e(title), link=_e(link))))
    await ask.photo(qr_png(link), texts.CHECKIN_CAPTION.format(title=_e(title)))


def is_checkin(code: str | None) -> bool:
    return code is not None and code.startswith(CHECKIN_PREFIX) and len(code) == len(CHECKIN_PREFIX) + 12


async def check_in(db: Database, user_id: int, chat_id: int, code: str,
                   now: dt.datetime | None = None) -> list[Out]:
    """A member opened an event's check-in link: mark them there, and ask them afterwards."""
    now = now or utcnow()
    async with db.session() as session:
        event = await session.scalar(
            select(Event).where(Event.checkin_code == code.removeprefix(CHECKIN_PREFIX)))
        if event is None:
            return [Out(texts.BAD_INVITE)]
        community = await session.get(Community, event.community_id)
        assert community is not None
        if (event.cancelled_at is not None or now < event.starts_at - CHECKIN_EARLY
                or now > event.ends_at + CHECKIN_LATE):
            return [Out(texts.CHECKIN_CLOSED)]
        member = await repo.member_by_telegram_id(session, user_id)
        if member is None or await repo.membership(session, member.id, community.id) is None:
            invite = community.invite_code
            intro = Out(texts.CHECKIN_JOIN_FIRST.format(community=_e(community.name)))
        else:
            member.chat_id = chat_id
            prompt = await repo.prompt_for(session, member.id, event.id, PromptKind.POST_EVENT)
            if prompt is None:
                # The scheduler's own rule, so a check-in never asks during quiet hours.
                due = scheduler.due_for(community, event, PromptKind.POST_EVENT)
                session.add(Prompt(
                    member_id=member.id, community_id=community.id, event_id=event.id,
                    kind=PromptKind.POST_EVENT, story_id=str(uuid.uuid4()),
                    status=PromptStatus.SCHEDULED, question_set=community.question_set,
                    attended=True, due_at=due, closes_at=scheduler.closes_for(community, due),
                ))
            else:
                prompt.attended = True
            return [Out(texts.CHECKED_IN.format(title=_e(event.title)))]
    return [intro, *await conversation.start(db, user_id, chat_id, invite)]


# --- /members, /settings --------------------------------------------------------------------


async def do_members(ask: Ask, community: Community, arg: str) -> None:
    async with ask.db.session() as session:
        joined, consented, paused, unreachable = (await session.execute(
            select(
                func.count(Membership.id),
                func.coalesce(func.sum(case((Consent.version == conversation.CONSENT_VERSION, 1),
                                            else_=0)), 0),
                func.coalesce(func.sum(case((or_(Membership.paused.is_(True),
                                                 Member.paused.is_(True)), 1), else_=0)), 0),
                func.coalesce(func.sum(case((Member.unreachable_at.is_not(None), 1), else_=0)), 0),
            )
            .join(Member, Member.id == Membership.member_id)
            .join(Consent, and_(Consent.id == Membership.consent_id))
            .where(Membership.community_id == community.id))).one()
    await ask.say(Out(texts.MEMBERS_COUNTS.format(
        community=_e(community.name), joined=joined, consented=consented, paused=paused,
        unreachable=unreachable)))


SETTINGS = ("delay", "reminder", "window", "quiet")


async def do_settings(ask: Ask, community: Community, arg: str) -> None:
    words = arg.lower().split()
    async with ask.db.session() as session:
        c = await session.get(Community, community.id)
        assert c is not None
        saved = False
        if len(words) == 2 and words[0] in SETTINGS:
            try:
                community_settings.apply(c, community_settings.Change(**{words[0]: words[1]}))
            except community_settings.SettingError as exc:
                problem = (texts.SETTINGS_REMINDER_TOO_LATE if exc.field == "order"
                           else html.escape(texts.SETTINGS_USAGE))
                await ask.say(Out(problem))
                return
            saved = True
        elif words:
            await ask.say(Out(html.escape(texts.SETTINGS_USAGE)))
            return
        shown = texts.SETTINGS_SHOW.format(
            community=_e(c.name), delay=c.prompt_delay_minutes, reminder=c.reminder_after_hours,
            window=c.window_days, quiet_start=c.quiet_start, quiet_end=c.quiet_end,
            zone=_e(c.timezone), day=texts.WEEKDAYS[c.digest_weekday], time=c.digest_time)
    await ask.say(Out((texts.SETTINGS_SAVED + "\n\n" if saved else "") + shown))


# --- wiring: commands, the community picker, buttons ----------------------------------------


ACTIONS: dict[str, Action] = {
    "matrix": do_matrix,
    "digest": do_digest,
    "newevent": do_newevent,
    "events": do_events,
    "cancelevent": do_cancelevent,
    "invite": do_invite,
    "checkin": do_checkin,
    "members": do_members,
    "settings": do_settings,
}
COMMANDS = tuple(ACTIONS)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any convener command: run it for the one community, or ask which one."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None and message.text is not None
    name = message.text.split()[0].lstrip("/").split("@")[0].lower()
    arg = " ".join(context.args or [])
    ask = Ask(context, message.chat_id, user.id)
    async with database(context).session() as session:
        mine = await convened(session, user.id, settings(context))
    if not mine:
        await ask.say(Out(texts.NOT_ALLOWED))
        return
    if len(mine) == 1:
        await ACTIONS[name](ask, mine[0], arg)
        return
    rows = []
    for c in mine:
        data = token(name, c.id, arg)
        if len(data.encode()) > CALLBACK_LIMIT:
            data = token(name, c.id, "")
        rows.append(((c.name[:60], data),))
    await ask.say(Out(texts.PICK_COMMUNITY, tuple(rows)))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press on one of our convener buttons. The data is parsed and every right re-checked."""
    press = await private_press(update)
    if press is None:
        return
    query, user_id, pressed = press
    ask = Ask(context, pressed.chat_id, user_id)
    parts = (query.data or "").split("|", 3)
    await set_buttons(pressed)
    if len(parts) >= 3 and parts[1] == "draft" and parts[2] in ("create", "cancel"):
        await _finish_draft(ask, parts[2] == "create")
        return
    target = parsing.parse_id(parts[2]) if len(parts) >= 3 else None
    if len(parts) == 3 and parts[1] in ("cx", "cxy", "cxn") and target is not None:
        await _cancel_pressed(ask, parts[1], target)
        return
    if len(parts) == 4 and parts[1] in ACTIONS and target is not None:
        async with database(context).session() as session:
            community = await convened_one(session, user_id, target, settings(context))
        if community is not None:
            await ACTIONS[parts[1]](ask, community, parts[3])
            return
    await ask.say(Out(texts.NOT_ALLOWED))
