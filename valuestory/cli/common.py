"""What every command shares: one-line errors with exit status 2, settings, an open database, output."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from flows.questions import QuestionSetError
from storage.db import Database, describe_url
from valuestory.process.settings import Settings, SettingsError, load_settings
from valuestory.usecases import communities, errors, exports

T = TypeVar("T")

# Who did it, in the audit log, for everything done on the command line.
ACTOR = "command line"


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


def check_target(path: Path, force: bool) -> None:
    """Stop, naming `path`, unless a file can be written there: its folder exists and is writable,
    and the file is new or `force` allows replacing it (export and backup agree on this)."""
    folder = path.parent
    if path.is_dir():
        raise Stop(f"{path} is a folder: give the name of a file to write")
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        raise Stop(f"can't write {path}: the folder {folder} {what}")
    if path.exists():
        if not force:
            raise Stop(f"{path} already exists: choose another name or add --force")
        if not os.access(path, os.W_OK):
            raise Stop(f"can't write {path}: the file is not writable")
    elif not os.access(folder, os.W_OK):
        raise Stop(f"can't write {path}: the folder {folder} is not writable")


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
    """The bot's @username: asked of Telegram when a token is set, else as its last start saw it.

    What Telegram says is remembered, so links stay complete without a token or a network; asking
    first means a new token (another bot) never leaves links pointing at the old one.
    """
    token = settings.telegram_bot_token
    if token is not None and token.get_secret_value():
        from telegram import Bot
        from telegram.error import TelegramError

        try:
            async with Bot(settings.bot_token(), base_url=settings.telegram_api_base_url) as bot:
                username = bot.username
        except (TelegramError, SettingsError, OSError):
            pass  # not reachable now, or not a token: what the bot last saw is the best we have
        else:
            await communities.remember_bot_username(db, username)
            return username
    return await communities.known_bot_username(db)


def invite_link(username: str | None, code: str) -> str:
    return communities.deep_link(username or "<your bot's username>", code)


def community_data(c: communities.Summary, link: str) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "timezone": c.timezone, "invite_code": c.invite_code,
            "invite_link": link, "question_set": c.question_set, "language": c.language}
