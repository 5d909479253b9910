"""/link in Telegram: a member's own page, to answer in a browser too."""

from __future__ import annotations

from telegram import Update

from bot.context import Context, database, settings
from bot.send import send
from valuestory.usecases import web_answers


async def on_link(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    base = settings(context).public_base(context.bot_data.webhook)
    await send(context, message.chat_id, await web_answers.for_telegram(
        database(context), user.id, base, telegram_language=user.language_code))
