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

from flows import texts
from flows.questions import PromptKind, QuestionSetError
from storage import repositories as repo
from storage.db import Database, describe_url
from storage.models import Community, Event, SchedulerState
from valuestory import admin, exports, parsing
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
        except (SettingsError, admin.AdminError, QuestionSetError, exports.ExportError) as exc:
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
@click.option("--webhook", is_flag=True,
              help="Take updates by webhook at WEBHOOK_URL instead of long polling.")
@one_line_errors
def run(webhook: bool) -> None:
    """Run the bot (long polling, or --webhook). Creates or upgrades the database first.

    Serves /healthz and /metrics on HEALTH_PORT (polling) or WEBHOOK_PORT (webhook). On SIGTERM
    it stops taking updates, finishes what is in flight, and exits.
    """
    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.service import serve
    from valuestory.logs import setup_logging

    settings = settings_or_stop()
    token = settings.bot_token()
    secrets = (token, settings.webhook_secret_token())
    if webhook:
        settings.webhook_endpoint()  # stop now, with what to fix, if WEBHOOK_URL is missing
    setup_logging(settings.log_level, settings.log_format, secrets=secrets)

    async def prepare() -> Database:
        db = await open_database(settings.database_url)
        await db.dispose()  # the bot's own event loop opens fresh connections
        return db

    asyncio.run(prepare())
    try:
        asyncio.run(serve(settings, webhook))
    except InvalidToken:
        raise Stop("Telegram rejected TELEGRAM_BOT_TOKEN: copy it again from @BotFather") from None
    except NetworkError as exc:
        raise Stop(f"can't reach Telegram's Bot API: {exc}") from None
    except TelegramError as exc:
        raise Stop(f"Telegram refused to start the bot: {exc}") from None
    except OSError as exc:
        raise Stop(f"can't listen for web requests: {exc.strerror or exc}") from None


@main.command()
@click.option("--url", default=None,
              help="Address of /healthz (default: this machine, WEBHOOK_PORT if WEBHOOK_URL is "
                   "set, else HEALTH_PORT).")
@one_line_errors
def health(url: str | None) -> None:
    """Ask the running bot whether it is healthy: exit 0 if so, else 1 with the reason.

    For container health checks; needs no tools beyond Python.
    """
    import urllib.error
    import urllib.request

    if url is None:
        settings = settings_or_stop()
        port = settings.webhook_port if settings.webhook_url else settings.health_port
        url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            click.echo(response.read().decode().strip() or "ok")
    except urllib.error.HTTPError as exc:
        click.echo(exc.read().decode().strip() or f"HTTP {exc.code}", err=True)
        sys.exit(1)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        click.echo(f"the bot does not answer at {url}: {reason}", err=True)
        sys.exit(1)


@main.command("try")
@click.option("--database", "database_url", default=None,
              help="Database to use (default: a throwaway SQLite file).")
@click.option("--question-set", default="default", show_default=True,
              help="A question set name or YAML file to preview.")
@one_line_errors
def try_(database_url: str | None, question_set: str) -> None:
    """Walk through the member conversation in this terminal. No Telegram token needed."""
    from flows.questions import load_question_set
    from valuestory.terminal import Terminal, line_reader

    load_question_set(question_set)

    async def main_() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'try.db'}"
            db = await open_database(url)
            try:
                await Terminal(db, line_reader(), click.echo, question_set).run()
            finally:
                await db.dispose()

    asyncio.run(main_())


# --- communities and roles ------------------------------------------------------------------


@main.group()
def community() -> None:
    """Create, list and configure communities."""


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


@community.command("retention")
@click.argument("community_ref", metavar="COMMUNITY")
@click.argument("months", metavar="MONTHS|keep")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def community_retention(db: Database, settings: Settings, community_ref: str, months: str,
                              as_json: bool) -> None:
    """Keep a community's answers for MONTHS months, then erase them daily ("keep": no limit).

    Conveners are told a week before the first erasure; every erasure is in the audit log.
    """
    from valuestory import retention

    if months.lower() == "keep":
        value: int | None = None
    elif (count := parsing.parse_count(months, 1200)) is not None and count >= 1:
        value = count
    else:
        raise Stop("MONTHS must be a whole number of months (1 or more) or keep")
    async with db.session() as session:
        c = await admin.find_community(session, community_ref)
        await retention.set_months(session, c, value, actor="cli")
    emit(as_json, {"community": c.name, "retention_months": value},
         [f"{c.name} keeps answers for {value} months, then erases them." if value
          else f"{c.name} keeps answers until members withdraw them."])


