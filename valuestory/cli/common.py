"""What every command shares: one-line errors with exit status 2, settings, an open database, output."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

import click

from flows.questions import QuestionSetError
from storage.db import Database, describe_url
from storage.models import Community, SchedulerState
from valuestory.process.settings import Settings, SettingsError, load_settings
from valuestory.usecases import communities, errors, exports

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
        except (SettingsError, errors.AdminError, QuestionSetError, exports.ExportError) as exc:
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
    return communities.deep_link(username or "<your bot's username>", code)


def community_data(c: Community, link: str) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "timezone": c.timezone, "invite_code": c.invite_code,
            "invite_link": link, "question_set": c.question_set, "language": c.language}
