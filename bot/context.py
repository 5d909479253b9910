"""Typed access to what the Application carries: the database and settings, never domain data."""

from __future__ import annotations

from typing import cast

from telegram import CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from storage.db import Database
from valuestory.process.settings import Settings


def database(context: ContextTypes.DEFAULT_TYPE) -> Database:
    return cast(Database, context.bot_data["db"])


def settings(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    return cast(Settings, context.bot_data["settings"])


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
