"""Answering by voice: a voice note becomes (part of) a narrative once the member keeps its transcript.

Invariant: a voice note is recorded, and committed, the moment it arrives, before anything is
fetched or said. From then on it moves through one state machine, each step a committed,
conditional update, so any process may carry it on and none repeats another's step:

    received ─claim (a lease)─▶ received, claimed ─heard─▶ transcribed ─Keep it──────▶ kept
                                      │                        ├─Type it instead──▶ discarded
                                      │                        └─a newer note heard─▶ replaced
                                      ├─no words heard─▶ discarded
                                      └─not audio, or the engine failed─▶ failed

Only the process holding a live claim moves a note on from received, and it does so in the same
commit that decides the transcript is to be sent: the transcript is sent at most once, whichever
process looks. A claim is a lease its holder renews while it works; a lapsed one (its process died)
is taken over by the next sweep, so a note is transcribed after a crash and its member told once.

The audio is stored only when the community keeps recordings and the member agreed to the
participant text that says so; otherwise it only ever passes through memory, and a transcript that
is replaced or not kept leaves nothing behind.

Transcription and fetching come in as plain callables (`Transcribe`, `Fetch`), so this module
depends on no speech engine and no front end, and tests can hand it fakes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from html import escape

from prometheus_client import Counter
from sqlalchemy import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from flows import engine, i18n
from flows.engine import MAX_MESSAGE_CHARS
from flows.questions import PromptKind, QuestionKind, load_question_set
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    Community,
    Member,
    PromptStatus,
    VoiceNote,
    VoiceNoteStatus,
    utcnow,
)
from valuestory.usecases import callbacks, conversation, speaking
from valuestory.usecases.callbacks import Prefix, VoiceStep
from valuestory.usecases.conversation import queries as conversation_queries
from valuestory.usecases.out import Out
from valuestory.usecases.voice_notes import queries

log = logging.getLogger(__name__)

# A claim lapses unless renewed this often; its holder renews it three times as often.
LEASE = dt.timedelta(seconds=30)
RENEW_EVERY = LEASE / 3
# Tries at hearing a note (a failed engine, or a process that died hearing it) before the member
# is asked to type it instead.
MAX_ATTEMPTS = 2
LANGUAGE = "en"
NOTES_HEARD = Counter("valuestory_voice_notes_transcribed", "Voice notes transcribed and sent back.")

# The words in a voice note (the bytes, and the language they are in).
Transcribe = Callable[[bytes, str], Awaitable[str]]
# A voice note's bytes, by the front end's file id.
Fetch = Callable[[str], Awaitable[bytes]]


class Refusal(StrEnum):
    """Why a voice note gave no transcript."""

    TOO_LONG = "too_long"
    TOO_LARGE = "too_large"
    UNDECODABLE = "undecodable"
    FAILED = "failed"


class NoteRefused(Exception):
    """Raised by a `Fetch` or `Transcribe` that cannot give this note's words."""

    def __init__(self, refusal: Refusal, detail: str = "") -> None:
        super().__init__(detail or refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class Incoming:
    """A voice note as the front end describes it, before anything is downloaded."""

    file_id: str
    seconds: int | None = None
    size_bytes: int | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class Limits:
    max_seconds: float = 300.0
    max_bytes: int = 20 * 1024 * 1024  # what Telegram lets a bot download


@dataclass(frozen=True)
class Received:
    outs: list[Out]
    note_id: int | None = None  # to transcribe, when the note was recorded


@dataclass(frozen=True)
class Heard:
    """What to send the member once their note was transcribed."""

    chat_id: int
    outs: list[Out]


def _refusal_text(refusal: Refusal, limits: Limits, t: i18n.Texts) -> str:
    if refusal is Refusal.TOO_LONG:
        return t.VOICE_TOO_LONG.format(minutes=t.plural(int(limits.max_seconds // 60), "minute"))
    if refusal is Refusal.TOO_LARGE:
        return t.VOICE_TOO_LARGE
    if refusal is Refusal.UNDECODABLE:
        return t.VOICE_UNDECODABLE
    return t.VOICE_FAILED


def check(note: Incoming, limits: Limits) -> Refusal | None:
    """Refuse a note by what the front end says of it, before fetching it."""
    if note.size_bytes is not None and note.size_bytes > limits.max_bytes:
        return Refusal.TOO_LARGE
    if note.seconds is not None and note.seconds > limits.max_seconds:
        return Refusal.TOO_LONG
    return None


# --- Arrival --------------------------------------------------------------------------------


async def receive(db: Database, user_id: int, chat_id: int, note: Incoming, *, key: str,
                  limits: Limits | None = None, now: dt.datetime | None = None,
                  telegram_language: str | None = None) -> Received:
    """A voice note arrived: record it for the open question, or say kindly why not.

    Replies are in the member's language (Telegram's, for someone who is not a member).
    """
    limits = limits or Limits()
    now = now or utcnow()
    try:
        async with db.session() as session:
            member = await repo.member_by_telegram_id(session, user_id, lock=True)
            if member is None:
                return Received([Out(speaking.say(telegram_language).UNKNOWN_USER)])
            t = speaking.say(member.language)
            if await session.scalar(queries.by_update(key)):
                return Received([])  # redelivered: it is already on its way
            pending = await repo.open_prompts(session, member.id)
            if not pending:
                # The same replies a typed message gets when nothing is open.
                if await conversation_queries.closed_lately(session, member, now):
                    return Received([Out(t.PROMPT_CLOSED)])
                return Received([Out(t.NOTHING_OPEN)])
            prompt = await repo.prompt(session, pending[0].id, lock=True)
            assert prompt is not None
            script = load_question_set(prompt.question_set).script(PromptKind(prompt.kind))
            question = script.question(prompt.question_id or "")
            if question is None or question.kind is not QuestionKind.TEXT:
                # Not at a question a voice can answer: the conversation says what to do, as it
                # does for a typed message there (nothing is stored at such a question).
                return Received(await conversation_queries.apply_action(
                    session, prompt, engine.Text("(a voice note)"), now))
            refusal = check(note, limits)
            if refusal is not None:
                return Received([Out(_refusal_text(refusal, limits, t))])
            member.chat_id = chat_id
            recorded = VoiceNote(
                update_key=key, member_id=member.id, community_id=prompt.community_id,
                prompt_id=prompt.id, question_id=question.id, chat_id=chat_id,
                telegram_file_id=note.file_id, duration_seconds=note.seconds,
                size_bytes=note.size_bytes, mime_type=(note.mime_type or "")[:64] or None,
                status=VoiceNoteStatus.RECEIVED, received_at=now,
            )
            session.add(recorded)
            await session.flush()
            log.info("voice note %s received for prompt %s", recorded.id, prompt.id)
            return Received([Out(t.VOICE_LISTENING)], recorded.id)
    except IntegrityError:
        return Received([])  # another process recorded the same update at the same moment


# --- Transcription --------------------------------------------------------------------------


async def waiting(db: Database, now: dt.datetime | None = None, limit: int = 20) -> Sequence[int]:
    """Notes that arrived and are not being transcribed by anyone (never claimed, or lapsed)."""
    now = now or utcnow()
    async with db.session() as session:
        return (await session.scalars(queries.waiting(now - LEASE, limit))).all()


async def claim(db: Database, note_id: int, worker: str, now: dt.datetime | None = None) -> str | None:
    """Take a note to transcribe; its file id, or None if someone else holds a live claim on it."""
    now = now or utcnow()
    async with db.session() as session:
        result: CursorResult[object] = await session.execute(  # type: ignore[assignment]
            queries.claim(note_id, worker, now, now - LEASE))
        if result.rowcount != 1:
            return None
        return await session.scalar(queries.file_id(note_id))


async def renew(db: Database, note_id: int, worker: str, now: dt.datetime | None = None) -> bool:
    """Keep this worker's claim alive; False if it was lost (taken over, or the note is gone)."""
    async with db.session() as session:
        result: CursorResult[object] = await session.execute(  # type: ignore[assignment]
            queries.renew(note_id, worker, now or utcnow()))
        return result.rowcount == 1


async def _keeps_audio(session: AsyncSession, member_id: int, community_id: int) -> bool:
    """Whether this member's recordings are kept: the community says so, and so did what they agreed to."""
    community = await session.get(Community, community_id)
    if community is None or not community.keep_audio:
        return False
    version = await session.scalar(queries.consent_version(member_id, community_id))
    return version == conversation.CONSENT_VERSION_WITH_AUDIO


def _heard(note: VoiceNote, t: i18n.Texts) -> Out:
    return Out(t.VOICE_HEARD.format(transcript=escape(note.transcript or "")), ((
        (t.BTN_VOICE_KEEP, callbacks.encode(Prefix.VOICE, VoiceStep.KEEP, note.id)),
        (t.BTN_VOICE_TYPE, callbacks.encode(Prefix.VOICE, VoiceStep.TYPE, note.id)),
    ),))


async def finish(db: Database, note_id: int, worker: str, *, transcript: str | None,
                 audio: bytes | None, refusal: Refusal | None, limits: Limits | None = None,
                 now: dt.datetime | None = None) -> Heard | None:
    """Record what was heard, if this worker still holds the note; what to tell the member.

    Committed before anything is sent: None means another process has it, or it is gone.
    """
    limits = limits or Limits()
    now = now or utcnow()
    async with db.session() as session:
        note = await session.scalar(queries.claimed_by(note_id, worker))
        if note is None:
            return None
        member = await session.get(Member, note.member_id)
        t = speaking.say(member.language if member is not None else None)
        note.transcribed_at = now
        if refusal is not None:
            note.status, note.decided_at = VoiceNoteStatus.FAILED, now
            log.info("voice note %s not transcribed: %s", note.id, refusal)
            return Heard(note.chat_id, [Out(_refusal_text(refusal, limits, t))])
        words = " ".join((transcript or "").split())
        if not words:
            note.status, note.decided_at = VoiceNoteStatus.DISCARDED, now
            return Heard(note.chat_id, [Out(t.VOICE_HEARD_NOTHING)])
        # The newest voice note is the one on offer: an earlier transcript not yet kept goes.
        earlier = (await session.scalars(queries.transcribed_before(note.prompt_id, note.id))).all()
        for old in earlier:
            old.status, old.transcript, old.audio, old.decided_at = (
                VoiceNoteStatus.REPLACED, None, None, now)
        note.status, note.transcript = VoiceNoteStatus.TRANSCRIBED, words
        if audio is not None and await _keeps_audio(session, note.member_id, note.community_id):
            note.audio = audio
        NOTES_HEARD.inc()
        return Heard(note.chat_id, [_heard(note, t)])


async def transcribe(db: Database, note_id: int, worker: str, fetch: Fetch, hear: Transcribe,
                     limits: Limits | None = None) -> Heard | None:
    """Claim a note, fetch and transcribe it, and record the result; None if it was not ours."""
    file_id = await claim(db, note_id, worker)
    if file_id is None:
        return None
    async with db.session() as session:
        tries = await session.scalar(queries.attempts(note_id)) or 1
    if tries > MAX_ATTEMPTS:
        # Every earlier claim's process died hearing it: ask the member to type instead.
        log.warning("voice note %s given up after %d tries that never finished", note_id,
                    tries - 1)
        return await finish(db, note_id, worker, transcript=None, audio=None,
                            refusal=Refusal.FAILED, limits=limits)

    async def keep_claim() -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY.total_seconds())
            if not await renew(db, note_id, worker):
                return

    renewing = asyncio.ensure_future(keep_claim())
    transcript: str | None = None
    audio: bytes | None = None
    refusal: Refusal | None = None
    try:
        try:
            audio = await fetch(file_id)
            try:
                transcript = await hear(audio, LANGUAGE)
            except NoteRefused as exc:
                if exc.refusal is not Refusal.FAILED or tries >= MAX_ATTEMPTS:
                    raise
                # The engine failed (its worker killed, out of memory): once more, then typing.
                log.info("voice note %s: the speech engine failed; trying once more", note_id)
                transcript = await hear(audio, LANGUAGE)
        except NoteRefused as exc:
            refusal = exc.refusal
    finally:
        renewing.cancel()
    return await finish(db, note_id, worker, transcript=transcript, audio=audio, refusal=refusal,
                        limits=limits)


# --- Keep it, or Type it instead ------------------------------------------------------------


def _pieces(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """A long transcript as pieces each one message long, cut between words."""
    pieces: list[str] = []
    while len(text) > limit:
        at = text.rfind(" ", 0, limit)
        at = at if at > 0 else limit
        pieces.append(text[:at])
        text = text[at:].lstrip()
    return [*pieces, text] if text else pieces


async def press(db: Database, user_id: int, chat_id: int, token: str, *, key: str | None = None,
                now: dt.datetime | None = None, telegram_language: str | None = None) -> list[Out]:
    """Keep it / Type it instead, under a transcript. Checked against what is stored, never trusted.

    Replies are in the member's language (Telegram's, for someone who is not a member).
    """
    now = now or utcnow()
    prefix, parts = callbacks.decode(token)
    note_id = int(parts[1]) if len(parts) == 2 and parts[1].isdigit() else None
    steps = ([VoiceStep.KEEP], [VoiceStep.TYPE])
    if prefix is not Prefix.VOICE or parts[:1] not in steps or note_id is None:
        return [Out(speaking.say(
            await speaking.language_for(db, user_id, telegram_language)).STALE_BUTTON)]
    try:
        async with db.session() as session:
            member = await repo.member_by_telegram_id(session, user_id, lock=True)
            if member is None:
                return [Out(speaking.say(telegram_language).UNKNOWN_USER)]
            t = speaking.say(member.language)
            if key is not None and not await repo.mark_handled(session, key):
                return []
            note = await session.scalar(queries.locked(note_id))
            if note is None or note.member_id != member.id:
                return [Out(t.NOT_FOR_YOU if note is not None else t.STALE_BUTTON)]
            if note.status == VoiceNoteStatus.REPLACED:
                return [Out(t.VOICE_REPLACED)]
            if note.status != VoiceNoteStatus.TRANSCRIBED:
                return [Out(t.VOICE_DECIDED)]
            note.decided_at = now
            if parts[0] == VoiceStep.TYPE:
                note.status, note.transcript, note.audio = VoiceNoteStatus.DISCARDED, None, None
                return [Out(t.VOICE_TYPE_INSTEAD)]
            return await _keep(session, member, note, now)
    except IntegrityError:
        return []


async def _keep(session: AsyncSession, member: Member, note: VoiceNote, now: dt.datetime) -> list[Out]:
    prompt = await repo.prompt(session, note.prompt_id, lock=True)
    assert prompt is not None  # a note goes with its prompt
    if prompt.status != PromptStatus.OPEN or prompt.question_id != note.question_id:
        t = speaking.say(member.language)
        note.status, note.transcript, note.audio = VoiceNoteStatus.DISCARDED, None, None
        if prompt.status != PromptStatus.OPEN:
            over = t.PROMPT_CLOSED if prompt.status == PromptStatus.CLOSED else t.PROMPT_FINISHED
            return [Out(over)]
        return [Out(t.VOICE_MOVED_ON),
                *await conversation_queries.apply_action(session, prompt, engine.Where(), now)]
    outs: list[Out] = []
    for piece in _pieces(note.transcript or ""):
        outs = await conversation_queries.apply_action(session, prompt, engine.Text(piece), now, spoken=True)
    note.status = VoiceNoteStatus.KEPT
    note.narrative_id = await session.scalar(queries.narrative_of(prompt.id, note.question_id))
    log.info("voice note %s kept for prompt %s", note.id, prompt.id)
    return outs


__all__ = [
    "LEASE", "Fetch", "Heard", "Incoming", "Limits", "NoteRefused", "Received", "Refusal",
    "Transcribe", "check", "claim", "finish", "press", "receive", "renew",
    "transcribe", "waiting",
]