def schedule_data(c: Community) -> dict[str, Any]:
    quiet = "off" if c.quiet_start == c.quiet_end else f"{c.quiet_start}-{c.quiet_end}"
    return {
        "id": c.id, "name": c.name, "timezone": c.timezone,
        "prompt_delay_minutes": c.prompt_delay_minutes,
        "reminder_after_hours": c.reminder_after_hours, "window_days": c.window_days,
        "quiet_hours": quiet, "digest": f"{parsing.WEEKDAYS[c.digest_weekday]} {c.digest_time}",
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
    from valuestory import community_settings, retention

    async with db.session() as session:
        c = await admin.find_community(session, ref)
        community_settings.apply(c, community_settings.Change(
            delay=delay, reminder=reminder, window=window, quiet=quiet, digest=digest),
            names={name: f"--{name}" for name in ("delay", "reminder", "window", "quiet", "digest")})
        if retention_months is not None:
            value = retention_months.strip().lower()
            months = None if value == "keep" else parsing.parse_count(value, 1200)
            if value != "keep" and not months:
                raise admin.AdminError("--retention-months takes a number of months, or keep")
            # Through retention, so the change is audited and conveners get a fresh notice.
            await retention.set_months(session, c, months, actor="cli")
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
    """Ask one member, or all of the event's community, about an event now.

    The running bot sends the first question within a minute (not in quiet hours, not to paused
    members) and reminds once, as for any prompt.
    """
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
        opened = [await admin.open_prompt(session, m, e, PromptKind(kind), send=True)
                  for m in members]
    created = [o.prompt.id for o in opened if o.created]
    emit(as_json, {"event": event_id, "opened": created,
                   "already_open": [o.prompt.id for o in opened if not o.created]},
         [f"{len(created)} prompt(s) about {e.title} are due now; the running bot sends them."])


# --- the matrix and the digest --------------------------------------------------------------


@main.command("matrix")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--since", "period", default="", help='"30d", "8w" or "2026-09-01" (default: all time).')
@click.option("--png", "png_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the matrix as a PNG picture to this file.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def matrix_show(db: Database, settings: Settings, community_ref: str, period: str,
                      png_path: str | None, as_json: bool) -> None:
    """Print a community's Value Creation Matrix."""
    import dataclasses

    from storage.models import utcnow
    from valuestory import matrix

    now = utcnow()
    async with db.session() as session:
        c = await admin.find_community(session, community_ref)
        try:
            chosen = matrix.parse_period(period, c.timezone, now)
        except matrix.PeriodError:
            raise Stop(f"{period!r} is not a period; try 30d, 8w or 2026-09-01") from None
        built = await matrix.build_matrix(session, c, chosen, now)
    if png_path:
        await asyncio.to_thread(Path(png_path).write_bytes, matrix.render_png(built))
    emit(as_json, dataclasses.asdict(built), [matrix.render_terminal(built)])


@main.group()
def digest() -> None:
    """The conveners' weekly digest."""


@digest.command("send")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def digest_send(db: Database, settings: Settings, community_ref: str, as_json: bool) -> None:
    """Send the weekly digest to the community's conveners now."""
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    from bot.conveners import send_weekly_digest
    from storage.models import utcnow

    async with db.session() as session:
        c = await admin.find_community(session, community_ref)
    token = settings.bot_token()
    try:
        async with Bot(token, base_url=settings.telegram_api_base_url) as bot:
            sent = await send_weekly_digest(bot, db, c.id, utcnow())
    except InvalidToken:
        # Its message quotes the token; say what `run` says instead.
        raise Stop("Telegram rejected TELEGRAM_BOT_TOKEN: copy it again from @BotFather") from None
    except TelegramError as exc:
        # Only the kind of failure: the text of a Telegram error can carry the token or its URL.
        raise Stop(f"can't reach Telegram's Bot API ({type(exc).__name__})") from None
    emit(as_json, {"community": c.name, "sent_to": sent},
         [f"Sent the digest for {c.name} to {sent} convener(s)."])


# --- researchers' exports and the audit log -------------------------------------------------


@main.command("export")
@click.option("--format", "fmt", required=True, type=click.Choice([f.value for f in exports.ExportFormat]),
              help="csv (opens in Excel), xlsx, jsonl, or qdpx (REFI-QDA for QDA software).")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The file to write.")
@click.option("--community", "community_ref", default=None, help="Community name or id (default: all).")
@click.option("--since", default=None, help="Only events on or after this date (YYYY-MM-DD).")
@click.option("--until", default=None, help="Only events on or before this date (YYYY-MM-DD).")
@click.option("--cycle", default=None, help="Only one value cycle, e.g. applied.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def export_cmd(db: Database, settings: Settings, fmt: str, output: Path,
                     community_ref: str | None, since: str | None, until: str | None,
                     cycle: str | None, as_json: bool) -> None:
    """Export pseudonymised narratives.

    One record per narrative, under each member's pseudonym for the community; never a Telegram
    id, name or username. Every export is recorded in the audit log (`valuestory audit`).
    """
    async with db.session() as session:
        c = await admin.find_community(session, community_ref) if community_ref else None
    filt = exports.ExportFilter(
        community_ids=frozenset({c.id}) if c else None,
        since=exports.parse_date(since) if since else None,
        until=exports.parse_date(until) if until else None,
        cycle=exports.parse_cycle(cycle) if cycle else None,
    )
    if filt.since and filt.until and filt.until < filt.since:
        raise exports.ExportError("--until comes before --since")
    fmt_ = exports.ExportFormat(fmt)
    if sys.stderr.isatty() and not as_json:
        total = await exports.count(db, filt)
        with click.progressbar(length=total, label="Exporting", file=sys.stderr) as bar:
            result = await exports.export(db, "command line", fmt_, output, filt, bar.update)
    else:
        result = await exports.export(db, "command line", fmt_, output, filt)
    emit(as_json, {"output": str(output), "format": fmt, "rows": result.rows,
                   "filters": result.filters},
         [f"Wrote {texts.plural(result.rows, 'narrative')} to {output} ({fmt})."])


@main.command("audit")
@click.option("--limit", type=int, default=None, help="Only the newest N entries.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def audit_cmd(db: Database, settings: Settings, limit: int | None, as_json: bool) -> None:
    """List the audit log: exports and withdrawals, newest first. Never the data itself."""
    entries = await exports.audit_entries(db, limit)

    def line(e: dict[str, Any]) -> str:
        flat = dict(e["details"])
        flat.update(flat.pop("filters", None) or {})  # an export's filters read as its own fields
        details = " ".join(f"{k}={'all' if k == 'communities' and v is None else v}"
                           for k, v in flat.items() if v is not None)
        where = f" [{e['community']}]" if e["community"] else ""
        return f"{e['at']}  {e['actor']}  {e['action']}{where}  {details}"

    emit(as_json, {"entries": entries}, [line(e) for e in entries] or ["The audit log is empty."])


@main.group()
def db() -> None:
    """Database housekeeping."""


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@one_line_errors
def db_backup(file: Path, force: bool) -> None:
    """Copy a SQLite database to FILE, consistently, even while the bot runs."""
    import sqlite3

    from sqlalchemy.engine import make_url

    settings = settings_or_stop()
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        raise Stop(
            "the database is PostgreSQL: back it up with pg_dump, for example "
            "pg_dump --format=custom --file valuestory.dump \"$DATABASE_URL\" "
            "(restore with pg_restore --clean --dbname \"$DATABASE_URL\" valuestory.dump)"
        )
    source = Path(url.database or "")
    if not url.database or url.database == ":memory:" or not source.exists():
        raise Stop(f"there is no SQLite database at {source}: check DATABASE_URL")
    if file.exists() and not force:
        raise Stop(f"{file} already exists: choose another name or add --force")
    if file.resolve() == source.resolve():
        raise Stop("the backup must go to another file than the database itself")
    partial = file.with_name(file.name + ".partial")
    try:
        # SQLite's online backup copies one consistent snapshot while the bot keeps writing.
        with sqlite3.connect(source) as src, \
                sqlite3.connect(partial) as dst:
            src.execute("PRAGMA busy_timeout=10000")
            src.backup(dst)
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        src.close()
        dst.close()
        if ok != "ok":
            raise Stop(f"the copy failed its integrity check ({ok}); the database was not changed")
        partial.replace(file)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise Stop(f"can't back up {source}: {exc}") from None
    click.echo(f"Backed up {source} to {file} ({file.stat().st_size} bytes).")


@db.command("upgrade")
@with_database
async def db_upgrade(db: Database, settings: Settings) -> None:
    """Create or upgrade the schema (done automatically by every command)."""
    click.echo(f"Database at {describe_url(db.url)} is up to date.")


if __name__ == "__main__":  # pragma: no cover
    main()
