"""Claims on voice notes, with a fake engine at the use case's seam: one process hears each note, a
lapsed claim is taken over, and whoever lost the note says nothing about it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from flows import texts
from storage.models import Narrative, VoiceNote, utcnow
from tests import seed
from tests.harness import Harness
from valuestory.usecases import voice_notes
from valuestory.usecases.voice_notes import LEASE, Incoming, NoteRefused, Refusal


async def _a_note(harness: Harness, user_id: int) -> int:
    person, _ = await seed.member_with_open_prompt(harness, user_id)
    received = await voice_notes.receive(harness.db, person.user_id, person.user_id,
                                         Incoming("file-1", 4, 1000), key=f"m|{user_id}|1")
    assert received.note_id is not None
    return received.note_id


async def fetch(file_id: str) -> bytes:
    return b"audio of " + file_id.encode()


async def hear(audio: bytes, language: str) -> str:
    assert language == "en"
    return "the group helped me"


async def test_two_processes_sweeping_at_once_hear_a_note_once(harness: Harness) -> None:
    note_id = await _a_note(harness, 851)
    assert list(await voice_notes.waiting(harness.db)) == [note_id]
    assert await voice_notes.claim(harness.db, note_id, "replica-a") == "file-1"
    assert await voice_notes.claim(harness.db, note_id, "replica-b") is None
    assert list(await voice_notes.waiting(harness.db)) == []  # held: nobody else looks at it
    assert await voice_notes.transcribe(harness.db, note_id, "replica-b", fetch, hear) is None
    heard = await voice_notes.finish(harness.db, note_id, "replica-a", transcript="the group helped me",
                                     audio=b"x", refusal=None)
    assert heard is not None and heard.chat_id == 851
    assert heard.outs[0].text == texts.VOICE_HEARD.format(transcript="the group helped me")
    # The same worker finishing twice (a retry) says nothing more.
    assert await voice_notes.finish(harness.db, note_id, "replica-a", transcript="again",
                                    audio=None, refusal=None) is None


async def test_a_claim_whose_process_died_lapses_and_is_taken_over(harness: Harness) -> None:
    note_id = await _a_note(harness, 852)
    assert await voice_notes.claim(harness.db, note_id, "dead-process") is not None
    soon = utcnow() + LEASE / 2
    assert await voice_notes.claim(harness.db, note_id, "new-process", soon) is None
    later = utcnow() + LEASE + dt.timedelta(seconds=1)
    assert list(await voice_notes.waiting(harness.db, later)) == [note_id]
    assert await voice_notes.claim(harness.db, note_id, "new-process", later) == "file-1"
    # The dead process, had it only been slow, can neither renew nor finish what it lost.
    assert not await voice_notes.renew(harness.db, note_id, "dead-process")
    assert await voice_notes.finish(harness.db, note_id, "dead-process", transcript="late",
                                    audio=None, refusal=None) is None
    assert await voice_notes.finish(harness.db, note_id, "new-process", transcript="on time",
                                    audio=None, refusal=None) is not None


async def test_a_refused_note_tells_the_member_why_and_stores_nothing(harness: Harness) -> None:
    note_id = await _a_note(harness, 853)

    async def too_long(audio: bytes, language: str) -> str:
        raise NoteRefused(Refusal.TOO_LONG, "the note lasts 400 s")

    heard = await voice_notes.transcribe(harness.db, note_id, "me", fetch, too_long)
    assert heard is not None and "longer than 5 minutes" in heard.outs[0].text
    async with harness.db.session() as s:
        note = await s.get(VoiceNote, note_id)
        assert note is not None and note.status == "failed"
        assert (await s.scalars(select(Narrative))).all() == []


async def test_a_redelivered_voice_note_is_recorded_once(harness: Harness) -> None:
    note_id = await _a_note(harness, 854)
    again = await voice_notes.receive(harness.db, 854, 854, Incoming("file-1", 4, 1000), key="m|854|1")
    assert again.outs == [] and again.note_id is None
    async with harness.db.session() as s:
        assert (await s.scalars(select(VoiceNote.id))).all() == [note_id]


async def test_forged_voice_buttons_change_nothing(harness: Harness) -> None:
    note_id = await _a_note(harness, 855)
    await voice_notes.transcribe(harness.db, note_id, "me", fetch, hear)
    await seed.join(harness.person(856), await seed.community(harness.db, "Another Community"))
    assert [o.text for o in await voice_notes.press(harness.db, 856, 856, f"v|k|{note_id}")] == [
        texts.NOT_FOR_YOU]
    for forged in ("v|k|", "v|x|1", "v|k|99999", "v|k|1|2"):
        assert [o.text for o in await voice_notes.press(harness.db, 855, 855, forged)] == [
            texts.STALE_BUTTON]
    async with harness.db.session() as s:
        assert (await s.scalars(select(Narrative))).all() == []
        note = await s.get(VoiceNote, note_id)
        assert note is not None and note.status == "transcribed"


class FailingEngine:
    """An engine whose first `failures` hearings fail, as when its worker is killed."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self, audio: bytes, language: str) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise NoteRefused(Refusal.FAILED, "the speech worker stopped while transcribing")
        return "the group helped me"


async def test_an_engine_that_crashes_once_is_tried_once_more_and_the_transcript_sent_once(
    harness: Harness,
) -> None:
    note_id = await _a_note(harness, 854)
    engine = FailingEngine(failures=1)
    heard = await voice_notes.transcribe(harness.db, note_id, "replica-a", fetch, engine)
    assert engine.calls == 2
    assert heard is not None and len(heard.outs) == 1
    assert heard.outs[0].text.startswith("I heard: «the group helped me»")
    assert await voice_notes.transcribe(harness.db, note_id, "replica-b", fetch, engine) is None
    assert engine.calls == 2  # never heard twice


async def test_an_engine_that_crashes_twice_has_the_member_asked_to_type(harness: Harness) -> None:
    note_id = await _a_note(harness, 855)
    engine = FailingEngine(failures=5)
    heard = await voice_notes.transcribe(harness.db, note_id, "replica-a", fetch, engine)
    assert engine.calls == 2
    assert heard is not None and [o.text for o in heard.outs] == [texts.VOICE_FAILED]
    async with harness.db.session() as s:
        note = await s.get(VoiceNote, note_id)
        assert note is not None and note.status == "failed"


async def test_a_note_whose_hearing_kills_the_process_twice_has_the_member_asked_to_type(
    harness: Harness,
) -> None:
    note_id = await _a_note(harness, 856)
    first, second = utcnow() - 3 * LEASE, utcnow() - 2 * LEASE
    # Two processes took it and died hearing it: their claims lapsed, nothing was said.
    assert await voice_notes.claim(harness.db, note_id, "died-once", first) is not None
    assert await voice_notes.claim(harness.db, note_id, "died-twice", second) is not None
    assert list(await voice_notes.waiting(harness.db)) == [note_id]
    engine = FailingEngine(failures=0)
    heard = await voice_notes.transcribe(harness.db, note_id, "third", fetch, engine)
    assert engine.calls == 0  # not tried a third time
    assert heard is not None and [o.text for o in heard.outs] == [texts.VOICE_FAILED]
