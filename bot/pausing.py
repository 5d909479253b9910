"""/pause and /resume in Telegram, with buttons to pick a community when there are several."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.context import database, private_press
from bot.send import send, set_buttons
from valuestory import pausing


async def on_pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    await send(context, message.chat_id, await pausing.pause(database(context), user.id))


async def on_resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    await send(context, message.chat_id, await pausing.resume(database(context), user.id))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A community picked under /pause or /resume."""
    press = await private_press(update)
    if press is None:
        return
    query, user_id, pressed = press
    outs = await pausing.press(database(context), user_id, query.data or "")
    await set_buttons(pressed)
    await send(context, pressed.chat_id, outs)
