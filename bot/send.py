"""Turning the neutral `Out` messages into Telegram messages, and getting them there.

A reply Telegram surely did not take (the connection refused, a 5xx, a 429) is tried again until
Telegram answers: the member's words are stored already, so the reply is all they are waiting
for, and their next updates wait behind this one (`bot/ordering.py`), so replies arrive in order
once Telegram is back. A request that may have arrived (no answer after it was written) is never
repeated while the process runs.

A reply to a member's answer is kept in the database with the answer (`inbox.queries.owe`) and forgotten
once Telegram took it, so a process stopped while it waits (Telegram away) sends it after the
restart (`send_owed`): each chat's owed replies in order, before anything newer for that chat. One
whose request was on its way at the stop is sent again then, as a repeat is harmless in a
conversation and a lost reply is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, WebAppInfo
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.context import Context, database, private_press, settings
from storage.availability import unavailable, wait_out
from storage.db import Database
from valuestory.usecases import inbox
from valuestory.usecases.out import WEB_APP, Out

log = logging.getLogger(__name__)

T = TypeVar("T")
# The longest pause between two tries of a reply while Telegram is away.
MAX_PAUSE = 30.0


def not_delivered(exc: NetworkError) -> bool:
    """Whether a network error proves the message did not reach Telegram, so a retry is safe."""
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        return isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout) or "Pool timeout" in str(exc)
    if cause is None:
        return True  # Telegram answered with an error status (5xx): nothing was sent
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


async def delivered(attempt: Callable[[], Awaitable[T]],
                    stopping: asyncio.Event | None = None) -> T:
    """`attempt()`, tried again while Telegram is away and surely has not taken it: refused,
    answering 5xx, or asking us to wait (429). Said once a minute by `bot/ops.py`, not here.
    Once the process is `stopping`, the last failure is raised instead: a stop is not held up."""
    pause = 1.0
    while True:
        last: TelegramError
        try:
            return await attempt()
        except BadRequest:
            raise  # Telegram answered, and refused this message: trying again changes nothing
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            last = exc
        except NetworkError as exc:
            if not not_delivered(exc):
                raise
            seconds, pause, last = pause, min(pause * 2, MAX_PAUSE), exc
        if stopping is None:
            await asyncio.sleep(seconds)
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), seconds)
        if stopping.is_set():
            raise last


def button(label: str, token: str) -> InlineKeyboardButton:
    if token.startswith(WEB_APP):
        return InlineKeyboardButton(label, web_app=WebAppInfo(token.removeprefix(WEB_APP)))
    return InlineKeyboardButton(label, callback_data=token)


def keyboard(out: Out) -> InlineKeyboardMarkup | None:
    if not out.buttons:
        return None
    return InlineKeyboardMarkup([[button(label, token) for label, token in row]
                                 for row in out.buttons])


ATOM = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>|&#?\w+;")


def _track(stack: list[tuple[str, str]], m: re.Match[str]) -> None:
    """Open or close a tag on the stack of tags open so far (entities change nothing)."""
    if not m.group(2):
        return
    name = m.group(2).lower()
    if not m.group(1):
        stack.append((name, m.group(0)))
        return
    for j in range(len(stack) - 1, -1, -1):
        if stack[j][0] == name:
            del stack[j:]
            return


def _cut_points(text: str) -> tuple[list[tuple[int, str, tuple[str, ...]]], list[int]]:
    """Where text may be cut (position, separator, tags open there), and where it never may."""
    points: list[tuple[int, str, tuple[str, ...]]] = []
    inside: list[int] = [0] * (len(text) + 1)  # 1 inside a tag or an entity
    stack: list[tuple[str, str]] = []  # (name, opening tag as written)
    pos = 0
    for m in ATOM.finditer(text):
        for i in range(pos, m.start()):
            if text[i] in "\n ":
                sep = "\n\n" if text.startswith("\n\n", i) else text[i]
                points.append((i, sep, tuple(t for _, t in stack)))
        for i in range(m.start() + 1, m.end()):
            inside[i] = 1
        _track(stack, m)
        pos = m.end()
    for i in range(pos, len(text)):
        if text[i] in "\n ":
            sep = "\n\n" if text.startswith("\n\n", i) else text[i]
            points.append((i, sep, tuple(t for _, t in stack)))
    return points, inside


def _closers(opened: tuple[str, ...]) -> str:
    names = [ATOM.match(t).group(2).lower() for t in opened]  # type: ignore[union-attr]
    return "".join(f"</{n}>" for n in reversed(names))


def _open_at(text: str, end: int) -> tuple[str, ...]:
    stack: list[tuple[str, str]] = []
    for m in ATOM.finditer(text, 0, end):
        _track(stack, m)
    return tuple(t for _, t in stack)


def split_message(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split Telegram HTML to fit the limit: at a paragraph, else a line, else a word, never
    inside a tag or an entity; tags open at a cut are closed and reopened in the next part."""
    if len(text) <= limit:
        return [text]
    points, inside = _cut_points(text)
    parts: list[str] = []
    start, reopen = 0, ""
    while True:
        if len(reopen) + len(text) - start <= limit:
            tail = reopen + text[start:]
            if tail.strip():
                parts.append(tail)
            break
        best: dict[str, tuple[int, tuple[str, ...]]] = {}
        for at, sep, opened in points:
            if at <= start:
                continue
            if len(reopen) + (at - start) + len(_closers(opened)) > limit:
                break
            best[sep] = (at, opened)
        # A paragraph break is best, unless it leaves this part less than half full.
        choice = next((best[sep] for sep in ("\n\n", "\n", " ")
                       if sep in best and best[sep][0] - start >= limit // 2),
                      max(best.values(), default=None))
        if choice is None:
            # One word longer than a message: cut it, but not inside a tag or an entity.
            at = start + max(1, limit - len(reopen) - 64)
            while at > start + 1 and inside[at]:
                at -= 1
            choice = (at, _open_at(text, at))
        at, opened = choice
        parts.append(reopen + text[start:at].rstrip() + _closers(opened))
        start = at
        while start < len(text) and text[start] in "\n ":
            start += 1
        reopen = "".join(opened)
        if start >= len(text):
            break
    return parts


async def set_buttons(message: Message, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace (or, with none, remove) a message's buttons.

    A second tap on the same button asks for a change already made; Telegram refuses that
    ("message is not modified"), and it is no failure of ours.
    """
    try:
        await message.edit_reply_markup(reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def send(
    context: Context, chat_id: int, outs: list[Out],
    pressed: Message | None = None,
) -> None:
    """Send each message; an `edit` message replaces the buttons of the one that was pressed.

    The replies kept for the update being handled are forgotten one by one as Telegram takes
    them; what is still owed from before the last stop goes to this chat first."""
    stopping = context.bot_data.stopping
    before = context.bot_data.owed.get(chat_id)
    if before is not None:
        with contextlib.suppress(Exception):  # its own failure is its own: it said so
            await asyncio.shield(before)
    db = database(context)
    owing = inbox.owed_now()
    update_id, owed = owing if owing is not None else (0, [])
    try:
        for out in outs:
            if out.edit and pressed is not None:
                await delivered(partial(set_buttons, pressed, keyboard(out)), stopping)
                continue
            await send_one(context.bot, chat_id, out, stopping)
            if owed and owed[0][1] == out:
                await _paid(db, update_id, owed.pop(0)[0])
    except Exception:
        if not (stopping is not None and stopping.is_set()):
            # Telegram refused it, or may have it: not sent again, now or after a restart.
            for seq, _ in owed:
                await _paid(db, update_id, seq)
        # Stopping: what is still owed stays owed, and goes after the restart, in order.
        raise


async def send_one(bot: Bot, chat_id: int, out: Out, stopping: asyncio.Event | None) -> None:
    """One message (a file, or text cut to Telegram's length), tried until Telegram takes it."""
    if out.photo is not None or out.document is not None:
        await delivered(partial(send_file, bot, chat_id, out), stopping)
        return
    chunks = split_message(out.text)
    for i, chunk in enumerate(chunks):
        markup = keyboard(out) if i == len(chunks) - 1 else None
        await delivered(partial(bot.send_message, chat_id, chunk, reply_markup=markup), stopping)


async def _paid(db: Database, update_id: int, seq: int) -> None:
    """Forget an owed reply; while the database is away, once it is back (never sent twice)."""
    while True:
        try:
            await inbox.paid(db, update_id, seq)
            return
        except Exception as exc:
            if not unavailable(exc):
                raise
            await wait_out(db, exc)


async def send_owed(bot: Bot, db: Database, owed: list[inbox.Owed],
                    stopping: asyncio.Event | None) -> None:
    """Send one chat's replies owed from before the last stop, in order, each forgotten once
    Telegram took it (or refused it for good: a blocked bot, a chat gone)."""
    for reply in owed:
        try:
            await send_one(bot, reply.chat_id, reply.out, stopping)
        except TelegramError as exc:
            if stopping is not None and stopping.is_set():
                return  # still owed: sent after the next start
            log.warning("a reply owed from before the last stop was not taken (%s); "
                        "it is not tried again", type(exc).__name__)
        await _paid(db, reply.update_id, reply.seq)


async def start_sending_owed(bot: Bot, db: Database, owed_by_chat: dict[int, asyncio.Task[None]],
                             stopping: asyncio.Event | None) -> int:
    """Send, in the background, every reply owed from before the last stop: one task per chat,
    which that chat's newer replies wait for (`send`). Returns how many are owed."""
    owed = await inbox.owed(db)
    chats: dict[int, list[inbox.Owed]] = {}
    for reply in owed:
        chats.setdefault(reply.chat_id, []).append(reply)
    for chat_id, replies in chats.items():
        task = asyncio.create_task(send_owed(bot, db, replies, stopping),
                                   name=f"owed-replies-{chat_id}")

        def done(task: asyncio.Task[None], chat_id: int = chat_id) -> None:
            owed_by_chat.pop(chat_id, None)
            if not task.cancelled() and task.exception() is not None:
                log.warning("replies owed from before the last stop could not all be sent (%s); "
                            "they are tried again at the next start",
                            type(task.exception()).__name__)

        task.add_done_callback(done)
        owed_by_chat[chat_id] = task
    if owed:
        log.info("%d replies owed from before the last stop, to %d chats: sent first",
                 len(owed), len(chats))
    return len(owed)


async def send_file(bot: Bot, chat_id: int, out: Out) -> Message:
    """A photo or a document, with the text as its caption (explicit HTML: a plain Bot, as the
    command line's, has no defaults)."""
    caption = out.text or None
    if out.photo is not None:
        return await bot.send_photo(chat_id, out.photo, caption=caption, parse_mode=ParseMode.HTML,
                                    reply_markup=keyboard(out))
    assert out.document is not None
    name, content = out.document
    if isinstance(content, Path):
        with content.open("rb") as handle:
            return await bot.send_document(chat_id, handle, filename=name, caption=caption,
                                           parse_mode=ParseMode.HTML)
    return await bot.send_document(chat_id, content, filename=name, caption=caption,
                                   parse_mode=ParseMode.HTML)


Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


class CommandService(Protocol):
    """A use case answering a command: the person, and the language their Telegram app uses."""

    def __call__(self, db: Database, user_id: int, /, *,
                 telegram_language: str | None = None) -> Awaitable[list[Out]]: ...


class AdminCommandService(Protocol):
    """A use case answering an admin's command: the sender, the settings' admins (the use case
    decides who is one), and the words typed after the command."""

    def __call__(self, db: Database, user_id: int, admins: frozenset[int],
                 args: list[str], /) -> Awaitable[list[Out]]: ...


class ButtonService(Protocol):
    """A use case answering a button: the person, its data, and their Telegram app's language."""

    def __call__(self, db: Database, user_id: int, data: str, /, *,
                 telegram_language: str | None = None) -> Awaitable[list[Out]]: ...


def replying_to_command(service: CommandService) -> Handler:
    """A command handler that asks `service` what to say to the person who sent the command."""

    async def handler(update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        await send(context, message.chat_id, await service(
            database(context), user.id, telegram_language=user.language_code))

    return handler


def replying_to_admin_command(service: AdminCommandService) -> Handler:
    """`replying_to_command` for an admin's command: `service` is handed the sender, the admins
    and the words after the command."""

    async def handler(update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        await send(context, message.chat_id, await service(
            database(context), user.id, settings(context).admin_telegram_ids,
            list(context.args or [])))

    return handler


def replying_to_button(service: ButtonService) -> Handler:
    """A button handler: `service` checks the data (never trusted); the buttons go, replies follow."""

    async def handler(update: Update, context: Context) -> None:
        press = await private_press(update)
        if press is None:
            return
        query, user_id, pressed = press
        outs = await service(database(context), user_id, query.data or "",
                             telegram_language=query.from_user.language_code)
        await delivered(partial(set_buttons, pressed), context.bot_data.stopping)
        await send(context, pressed.chat_id, outs)

    return handler
