"""The member conversation: joining, answering, and kind replies to what we can't take."""

from __future__ import annotations

import html

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.context import database, private_press
from bot.send import replying_to_command, send, set_buttons
from flows import engine, texts
from valuestory.usecases import conversation, events
from valuestory.usecases.out import Out

COMMAND_ACTIONS = engine.COMMANDS


def _message_key(message: Message) -> str:
    return f"m|{message.chat_id}|{message.message_id}"


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, with the invite code from a deep link if there is one."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    code = context.args[0] if context.args else None
    if events.is_checkin(code):
        assert code is not None
        outs = await events.check_in(database(context), user.id, message.chat_id, code)
    else:
        outs = await conversation.start(database(context), user.id, message.chat_id, code)
    await send(context, message.chat_id, outs)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A typed message: part of an answer, if a question is open."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None and message.text is not None
    outs = await conversation.act(
        database(context), user.id, message.chat_id, engine.Text(message.text),
        key=_message_key(message),
    )
    await send(context, message.chat_id, outs)


async def on_flow_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/next, /skip, /back, /later, /continue, /stop."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None and message.text is not None
    name = message.text.split()[0].lstrip("/").split("@")[0].lower()
    outs = await conversation.act(
        database(context), user.id, message.chat_id, COMMAND_ACTIONS[name],
        key=_message_key(message),
    )
    await send(context, message.chat_id, outs)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button under one of our messages. Its data is checked, never trusted."""
    press = await private_press(update)
    if press is None:
        return
    query, user_id, pressed = press
    outs = await conversation.press(
        database(context), user_id, pressed.chat_id, query.data or "", key=f"c|{query.id}"
    )
    if outs and not any(o.edit for o in outs):
        # The conversation moved on: take the buttons off the message that was pressed.
        await set_buttons(pressed)
    await send(context, pressed.chat_id, outs, pressed=pressed)


# /help: how it works, and where the member is now.
on_help = replying_to_command(conversation.help_text)


async def on_privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await send(context, message.chat_id, [Out(texts.PRIVACY)])


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await send(context, message.chat_id, [Out(texts.UNKNOWN_COMMAND)])


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await send(context, message.chat_id, [Out(texts.EDITED)])


async def on_unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice notes, files, locations: a kind word, nothing stored."""
    message = update.effective_message
    assert message is not None
    kind = next(
        (k for k in ("voice", "video_note", "sticker", "photo", "document", "location")
         if getattr(message, k, None)),
        "other",
    )
    await send(context, message.chat_id, [Out(texts.NOT_SUPPORTED[kind])])


async def on_group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stories are private: point people in a group to a private chat, and store nothing."""
    message = update.effective_message
    assert message is not None
    link = html.escape(f"https://t.me/{context.bot.username}")
    await message.reply_text(texts.GROUP_CHAT.format(link=link))
