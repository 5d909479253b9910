"""Admin commands in Telegram: create communities, grant and revoke roles.

Who is an admin is the use cases' to decide: each is handed the settings' admins and the sender.
"""

from __future__ import annotations

from telegram import Update

from bot.context import Context, database, settings
from bot.send import replying_to_admin_command, send
from valuestory.usecases import communities, roles


async def on_new_community(update: Update, context: Context) -> None:
    """/newcommunity Name: create a community and show its invite link."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    outs = await communities.create_for_admin(
        database(context), user.id, settings(context).admin_telegram_ids,
        " ".join(context.args or []), settings(context).valuestory_timezone, context.bot.username)
    await send(context, message.chat_id, outs)


# /grant <telegram user id> convener|researcher <community name or id>
on_grant = replying_to_admin_command(roles.grant_for_admin)
# /revoke <telegram user id> convener|researcher [community name or id]
on_revoke = replying_to_admin_command(roles.revoke_for_admin)
