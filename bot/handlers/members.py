"""The member conversation: joining, answering, and kind replies to what we can't take.

Each handler hands the use case the language the person's Telegram app uses; the use case
decides what to speak (the member's own, once they have one).
"""

from __future__ import annotations

import html

from telegram import Message, Update

from bot.context import Context, database, private_press, settings
from bot.send import Handler, replying_to_button, replying_to_command, send, set_buttons
from flows import engine
from valuestory.usecases import conversation, inbox, languages, speaking, staff
from valuestory.usecases.events import checkin

COMMAND_ACTIONS = engine.COMMANDS


def _message_key(message: Message) -> str:
    return inbox.message_key(message.chat_id, message.message_id)


async def on_start(update: Update, context: Context) -> None:
    """/start, with the invite code from a deep link if there is one."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    code = context.args[0] if context.args else None
    if checkin.is_checkin(code):
        assert code is not None
        outs = await checkin.check_in(database(context), user.id, message.chat_id, code,
                                      telegram_language=user.language_code)
    else:
        outs = await staff.start(database(context), user.id, message.chat_id, code,
                                 settings(context).admin_telegram_ids,
                                 telegram_language=user.language_code)
    await send(context, message.chat_id, outs)


async def on_text(update: Update, context: Context) -> None:
    """A typed message: part of an answer, if a question is open."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None and message.text is not None
    outs = await conversation.act(
        database(context), user.id, message.chat_id, engine.Text(message.text),
        key=_message_key(message), telegram_language=user.language_code,
    )
    await send(context, message.chat_id, outs)


async def on_flow_command(update: Update, context: Context) -> None:
    """/next, /skip, /back, /later, /continue, /stop."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None and message.text is not None
    name = message.text.split()[0].lstrip("/").split("@")[0].lower()
    outs = await conversation.act(
        database(context), user.id, message.chat_id, COMMAND_ACTIONS[name],
        key=_message_key(message), telegram_language=user.language_code,
    )
    await send(context, message.chat_id, outs)


async def on_button(update: Update, context: Context) -> None:
    """A button under one of our messages. Its data is checked, never trusted."""
    press = await private_press(update)
    if press is None:
        return
    query, user_id, pressed = press
    outs = await conversation.press(
        database(context), user_id, pressed.chat_id, query.data or "", key=inbox.press_key(query.id),
        telegram_language=query.from_user.language_code,
    )
    if outs and not any(o.edit for o in outs):
        # The conversation moved on: take the buttons off the message that was pressed.
        await set_buttons(pressed)
    await send(context, pressed.chat_id, outs, pressed=pressed)


async def on_help(update: Update, context: Context) -> None:
    """/help: how it works and where the member is now; for staff, their role's commands."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    await send(context, message.chat_id, await staff.help_text(
        database(context), user.id, settings(context).admin_telegram_ids,
        telegram_language=user.language_code))


# /language: the languages the bot speaks, and a tap on one of them.
on_language = replying_to_command(languages.choose)
on_language_button = replying_to_button(languages.press)


def _replying_with(name: str) -> Handler:
    """A handler that answers with one fixed text, in the person's language."""

    async def handler(update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        await send(context, message.chat_id, await speaking.reply(
            database(context), user.id, name, user.language_code))

    return handler


on_privacy = _replying_with("PRIVACY")
on_unknown_command = _replying_with("UNKNOWN_COMMAND")
on_edited = _replying_with("EDITED")


async def on_unsupported(update: Update, context: Context) -> None:
    """Stickers, photos, voice notes, files, locations: a kind word, nothing stored."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    kind = next(
        (k for k in ("voice", "video_note", "sticker", "photo", "document", "location")
         if getattr(message, k, None)),
        "other",
    )
    await send(context, message.chat_id, await conversation.unsupported(
        database(context), user.id, kind, user.language_code))


async def on_group_message(update: Update, context: Context) -> None:
    """Stories are private: point people in a group to a private chat, and store nothing."""
    message = update.effective_message
    assert message is not None
    user = update.effective_user
    link = html.escape(f"https://t.me/{context.bot.username}")
    language = (await speaking.language_for(database(context), user.id, user.language_code)
                if user else None)
    await message.reply_text(speaking.say(language).GROUP_CHAT.format(link=link))
