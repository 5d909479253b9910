"""Members' rights in Telegram: /mydata and /withdraw (/privacy lives with the members)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.context import database
from bot.send import replying_to_button, replying_to_command, send
from flows import texts
from valuestory.usecases import rights
from valuestory.usecases.out import Out


async def on_mydata(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mydata: everything held about the member, as a text file."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    document = await rights.my_data(database(context), user.id)
    if document is None:
        await send(context, message.chat_id, [Out(texts.MYDATA_NONE)])
        return
    await context.bot.send_document(
        message.chat_id, document.encode("utf-8"), filename="my-valuestory-data.txt",
        caption=texts.MYDATA_READY,
    )


# /withdraw: confirm first, and ask which community when there are several.
on_withdraw = replying_to_command(rights.withdraw_start)
# A button under /withdraw; what it names is checked against what is stored.
on_withdraw_button = replying_to_button(rights.withdraw_press)
