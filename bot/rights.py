"""Members' rights in Telegram: /mydata and /withdraw (/privacy lives with the members)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.context import database, private_press
from bot.send import send, set_buttons
from flows import texts
from valuestory import rights
from valuestory.conversation import Out


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


async def on_withdraw(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/withdraw: confirm first, and ask which community when there are several."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    await send(context, message.chat_id, await rights.withdraw_start(database(context), user.id))


async def on_withdraw_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button under /withdraw; what it names is checked against what is stored."""
    press = await private_press(update)
    if press is None:
        return
    query, user_id, pressed = press
    outs = await rights.withdraw_press(database(context), user_id, query.data or "")
    await set_buttons(pressed)
    await send(context, pressed.chat_id, outs)
