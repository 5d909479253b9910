"""The members' check in Telegram: the buttons under each statement, and a sentence about one."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import Context, database, private_press
from bot.send import send, set_buttons
from valuestory.usecases import checking, inbox


async def on_button(update: Update, context: Context) -> None:
    """Rings true, Not for me, Skip or Next under a statement; the use case re-checks it all."""
    press = await private_press(update)
    if press is None:
        return
    query, user_id, pressed = press
    outs = await checking.press(database(context), user_id, query.data or "",
                                key=inbox.press_key(query.id),
                                telegram_language=query.from_user.language_code)
    if outs:
        await set_buttons(pressed)  # answered: its buttons go
    await send(context, pressed.chat_id, outs)


async def on_text(update: Update, context: Context) -> None:
    """A typed message from a member whose check waits for a sentence; others pass through."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    outs = await checking.sentence(database(context), user.id, message.text,
                                   key=inbox.message_key(message.chat_id, message.message_id))
    if outs is None:
        return  # no check waits for a sentence: the conversation takes it
    await send(context, message.chat_id, outs)
    raise ApplicationHandlerStop
