"""Admin commands in Telegram: create communities and grant roles."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import ContextTypes

from bot.context import database, settings
from bot.send import send
from flows import texts
from valuestory.usecases import admin, parsing
from valuestory.usecases.out import Out


def _is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and user.id in settings(context).admin_telegram_ids


async def on_new_community(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/newcommunity Name: create a community and show its invite link."""
    message = update.effective_message
    assert message is not None
    if not _is_admin(update, context):
        await send(context, message.chat_id, [Out(texts.NOT_ALLOWED)])
        return
    name = " ".join(context.args or [])
    if not name:
        await send(context, message.chat_id, [Out(texts.COMMUNITY_USAGE)])
        return
    try:
        async with database(context).session() as session:
            community = await admin.create_community(
                session, name, settings(context).valuestory_timezone
            )
    except admin.AdminError as exc:
        await send(context, message.chat_id, [Out(html.escape(str(exc).capitalize()) + ".")])
        return
    link = admin.deep_link(context.bot.username, community.invite_code)
    await send(context, message.chat_id, [Out(texts.COMMUNITY_CREATED.format(
        community=html.escape(community.name), link=html.escape(link)))])


async def on_grant(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/grant <telegram user id> convener|researcher <community name or id>."""
    message = update.effective_message
    assert message is not None
    if not _is_admin(update, context):
        await send(context, message.chat_id, [Out(texts.NOT_ALLOWED)])
        return
    args = context.args or []
    user_id = parsing.parse_telegram_id(args[0]) if args else None
    if len(args) < 3 or user_id is None:
        await send(context, message.chat_id, [Out(html.escape(texts.ROLE_USAGE))])
        return
    role, ref = args[1].lower(), " ".join(args[2:])
    try:
        async with database(context).session() as session:
            community = await admin.find_community(session, ref)
            await admin.grant_role(session, user_id, role, community)
    except admin.AdminError as exc:
        await send(context, message.chat_id, [Out(html.escape(str(exc).capitalize()) + ".")])
        return
    await send(context, message.chat_id, [Out(texts.ROLE_GRANTED.format(
        user=user_id, role=role, community=html.escape(community.name)))])
