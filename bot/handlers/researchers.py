"""/export for researchers and admins in Telegram: the use case writes the file, we send it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from telegram import Update

from bot.context import Context, database, private_press, settings
from bot.send import send, set_buttons
from valuestory.usecases import exports
from valuestory.usecases.out import Out


async def on_export(update: Update, context: Context) -> None:
    """/export [format] [community=..] [since=..] [until=..] [cycle=..]."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None

    async def say(outs: list[Out]) -> None:
        await send(context, message.chat_id, outs)

    with tempfile.TemporaryDirectory() as folder:
        await say(await exports.for_chat(
            database(context), user.id, settings(context).admin_telegram_ids,
            (message.text or "").partition(" ")[2], Path(folder), say))


async def on_export_button(update: Update, context: Context) -> None:
    """A format button under /export."""
    press = await private_press(update)
    if press is None:
        return
    query, user_id, pressed = press

    async def say(outs: list[Out]) -> None:
        await send(context, pressed.chat_id, outs)

    await set_buttons(pressed)
    with tempfile.TemporaryDirectory() as folder:
        await say(await exports.format_pressed(
            database(context), user_id, settings(context).admin_telegram_ids, query.data or "",
            Path(folder), say))
