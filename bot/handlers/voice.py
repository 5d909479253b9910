"""Voice notes in Telegram: a note (or an audio file) is recorded as an answer, and the buttons
under its transcript.

The handler never waits for a transcription: it records the note and hands it to the speech
worker (`bot.speech`), which sends the transcript when heard.
"""

from __future__ import annotations

import datetime as dt
import warnings

from telegram import Message, Update
from telegram.warnings import PTBDeprecationWarning

from bot.context import Context, database, private_press
from bot.send import send, set_buttons
from bot.speech import notes_of, schedule
from valuestory.usecases import conversation, inbox, voice_notes


def _incoming(message: Message) -> voice_notes.Incoming | None:
    sound = message.voice or message.audio
    if sound is None:
        document = message.document
        if document is None or not (document.mime_type or "").startswith("audio/"):
            return None
        # A file says nothing of its length: decoding refuses one too long.
        return voice_notes.Incoming(file_id=document.file_id, size_bytes=document.file_size,
                                    mime_type=document.mime_type)
    with warnings.catch_warnings():
        # PTB 22.2 announces `duration` becoming a timedelta; either way it is the length.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        length = sound.duration
    seconds = int(length.total_seconds()) if isinstance(length, dt.timedelta) else length
    return voice_notes.Incoming(file_id=sound.file_id, seconds=seconds,
                                size_bytes=sound.file_size, mime_type=sound.mime_type)


async def on_voice(update: Update, context: Context) -> None:
    """A voice note or an audio file in a private chat: recorded now, transcribed in the background."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    notes = notes_of(context.application)
    incoming = _incoming(message)
    if notes.transcriber is None or incoming is None:
        # The same kind word a sticker gets, in the member's language.
        await send(context, message.chat_id, await conversation.unsupported(
            database(context), user.id, "voice", user.language_code))
        return
    received = await voice_notes.receive(
        database(context), user.id, message.chat_id, incoming,
        key=inbox.message_key(message.chat_id, message.message_id), limits=notes.limits,
        telegram_language=user.language_code,
    )
    await send(context, message.chat_id, received.outs)
    if received.note_id is not None:
        schedule(context.application, received.note_id)


async def on_button(update: Update, context: Context) -> None:
    """Keep it / Type it instead, under a transcript."""
    press = await private_press(update)
    if press is None:
        return
    query, user_id, pressed = press
    outs = await voice_notes.press(database(context), user_id, pressed.chat_id, query.data or "",
                                   key=inbox.press_key(query.id),
                                   telegram_language=query.from_user.language_code)
    await set_buttons(pressed)
    await send(context, pressed.chat_id, outs)
