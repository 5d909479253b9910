"""Convener commands in Telegram: each reads the update and asks `usecases.convening`."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import Context, command_name, database, private_press, settings
from bot.send import send, set_buttons
from valuestory.usecases import convening
from valuestory.usecases.events import drafts

COMMANDS = convening.COMMANDS


def _convener(context: Context, user_id: int) -> convening.Convener:
    config = settings(context)
    email_base = config.public_base(context.bot_data.webhook) if config.smtp_url else None
    return convening.Convener(user_id, config.admin_telegram_ids, context.bot.username,
                              email_base)


async def on_command(update: Update, context: Context) -> None:
    """Any convener command: run it for the one community, or ask which one."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    outs = await convening.command(database(context), _convener(context, user.id),
                                   command_name(message), " ".join(context.args or []))
    await send(context, message.chat_id, outs)


async def on_button(update: Update, context: Context) -> None:
    """A press on one of our convener buttons; the use case re-checks every right."""
    press = await private_press(update)
    if press is None:
        return
    query, user_id, pressed = press
    await set_buttons(pressed)
    outs = await convening.press(database(context), _convener(context, user_id), query.data or "")
    await send(context, pressed.chat_id, outs)


async def on_draft_text(update: Update, context: Context) -> None:
    """A typed message from a convener in the middle of /newevent; others pass through."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    outs = await drafts.draft_text(database(context), user.id, message.text,
                                   settings(context).admin_telegram_ids)
    if outs is None:
        return  # not a draft's: the member conversation takes it
    await send(context, message.chat_id, outs)
    raise ApplicationHandlerStop


async def on_any_command(update: Update, context: Context) -> None:
    """Any command ends an unfinished /newevent, so the draft never takes later typed text."""
    if update.effective_user is not None:
        await drafts.drop_draft(database(context), update.effective_user.id)
