"""The Application's speech worker: voice notes heard off the loop, and what was heard sent back.

Invariant: no handler waits for a transcription. The voice handler (`bot.handlers.voice`) only
records the note (a use case, committed), says "Listening…", and hands the note to `schedule`,
which leaves the rest to a task of the Application; the words are found in the transcriber's
worker process, never on the event loop. Other members' answers are handled meanwhile, as fast
as ever.

The Application owns the one `Transcriber` (started on start, closed on shutdown) and hands the
use cases two plain callables: fetch a file, hear its words. A sweep, at once on start and then
every few seconds, takes up notes nobody holds a live claim on, such as those a killed process
left, so each note is transcribed and its transcript sent once.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field

from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from bot.context import Context, database
from bot.send import keyboard, split_message
from storage.availability import outage, unavailable
from storage.db import Database
from valuestory import voice
from valuestory.process.settings import Settings, SettingsError
from valuestory.usecases import voice_notes

log = logging.getLogger(__name__)

SWEEP_JOB = "voice-sweep"
SWEEP_EVERY_SECONDS = 10.0
CLOSE_GRACE_SECONDS = 5.0


def engine_for(settings: Settings) -> voice.Engine | None:
    """The configured speech engine; None when voice notes are off or none is installed.

    A whisper engine that was asked for but can't be used is a setting to fix: SettingsError.
    """
    if settings.voice_engine == "off":
        return None
    try:
        return voice.engine_from_settings(settings.voice_engine, settings.voice_model_dir)
    except voice.EngineMissing as exc:
        if settings.voice_engine == "whisper":
            raise SettingsError(str(exc)) from None
        log.warning("voice notes get a kind reply, not a transcript: %s", exc)
        return None


class Interrupted(Exception):
    """The process is stopping: the note stays received, and its claim lapses for another to take."""


@dataclass
class VoiceNotes:
    """The Application's voice-note machinery: its transcriber and what it is working on."""

    transcriber: voice.Transcriber | None
    worker: str = field(default_factory=lambda: (
        f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"))
    working: set[int] = field(default_factory=set)
    # Set when the process stops: a note cut short is left, received, for the next process.
    closing: bool = False

    @property
    def limits(self) -> voice_notes.Limits:
        assert self.transcriber is not None
        found = self.transcriber.limits
        return voice_notes.Limits(max_seconds=found.max_seconds, max_bytes=found.max_bytes)

    async def hear(self, audio: bytes, language: str) -> str:
        """The words in a note, with the engine's reasons for none turned into the use case's."""
        assert self.transcriber is not None
        try:
            return (await self.transcriber.transcribe(audio, language)).text
        except (voice.TranscriptionFailed, RuntimeError) as exc:
            if self.closing:
                raise Interrupted from None
            if isinstance(exc, RuntimeError):
                raise
            raise voice_notes.NoteRefused(voice_notes.Refusal.FAILED, str(exc)) from None
        except voice.TooLong as exc:
            raise voice_notes.NoteRefused(voice_notes.Refusal.TOO_LONG, str(exc)) from None
        except voice.TooLarge as exc:
            raise voice_notes.NoteRefused(voice_notes.Refusal.TOO_LARGE, str(exc)) from None
        except voice.Undecodable as exc:
            raise voice_notes.NoteRefused(voice_notes.Refusal.UNDECODABLE, str(exc)) from None
        except voice.VoiceError as exc:
            raise voice_notes.NoteRefused(voice_notes.Refusal.FAILED, str(exc)) from None


def install(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Give the Application its transcriber (none when voice notes are off) and the sweep."""
    engine = engine_for(settings)
    application.bot_data.voice = VoiceNotes(voice.Transcriber(engine) if engine else None)
    if engine is not None and application.job_queue is not None:
        application.job_queue.run_repeating(
            on_sweep, interval=SWEEP_EVERY_SECONDS, first=0, name=SWEEP_JOB,
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )


def notes_of(application: Application) -> VoiceNotes:  # type: ignore[type-arg]
    found = application.bot_data.voice
    return found if isinstance(found, VoiceNotes) else VoiceNotes(None)


async def start(application: Application) -> None:  # type: ignore[type-arg]
    """Load the speech model before the first note, so it is not slow and a bad one shows now."""
    transcriber = notes_of(application).transcriber
    if transcriber is not None:
        await transcriber.start()


async def close(application: Application, grace: float = CLOSE_GRACE_SECONDS) -> None:  # type: ignore[type-arg]
    """Stop the worker after `grace` seconds at most; a note cut short stays received, and the next
    process (or another replica, once the claim lapses) hears it."""
    notes = notes_of(application)
    notes.closing = True
    if notes.transcriber is not None:
        await notes.transcriber.aclose(grace=grace)


def schedule(application: Application, note_id: int) -> None:  # type: ignore[type-arg]
    """Transcribe a note in a task of the Application (awaited when it stops), once per process."""
    notes = notes_of(application)
    if notes.transcriber is None or notes.closing or note_id in notes.working:
        return
    notes.working.add(note_id)
    application.create_task(_transcribe(application, note_id), name=f"voice-note-{note_id}")


async def _transcribe(application: Application, note_id: int) -> None:  # type: ignore[type-arg]
    notes = notes_of(application)
    db: Database = application.bot_data.db
    bot = application.bot

    async def fetch(file_id: str) -> bytes:
        try:
            found = await bot.get_file(file_id)
            return bytes(await found.download_as_bytearray())
        except BadRequest as exc:
            # Telegram says so when a file is over what bots may download, or not a file at all.
            refusal = (voice_notes.Refusal.TOO_LARGE if "too big" in str(exc).lower()
                       else voice_notes.Refusal.UNDECODABLE)
            raise voice_notes.NoteRefused(refusal, str(exc)) from None

    try:
        heard = await voice_notes.transcribe(db, note_id, notes.worker, fetch, notes.hear,
                                             limits=notes.limits)
        if heard is not None:
            await _say(application, heard)
    except Interrupted:
        log.info("voice note %s left for the next process: this one is stopping", note_id)
    except Exception as exc:  # the note stays received; the sweep tries again once the claim lapses
        if unavailable(exc):
            outage(db).report(exc)
        else:
            log.exception("voice note %s: transcription failed", note_id)
    finally:
        notes.working.discard(note_id)


async def _say(application: Application, heard: voice_notes.Heard) -> None:  # type: ignore[type-arg]
    for out in heard.outs:
        chunks = split_message(out.text)
        for i, chunk in enumerate(chunks):
            try:
                await application.bot.send_message(
                    heard.chat_id, chunk, reply_markup=keyboard(out) if i == len(chunks) - 1 else None)
            except TelegramError as exc:
                # Recorded as sent before sending: not sent twice; the member can send it again.
                log.warning("could not send a voice note's transcript: %s", type(exc).__name__)
                return


async def on_sweep(context: Context) -> None:
    """Take up notes nobody is transcribing: on start, those a stopped process left."""
    try:
        for note_id in await voice_notes.waiting(database(context)):
            schedule(context.application, note_id)
    except Exception as exc:  # the next sweep looks again
        if unavailable(exc):
            outage(database(context)).report(exc)  # its watcher says so, once a minute
        else:
            log.exception("voice note sweep failed")
