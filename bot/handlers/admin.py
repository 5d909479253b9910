"""Admin commands in Telegram: create communities, grant and revoke roles."""

from __future__ import annotations

from telegram import Update

from bot.context import Context, database, settings
from bot.send import send
from flows import texts
from valuestory.usecases import access, communities, roles
from valuestory.usecases.out import Out


def _is_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and access.is_admin(user.id, settings(context).admin_telegram_ids)


async def on_new_community(update: Update, context: Context) -> None:
    """/newcommunity Name: create a community and show its invite link."""
    message = update.effective_message
    assert message is not None
    outs = [Out(texts.NOT_ALLOWED)]
    if _is_admin(update, context):
        outs = await communities.create_for_admin(
            database(context), " ".join(context.args or []), settings(context).valuestory_timezone,
            context.bot.username)
    await send(context, message.chat_id, outs)


async def on_grant(update: Update, context: Context) -> None:
    """/grant <telegram user id> convener|researcher <community name or id>."""
    message = update.effective_message
    assert message is not None
    outs = [Out(texts.NOT_ALLOWED)]
    if _is_admin(update, context):
        outs = await roles.grant_for_admin(database(context), list(context.args or []))
    await send(context, message.chat_id, outs)


async def on_revoke(update: Update, context: Context) -> None:
    """/revoke <telegram user id> convener|researcher [community name or id]."""
    message = update.effective_message
    assert message is not None
    outs = [Out(texts.NOT_ALLOWED)]
    if _is_admin(update, context):
        outs = await roles.revoke_for_admin(database(context), list(context.args or []))
    await send(context, message.chat_id, outs)
