"""The `valuestory` command: run the bot, try it in a terminal, and set things up."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from flows.questions import PromptKind, QuestionSetError
from storage import repositories as repo
from storage.db import Database, describe_url
from storage.models import Community, Event, SchedulerState
from valuestory import admin
from valuestory.settings import Settings, SettingsError, load_settings

T = TypeVar("T")


class Stop(click.ClickException):
    """One line on standard error saying what to fix; exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"valuestory: {self.message}", err=True)


def one_line_errors(fn: Callable[..., T]) -> Callable[..., T]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except (SettingsError, admin.AdminError, QuestionSetError) as exc:
            raise Stop(str(exc)) from None
    return wrapper


def settings_or_stop() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise Stop(str(exc)) from None


async def open_database(url: str) -> Database:
    """Connect and bring the schema up to date, or stop with what went wrong."""
    db = Database(url)
    try:
        await asyncio.wait_for(db.ping(), 15)
        await db.upgrade()
    except Exception as exc:  # any failure here means the database can't be used
        await db.dispose()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Stop(f"can't use the database at {describe_url(url)}: {reason}") from None
    return db


def with_database(fn: Callable[..., Awaitable[T]]) -> Callable[..., T]:
    """Run an async command body with an open, up-to-date database."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        settings = settings_or_stop()

        async def main() -> T:
            db = await open_database(settings.database_url)
            try:
                return await fn(db, settings, *args, **kwargs)
            finally:
                await db.dispose()

        return asyncio.run(main())

    return one_line_errors(wrapper)


def emit(as_json: bool, data: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        for line in lines:
            click.echo(line)


async def bot_username(db: Database, settings: Settings) -> str | None:
    """The bot's @username: remembered from its last start, else asked of Telegram."""
    async with db.session() as session:
        known = await session.get(SchedulerState, "bot_username")
        if known and known.value:
            return known.value
    if settings.telegram_bot_token is None:
        return None
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        bot = Bot(settings.bot_token(), base_url=settings.telegram_api_base_url)
        async with bot:
            return bot.username
    except (TelegramError, SettingsError, OSError):
        return None


def invite_link(username: str | None, code: str) -> str:
    return admin.deep_link(username or "<your bot's username>", code)


def community_data(c: Community, link: str) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "timezone": c.timezone, "invite_code": c.invite_code,
            "invite_link": link, "question_set": c.question_set}


@click.group()
@click.version_option(package_name="valuestory")
def main() -> None:
    """valuestory: capture what members get from each Community of Practice event."""


# --- run and try ----------------------------------------------------------------------------


@main.command()
@one_line_errors
def run() -> None:
    """Run the bot (long polling). Creates or upgrades the database first."""
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application
    from valuestory.logs import setup_logging

    settings = settings_or_stop()
    token = settings.bot_token()
    setup_logging(settings.log_level, settings.log_format, secrets=(token,))

    async def prepare() -> Database:
        db = await open_database(settings.database_url)
        await db.dispose()  # the bot's own event loop opens fresh connections
        return db

    db = asyncio.run(prepare())
    application = build_application(settings, db)
    try:
        application.run_polling(allowed_updates=["message", "edited_message", "callback_query"])
    except InvalidToken:
        raise Stop("Telegram rejected TELEGRAM_BOT_TOKEN: copy it again from @BotFather") from None
    except NetworkError as exc:
        raise Stop(f"can't reach Telegram's Bot API: {exc}") from None


@main.command("try")
@click.option("--database", "database_url", default=None,
              help="Database to use (default: a throwaway SQLite file).")
@click.option("--question-set", default="default", show_default=True,
              help="A question set name or YAML file to preview.")
