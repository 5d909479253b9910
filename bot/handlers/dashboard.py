"""/dashboard in Telegram: a one-time sign-in link (and, over https, a Mini App button)."""

from __future__ import annotations

from telegram import Update

from bot.context import Context, database, settings
from bot.send import send
from valuestory.usecases import signin


async def on_dashboard(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    config = settings(context)
    base = config.public_base(context.bot_data.webhook)
    await send(context, message.chat_id, await signin.dashboard(
        database(context), user.id, config.admin_telegram_ids, base))
