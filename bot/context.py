"""Typed access to what the Application carries: the database and settings, never domain data.

`BotData` is the Application's `bot_data` (wired through PTB's `ContextTypes`), so every handler
and job reads an attribute, checked by mypy, never a string key.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from telegram import CallbackQuery, Message, Update
from telegram.ext import CallbackContext, ContextTypes, ExtBot

from storage.db import Database
from valuestory.process.settings import Settings


@dataclass
class BotData:
    """What the Application carries for its handlers and jobs; set once when it is built."""

    db: Database = field(init=False)
    settings: Settings = field(init=False)
    webhook: bool = False  # updates are posted to our web server; no long poll
    stopping: asyncio.Event | None = None  # set when the process is asked to stop
    # The runtime's own state, each read and typed by the module that keeps it: the speech
    # worker (`bot.speech`) and the scheduler's sender (`bot.scheduling`).
    voice: object = None
    scheduler_sender: object = None
    tick_running: asyncio.Lock = field(default_factory=asyncio.Lock)  # one tick at a time
    tick_started_at: dt.datetime | None = None
    worker: str | None = None  # this process's name on the scheduler's claims
    # Chats still being sent replies owed from before the last stop (`bot.send`), by chat id:
    # their newer replies wait for these.
    owed: dict[int, asyncio.Task[None]] = field(default_factory=dict)


Context: TypeAlias = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)


def database(context: Context) -> Database:
    return context.bot_data.db


def settings(context: Context) -> Settings:
    return context.bot_data.settings


def command_name(message: Message) -> str:
    """'/matrix@our_bot 30d' as 'matrix'."""
    return (message.text or "").split()[0].lstrip("/").split("@")[0].lower()


async def private_press(update: Update) -> tuple[CallbackQuery, int, Message] | None:
    """Acknowledge a button press; its query, presser and message, if it was in a private chat."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    await query.answer()
    pressed = query.message if isinstance(query.message, Message) else None
    if pressed is None or pressed.chat.type != pressed.chat.PRIVATE:
        return None
    return query, user.id, pressed