@one_line_errors
def try_(database_url: str | None, question_set: str) -> None:
    """Walk through the member conversation in this terminal. No Telegram token needed."""
    from flows.questions import load_question_set
    from valuestory.terminal import Terminal

    load_question_set(question_set)

    async def main_() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'try.db'}"
            db = await open_database(url)
            try:
                def read(prompt: str) -> str:
                    line = sys.stdin.readline() if not sys.stdin.isatty() else input(prompt)
                    if line == "" and not sys.stdin.isatty():
                        raise EOFError
                    return line

                await Terminal(db, read, click.echo, question_set).run()
            finally:
                await db.dispose()

    asyncio.run(main_())


# --- communities and roles ------------------------------------------------------------------


@main.group()
def community() -> None:
    """Create and list communities."""


@community.command("create")
@click.argument("name")
@click.option("--timezone", default=None, help="IANA zone, e.g. Europe/London.")
@click.option("--question-set", default="default", show_default=True,
              help="A bundled question set name or a YAML file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@with_database
async def community_create(db: Database, settings: Settings, name: str, timezone: str | None,
                           question_set: str, as_json: bool) -> None:
    """Create a community and print its invite code and link."""
    async with db.session() as session:
        c = await admin.create_community(
            session, name, timezone or settings.valuestory_timezone, question_set
        )
    link = invite_link(await bot_username(db, settings), c.invite_code)
    emit(as_json, community_data(c, link), [
        f"Created community {c.id}: {c.name} ({c.timezone})",
        f"Invite code: {c.invite_code}",
        f"Invite link: {link}",
    ])


@community.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def community_list(db: Database, settings: Settings, as_json: bool) -> None:
    """List communities with their invite links."""
    username = await bot_username(db, settings)
    async with db.session() as session:
        found = await repo.communities(session)
    rows = [community_data(c, invite_link(username, c.invite_code)) for c in found]
    emit(as_json, {"communities": rows},
         [f"{r['id']}  {r['name']}  ({r['timezone']})  {r['invite_link']}" for r in rows]
         or ["No communities yet."])


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNITS = {"m": 1, "min": 1, "h": 60, "d": 60 * 24, "w": 60 * 24 * 7}


def parse_duration(text: str, option: str) -> int:
    """'90m', '2h', '7d', '1w' (or a bare number of the option's own unit) in minutes."""
    import re

    found = re.fullmatch(r"\s*(\d+)\s*(min|m|h|d|w)?\s*", text.lower())
    if not found:
        raise admin.AdminError(f"{option} takes a duration like 90m, 2h or 7d, not {text!r}")
    return int(found.group(1)) * UNITS[found.group(2) or "m"]


def parse_clock(text: str, option: str) -> str:
    import re

    found = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise admin.AdminError(f"{option} takes a time like 20:00, not {text!r}")
    return f"{int(found.group(1)):02d}:{found.group(2)}"


def schedule_data(c: Community) -> dict[str, Any]:
    quiet = "off" if c.quiet_start == c.quiet_end else f"{c.quiet_start}-{c.quiet_end}"
    return {
        "id": c.id, "name": c.name, "timezone": c.timezone,
        "prompt_delay_minutes": c.prompt_delay_minutes,
        "reminder_after_hours": c.reminder_after_hours, "window_days": c.window_days,
        "quiet_hours": quiet, "digest": f"{WEEKDAYS[c.digest_weekday]} {c.digest_time}",
        "followup_applied_days": c.followup_applied_days,
        "followup_reframing_days": c.followup_reframing_days,
        "retention_months": c.retention_months,
    }


def _minutes(value: int) -> str:
    if value % (60 * 24) == 0:
        return f"{value // (60 * 24)}d"
    if value % 60 == 0:
        return f"{value // 60}h"
    return f"{value}m"


@community.command("set")
@click.argument("ref", metavar="NAME_OR_ID")
@click.option("--delay", default=None, help="How long after an event ends to ask, e.g. 2h.")
@click.option("--reminder", default=None, help="How long after asking to nudge once, e.g. 48h.")
@click.option("--window", default=None, help="How long a prompt stays open, e.g. 7d.")
@click.option("--quiet", default=None,
              help='Hours never to message, in the community\'s zone: "20:00-08:00", or "off".')
@click.option("--digest", default=None, help='Weekly digest day and time, e.g. "monday 09:00".')
@click.option("--retention-months", default=None,
              help="Months to keep stories before they are erased, or 'keep'.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def community_set(db: Database, settings: Settings, ref: str, delay: str | None,
                        reminder: str | None, window: str | None, quiet: str | None,
                        digest: str | None, retention_months: str | None, as_json: bool) -> None:
    """Change a community's scheduling, digest and retention settings; show them all."""
    async with db.session() as session:
        c = await admin.find_community(session, ref)
        if delay is not None:
            minutes = parse_duration(delay, "--delay")
            if minutes > 60 * 24 * 7:
                raise admin.AdminError("--delay can be at most 7d")
            c.prompt_delay_minutes = minutes
        if reminder is not None:
            minutes = parse_duration(reminder, "--reminder")
            if minutes % 60 or minutes == 0:
                raise admin.AdminError("--reminder takes whole hours, like 48h or 2d")
            c.reminder_after_hours = minutes // 60
        if window is not None:
            minutes = parse_duration(window, "--window")
            if minutes % (60 * 24) or minutes == 0:
                raise admin.AdminError("--window takes whole days, like 7d")
            c.window_days = minutes // (60 * 24)
        if quiet is not None:
            if quiet.strip().lower() in ("off", "none"):
                c.quiet_start = c.quiet_end = "00:00"
            else:
                start, sep, end = quiet.partition("-")
                if not sep:
                    raise admin.AdminError(f'--quiet takes "20:00-08:00" or "off", not {quiet!r}')
                c.quiet_start = parse_clock(start, "--quiet")
                c.quiet_end = parse_clock(end, "--quiet")
        if digest is not None:
            day, _, at = digest.strip().lower().partition(" ")
            match = [i for i, name in enumerate(WEEKDAYS) if name.startswith(day[:3])] if day else []
            if len(day) < 3 or not match:
                raise admin.AdminError(f'--digest takes a day and time like "monday 09:00", '
                                       f"not {digest!r}")
            c.digest_weekday = match[0]
            c.digest_time = parse_clock(at or "09:00", "--digest")
        if retention_months is not None:
            value = retention_months.strip().lower()
            if value == "keep":
                c.retention_months = None
            elif value.isdigit() and int(value) > 0:
                c.retention_months = int(value)
            else:
                raise admin.AdminError("--retention-months takes a number of months, or keep")
        if c.reminder_after_hours >= c.window_days * 24:
            raise admin.AdminError("the reminder must come before the prompt closes (--window)")
        data = schedule_data(c)
    emit(as_json, data, [
        f"{c.name} ({c.timezone}):",
        f"  ask {_minutes(c.prompt_delay_minutes)} after each event ends, "
        f"nudge once after {_minutes(c.reminder_after_hours * 60)}, "
        f"close after {_minutes(c.window_days * 60 * 24)}",
        f"  quiet hours: {data['quiet_hours']}",
        f"  weekly digest: {data['digest']}",
        "  retention: " + (f"{c.retention_months} months" if c.retention_months else "kept"),
    ])


@main.group()
def role() -> None:
    """Grant convener and researcher roles."""


@role.command("grant")
@click.argument("telegram_user_id", type=int)
@click.argument("role_name", metavar="convener|researcher",
                type=click.Choice(["convener", "researcher"]))
@click.option("--community", "community_ref", default=None,
              help="Community name or id (researchers may omit it to cover every community).")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def role_grant(db: Database, settings: Settings, telegram_user_id: int, role_name: str,
                     community_ref: str | None, as_json: bool) -> None:
    """Give a Telegram user a role in a community."""
    async with db.session() as session:
        c = await admin.find_community(session, community_ref) if community_ref else None
        grant = await admin.grant_role(session, telegram_user_id, role_name, c)
    where = c.name if c else "every community"
    emit(as_json, {"id": grant.id, "telegram_user_id": telegram_user_id, "role": role_name,
                   "community": c.name if c else None},
         [f"{telegram_user_id} is now a {role_name} of {where}."])


# --- events and prompts ---------------------------------------------------------------------


def event_data(e: Event, c: Community) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(c.timezone)
    return {"id": e.id, "community": c.name, "title": e.title,
            "starts": e.starts_at.astimezone(zone).isoformat(),
            "ends": e.ends_at.astimezone(zone).isoformat(),
            "cancelled": e.cancelled_at is not None}


@main.group()
def event() -> None:
    """Schedule and list events."""


@event.command("create")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--title", required=True)
@click.option("--starts", required=True, help='"2026-12-03 14:00" in the community\'s zone, '
              "or ISO 8601 with an offset.")
@click.option("--ends", required=True)
@click.option("--json", "as_json", is_flag=True)
@with_database
async def event_create(db: Database, settings: Settings, community_ref: str, title: str,
                       starts: str, ends: str, as_json: bool) -> None:
    """Schedule an event."""
    async with db.session() as session:
        c = await admin.find_community(session, community_ref)
        e = await admin.create_event(session, c, title, starts, ends)
    data = event_data(e, c)
    emit(as_json, data, [f"Created event {e.id}: {e.title}, {data['starts']} to {data['ends']}"])


@event.command("list")
@click.option("--community", "community_ref", default=None)
@click.option("--json", "as_json", is_flag=True)
@with_database
async def event_list(db: Database, settings: Settings, community_ref: str | None,
                     as_json: bool) -> None:
    """List events, oldest first, times in each community's zone."""
    async with db.session() as session:
        c = await admin.find_community(session, community_ref) if community_ref else None
        found = await repo.events(session, c.id if c else None)
        rows = []
        for e in found:
            owner = await session.get(Community, e.community_id)
            assert owner is not None
            rows.append(event_data(e, owner))
    emit(as_json, {"events": rows},
         [f"{r['id']}  {r['starts']}  {r['title']}  [{r['community']}]"
          + ("  (cancelled)" if r["cancelled"] else "") for r in rows] or ["No events yet."])


@main.group()
def prompt() -> None:
    """Open prompts by hand (the scheduler normally does this)."""


@prompt.command("open")
@click.option("--event", "event_id", type=int, required=True)
@click.option("--member", "telegram_user_id", type=int, default=None,
              help="A member's Telegram user id (default: every member of the community).")
@click.option("--kind", type=click.Choice([k.value for k in PromptKind]),
              default=PromptKind.POST_EVENT.value, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@with_database
async def prompt_open(db: Database, settings: Settings, event_id: int,
                      telegram_user_id: int | None, kind: str, as_json: bool) -> None:
    """Open a prompt about an event for one member, or all of its community's members."""
    from sqlalchemy import select

    from storage.models import Member, Membership

    async with db.session() as session:
        e = await session.get(Event, event_id)
        if e is None:
            raise admin.AdminError(f"no event with id {event_id}")
        query = select(Member).join(Membership).where(Membership.community_id == e.community_id)
        if telegram_user_id is not None:
            query = query.where(Member.telegram_user_id == telegram_user_id)
        members = (await session.scalars(query)).all()
        if telegram_user_id is not None and not members:
            raise admin.AdminError("that person is not a member of the event's community")
        opened = [await admin.open_prompt(session, m, e, PromptKind(kind)) for m in members]
    created = [o.prompt.id for o in opened if o.created]
    emit(as_json, {"event": event_id, "opened": created,
                   "already_open": [o.prompt.id for o in opened if not o.created]},
         [f"Opened {len(created)} prompt(s) for {e.title}."])


@main.group()
def db() -> None:
    """Database housekeeping."""


@db.command("upgrade")
@with_database
async def db_upgrade(db: Database, settings: Settings) -> None:
    """Create or upgrade the schema (done automatically by every command)."""
    click.echo(f"Database at {describe_url(db.url)} is up to date.")


if __name__ == "__main__":  # pragma: no cover
    main()
