"""Turning the neutral `Out` messages into Telegram messages."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import MessageLimit
from telegram.ext import ContextTypes

from valuestory.conversation import Out


def keyboard(out: Out) -> InlineKeyboardMarkup | None:
    if not out.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=token) for label, token in row]
         for row in out.buttons]
    )


def split_message(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split at paragraph, then line, then word boundaries so each part fits Telegram's limit."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        for sep in ("\n\n", "\n", " "):
            at = window.rfind(sep)
            if at > 0:
                break
        else:
            at = limit
        parts.append(rest[:at].rstrip())
        rest = rest[at:].lstrip()
    if rest:
        parts.append(rest)
    return parts


async def send(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, outs: list[Out],
    pressed: Message | None = None,
) -> None:
    """Send each message; an `edit` message replaces the buttons of the one that was pressed."""
    for out in outs:
        if out.edit and pressed is not None:
            await pressed.edit_reply_markup(reply_markup=keyboard(out))
            continue
        chunks = split_message(out.text)
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            await context.bot.send_message(
                chat_id, chunk, reply_markup=keyboard(out) if last else None
            )
