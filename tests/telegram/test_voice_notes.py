"""Answering by voice through the real bot: real speech (espeak-ng, encoded as Telegram encodes voice
notes), fetched from the Bot API double by getFile and download, heard by the real engine."""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import os
import time
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from flows import texts
from storage.db import Database
from storage.models import AuditEntry, Community, Consent, Narrative, VoiceNote, utcnow
from tests import seed
from tests.harness import Harness, Person
from tests.speech.notes import require_speech, speak
from tests.waiting import until
from valuestory.process.settings import Settings
from valuestory.usecases import community_settings, conversation, retention

SENTENCE = "the group helped me feel more confident"
KEY_WORDS = {"group", "helped", "confident"}
OTHER = "i learned a new way to work with my team"
OTHER_WORDS = {"learned", "new", "way"}
HEARD_WITHIN = 240.0  # a guard against a hang on a busy machine, not a speed goal


@pytest.fixture(autouse=True)
def speech_tools() -> None:
    require_speech()


async def say_by_voice(person: Person, audio: bytes, seconds: int, **voice: Any) -> list[str]:
    """Send a voice note of these bytes; returns the bot's immediate replies."""
    return await person.send(voice=person.h.double.voice(audio, seconds, **voice))


HEARD = texts.VOICE_HEARD.partition("{")[0]  # how a transcript opens
# What the bot says after listening: what it heard, or why it heard nothing.
LISTENED = (HEARD, texts.VOICE_HEARD_NOTHING, texts.VOICE_UNDECODABLE, texts.VOICE_FAILED)


async def heard(person: Person, count: int = 1) -> str:
    """Wait for the bot to say what it heard (the count-th time); returns that message."""
    def said() -> list[str]:
        return [t for t in person.texts_since(0) if t.startswith(LISTENED)]
    await until(lambda: len(said()) >= count, "the transcript", HEARD_WITHIN, every=0.05)
    return said()[count - 1]


async def notes(db: Database) -> list[VoiceNote]:
    async with db.session() as s:
        return list((await s.scalars(select(VoiceNote).order_by(VoiceNote.id))).all())


async def audio_of(db: Database) -> list[bytes | None]:
    async with db.session() as s:
        return list((await s.scalars(select(VoiceNote.audio).order_by(VoiceNote.id))).all())


async def narratives(db: Database) -> list[Narrative]:
    async with db.session() as s:
        return list((await s.scalars(select(Narrative).order_by(Narrative.id))).all())


def missing(words: set[str], text: str) -> set[str]:
    return words - set(text.lower().replace("«", " ").replace("»", " ").split())


async def test_member_who_answers_by_voice_hears_the_transcript_and_keeps_it_as_a_spoken_answer(
    harness: Harness,
) -> None:
    pat, _ = await seed.member_with_open_prompt(harness, 801)
    replies = await say_by_voice(pat, speak(SENTENCE), 3)
    assert replies == [texts.VOICE_LISTENING]
    transcript = await heard(pat)
    assert transcript.startswith(HEARD) and not missing(KEY_WORDS, transcript), transcript
    assert pat.last.buttons() == [texts.BTN_VOICE_KEEP, texts.BTN_VOICE_TYPE]
    assert harness.double.count("getFile") == 1 and len(harness.double.downloads) == 1

    replies = await pat.tap(texts.BTN_VOICE_KEEP)
    assert replies[0].startswith(texts.ACK_FIRST)
    await pat.say("And I will share it with my team.")  # typed after spoken: one answer
    [answer] = await narratives(harness.db)
    assert answer.question_id == "immediate.moment" and answer.cycle == "immediate"
    assert answer.spoken is True
    assert not missing(KEY_WORDS, answer.text)
    assert answer.text.endswith("\n\nAnd I will share it with my team.")
    [note] = await notes(harness.db)
    assert note.status == "kept" and note.narrative_id == answer.id
    # By default only the words are kept, never the recording.
    assert await audio_of(harness.db) == [None]
    assert texts.BTN_VOICE_KEEP not in pat.inbox[-3].buttons()  # the buttons went when it was kept

    replies = await pat.tap(texts.BTN_NEXT)
    assert "Question 3" in replies[-1]


async def test_type_it_instead_stores_nothing_from_the_note(harness: Harness) -> None:
    pat, _ = await seed.member_with_open_prompt(harness, 802)
    await say_by_voice(pat, speak(SENTENCE), 3)
    await heard(pat)
    keep = pat.button(texts.BTN_VOICE_KEEP)
    replies = await pat.tap(texts.BTN_VOICE_TYPE)
    assert replies == [texts.VOICE_TYPE_INSTEAD]
    assert await narratives(harness.db) == []
    [note] = await notes(harness.db)
    assert note.status == "discarded" and note.transcript is None
    assert await audio_of(harness.db) == [None]
    # A later press of Keep it on the same transcript changes nothing.
    assert await pat.press_data(*keep) == [
        texts.VOICE_DECIDED]
    assert await narratives(harness.db) == []


async def test_a_second_voice_note_replaces_the_transcript_on_offer(harness: Harness) -> None:
    pat, _ = await seed.member_with_open_prompt(harness, 803)
    await say_by_voice(pat, speak(SENTENCE), 3)
    await heard(pat)
    first = pat.button(texts.BTN_VOICE_KEEP)
    await say_by_voice(pat, speak(OTHER), 3)
    second = await heard(pat, 2)
    assert not missing(OTHER_WORDS, second), second
    assert await pat.press_data(*first) == [
        texts.VOICE_REPLACED]
    await pat.tap(texts.BTN_VOICE_KEEP)
    [answer] = await narratives(harness.db)
    assert not missing(OTHER_WORDS, answer.text) and "confident" not in answer.text
    assert [n.status for n in await notes(harness.db)] == ["replaced", "kept"]


async def test_two_kept_voice_notes_add_up_to_one_answer(harness: Harness) -> None:
    pat, _ = await seed.member_with_open_prompt(harness, 804)
    await say_by_voice(pat, speak(SENTENCE), 3)
    await heard(pat)
    assert (await pat.tap(texts.BTN_VOICE_KEEP))[0].startswith(texts.ACK_FIRST)
    await say_by_voice(pat, speak(OTHER), 3)
    await heard(pat, 2)
    assert (await pat.tap(texts.BTN_VOICE_KEEP))[0].startswith(texts.ACK_MORE)
    [answer] = await narratives(harness.db)
    first, second = answer.text.split("\n\n")
    assert not missing(KEY_WORDS, first) and not missing(OTHER_WORDS, second)
    assert answer.spoken


async def _keep_audio(db: Database, community_id: int) -> None:
    """The community keeps recordings from now on, as the command line's settings set it."""
    await community_settings.change(db, str(community_id), community_settings.Change(), {},
                                    keep_audio="on", actor="test")


async def _keeping_audio(harness: Harness, user_id: int,
                         name: str = "Diabetes in Pregnancy") -> tuple[Person, Community, Any]:
    """A member of a community that keeps recordings, who joined and is at a question."""
    community = await seed.community(harness.db, name)
    await _keep_audio(harness.db, community.id)
    event = await seed.event(harness.db, community)
    return harness.person(user_id), community, event


async def test_a_community_that_keeps_audio_says_so_and_keeps_the_recording(harness: Harness) -> None:
    kim, community, event = await _keeping_audio(harness, 805)
    replies = await kim.say(f"/start {community.invite_code}")
    assert texts.PARTICIPANT_AUDIO in replies[0]
    await kim.tap(texts.BTN_AGREE)
    async with harness.db.session() as s:
        [agreed] = (await s.scalars(select(Consent.version))).all()
    assert agreed == conversation.CONSENT_VERSION_WITH_AUDIO != conversation.CONSENT_VERSION
    await seed.open_prompt(harness.db, kim, event)
    await kim.say("/continue")
    await kim.tap(seed.THERE)
    audio = speak(SENTENCE)
    await say_by_voice(kim, audio, 3)
    await heard(kim)
    await kim.tap(texts.BTN_VOICE_KEEP)
    assert await audio_of(harness.db) == [audio]
    [answer] = await narratives(harness.db)
    assert answer.spoken and not missing(KEY_WORDS, answer.text)

    # /mydata hands the recording back beside the text; /withdraw erases it.
    mark = len(kim.inbox)
    await kim.say("/mydata")
    text_file, recording = kim.inbox[mark:]
    assert text_file.document is not None and recording.document is not None
    assert b"recording kept (my-voice-note-1.ogg)" in text_file.document[1]
    assert recording.document == ("my-voice-note-1.ogg", audio)
    await kim.say("/withdraw")
    await kim.tap(texts.BTN_WITHDRAW_YES)
    assert await notes(harness.db) == [] and await narratives(harness.db) == []
    async with harness.db.session() as s:
        [withdrawn] = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "withdraw"))).all()
    assert withdrawn.details["voice_notes"] == 1


async def test_members_who_agreed_before_recordings_were_kept_keep_only_their_words(
    harness: Harness,
) -> None:
    pat, prompt = await seed.member_with_open_prompt(harness, 806)
    await _keep_audio(harness.db, prompt.community_id)
    await say_by_voice(pat, speak(SENTENCE), 3)
    await heard(pat)
    await pat.tap(texts.BTN_VOICE_KEEP)
    assert await audio_of(harness.db) == [None]  # they never agreed to the text that says so
    assert (await narratives(harness.db))[0].spoken


async def test_retention_erases_recordings_with_the_answers_they_became(harness: Harness) -> None:
    kim, community, event = await _keeping_audio(harness, 807)
    await seed.join(kim, community)
    await seed.open_prompt(harness.db, kim, event)
    await kim.say("/continue")
    await kim.tap(seed.THERE)
    await say_by_voice(kim, speak(SENTENCE), 3)
    await heard(kim)
    await kim.tap(texts.BTN_VOICE_KEEP)
    assert (await audio_of(harness.db))[0] is not None
    async with harness.db.session() as s:
        found = await s.get(Community, community.id)
        assert found is not None
        await retention.set_months(s, found, 1, actor="test")
    later = utcnow() + dt.timedelta(days=62)
    await retention.run(harness.db, later)  # the week's notice first
    await retention.run(harness.db, later + dt.timedelta(days=8))
    assert await notes(harness.db) == [] and await narratives(harness.db) == []
    async with harness.db.session() as s:
        [erased] = (await s.scalars(select(AuditEntry).where(
            AuditEntry.action == "retention.erase"))).all()
    assert erased.details["voice_notes"] == 1


# --- Bad input ------------------------------------------------------------------------------


async def test_a_note_longer_than_five_minutes_is_refused_before_it_is_fetched(harness: Harness) -> None:
    pat, _ = await seed.member_with_open_prompt(harness, 811)
    replies = await say_by_voice(pat, speak(SENTENCE), 301)
    assert replies == [texts.VOICE_TOO_LONG.format(minutes=texts.In("en").plural(5, "minute"))]
    assert harness.double.count("getFile") == 0
    assert await notes(harness.db) == [] and await narratives(harness.db) == []


async def test_a_file_larger_than_telegram_lets_bots_fetch_is_refused_unread(harness: Harness) -> None:
    pat, _ = await seed.member_with_open_prompt(harness, 812)
    replies = await say_by_voice(pat, speak(SENTENCE), 30, file_size=21 * 1024 * 1024)
    assert replies == [texts.VOICE_TOO_LARGE]
    assert harness.double.count("getFile") == 0
    assert await notes(harness.db) == [] and await narratives(harness.db) == []


async def test_a_corrupt_file_says_it_could_not_be_played_and_stores_nothing(harness: Harness) -> None:
    pat, _ = await seed.member_with_open_prompt(harness, 813)
    await say_by_voice(pat, b"OggS" + os.urandom(4000), 3)
    said = await heard(pat)
    assert said == texts.VOICE_UNDECODABLE
    assert await narratives(harness.db) == []
    assert [(n.status, n.transcript) for n in await notes(harness.db)] == [("failed", None)]


async def test_an_audio_file_sent_as_a_file_is_heard_too(harness: Harness) -> None:
    pat, _ = await seed.member_with_open_prompt(harness, 814)
    audio = speak(SENTENCE)
    file_id = harness.double.add_file(audio, ".ogg")
    await pat.send(audio={"file_id": file_id, "file_unique_id": "a1", "duration": 3,
                          "mime_type": "audio/ogg", "file_size": len(audio)})
    assert not missing(KEY_WORDS, await heard(pat))


async def test_a_recording_sent_as_a_document_is_heard_and_other_files_are_not(
    harness: Harness,
) -> None:
    pat, _ = await seed.member_with_open_prompt(harness, 820)
    audio = speak(SENTENCE)
    file_id = harness.double.add_file(audio, ".ogg")
    await pat.send(document={"file_id": file_id, "file_unique_id": "d1", "file_name": "memo.ogg",
                             "mime_type": "audio/ogg", "file_size": len(audio)})
    assert not missing(KEY_WORDS, await heard(pat))
    replies = await pat.send(document={"file_id": "pdf", "file_unique_id": "d2",
                                       "file_name": "notes.pdf", "mime_type": "application/pdf"})
    assert replies == [texts.NOT_SUPPORTED["document"]]
    assert harness.double.count("getFile") == 1


async def test_a_voice_note_in_a_group_is_not_fetched_and_stores_nothing(harness: Harness) -> None:
    pat, _ = await seed.member_with_open_prompt(harness, 815)
    group = {"id": -100500, "type": "supergroup", "title": "CoP"}
    await harness.feed({"message": {**pat.message(voice=harness.double.voice(speak(SENTENCE), 3)),
                                    "chat": group}})
    assert harness.double.count("getFile") == 0
    assert await notes(harness.db) == [] and await narratives(harness.db) == []


async def test_a_voice_note_from_a_stranger_gets_a_welcome_and_is_not_fetched(harness: Harness) -> None:
    stranger = harness.person(816)
    replies = await say_by_voice(stranger, speak(SENTENCE), 3)
    assert replies == [texts.UNKNOWN_USER]
    assert harness.double.count("getFile") == 0 and await notes(harness.db) == []


async def test_a_voice_note_when_no_question_is_open_is_not_fetched(harness: Harness) -> None:
    community = await seed.community(harness.db)
    sam = harness.person(817)
    await seed.join(sam, community)
    replies = await say_by_voice(sam, speak(SENTENCE), 3)
    assert replies == [texts.NOTHING_OPEN]
    assert harness.double.count("getFile") == 0 and await notes(harness.db) == []


async def test_a_voice_note_at_a_choice_question_is_asked_to_tap_instead(harness: Harness) -> None:
    pat, _ = await seed.member_with_open_prompt(harness, 818, attended=False)
    replies = await say_by_voice(pat, speak(SENTENCE), 3)
    assert replies[0].startswith(texts.PLEASE_TAP)
    assert harness.double.count("getFile") == 0 and await notes(harness.db) == []


async def test_without_a_speech_engine_a_voice_note_gets_the_kind_reply(
    settings: Settings, db: Database,
) -> None:
    harness = Harness(settings.with_changes(voice_engine="off"), db)
    await harness.start()
    try:
        pat, _ = await seed.member_with_open_prompt(harness, 819)
        replies = await say_by_voice(pat, speak(SENTENCE), 3)
        assert replies == [texts.NOT_SUPPORTED["voice"]]
        assert harness.double.count("getFile") == 0 and await notes(db) == []
    finally:
        await harness.stop()


# --- Nobody waits ---------------------------------------------------------------------------


async def test_other_members_are_answered_while_a_long_note_is_transcribed(harness: Harness) -> None:
    from tests.speech.test_engines import ONE_MINUTE

    pat, _ = await seed.member_with_open_prompt(harness, 821)
    community = await seed.community(harness.db, "Second Community")
    event = await seed.event(harness.db, community)
    lee = harness.person(822)
    await seed.join(lee, community)
    await seed.open_prompt(harness.db, lee, event)
    await lee.say("/continue")
    await lee.tap(seed.THERE)

    long_note = speak(ONE_MINUTE)
    sent_at = time.monotonic()
    await say_by_voice(pat, long_note, 60)
    latencies = []
    for i in range(5):
        started = time.monotonic()
        replies = await lee.say(f"typed answer {i}")
        latencies.append(time.monotonic() - started)
        assert replies and replies[0].startswith((texts.ACK_FIRST, texts.ACK_MORE))
    lee_done = len(harness.double.calls)
    assert not any(t.startswith("I heard") for t in pat.texts_since(0))
    await heard(pat)
    heard_after = time.monotonic() - sent_at
    heard_at = next(i for i, (method, params) in enumerate(harness.double.calls)
                    if method == "sendMessage" and str(params.get("text", "")).startswith("I heard"))
    # Every one of Lee's replies was sent before Pat's transcript.
    assert heard_at >= lee_done
    print(f"\nwhile a {len(long_note) // 1024} KiB, minute-long note took {heard_after:.1f} s to hear, "
          f"another member's answers were replied to in "
          f"{', '.join(f'{x * 1000:.0f}' for x in latencies)} ms")
    async with harness.db.session() as s:
        lee_answer = await s.scalar(select(Narrative.text).where(Narrative.member_id != 0)
                                    .where(Narrative.text.like("typed answer 0%")))
    assert lee_answer is not None and lee_answer.count("typed answer") == 5


# --- Evidence -------------------------------------------------------------------------------


async def test_exports_mark_spoken_answers_and_a_project_carries_each_kept_recording(
    harness: Harness, tmp_path: Path,
) -> None:
    import xmlschema

    from tests.telegram.test_exports import QDA, SCHEMA, read_csv, read_jsonl, read_xlsx
    from valuestory.usecases import exports
    from valuestory.usecases.exports import ExportFilter, ExportFormat

    kim, community, event = await _keeping_audio(harness, 831)
    await seed.join(kim, community)
    await seed.open_prompt(harness.db, kim, event)
    await kim.say("/continue")
    await kim.tap(seed.THERE)
    audio = speak(SENTENCE)
    await say_by_voice(kim, audio, 3)
    transcript = (await heard(kim)).split("«")[1].split("»")[0]
    await kim.tap(texts.BTN_VOICE_KEEP)
    await kim.tap(texts.BTN_NEXT)
    await kim.say("Typed, not spoken.")

    def path(fmt: ExportFormat) -> Path:
        return tmp_path / f"out{exports.SUFFIX[fmt]}"

    for fmt in ExportFormat:
        await exports.export(harness.db, "test", fmt, path(fmt), ExportFilter())
    for rows in (read_csv(path(ExportFormat.CSV)), read_xlsx(path(ExportFormat.XLSX))):
        assert [(r["answer"], r["spoken"]) for r in rows] == [
            (transcript, "yes"), ("Typed, not spoken.", "no")]
    # JSON Lines says it with JSON's own values, as it says `attended`.
    assert [(r["answer"], r["spoken"], r["attended"])
            for r in read_jsonl(path(ExportFormat.JSONL))] == [
        (transcript, True, True), ("Typed, not spoken.", False, True)]

    with zipfile.ZipFile(path(ExportFormat.QDPX)) as z:
        qde = z.read("project.qde").decode("utf-8")
        files = {n: z.read(n) for n in z.namelist()}
    xmlschema.XMLSchema(str(SCHEMA)).validate(qde)
    project = ElementTree.fromstring(qde)
    [recording] = project.findall(f"{QDA}Sources/{QDA}AudioSource")
    assert len(project.findall(f"{QDA}Sources/{QDA}TextSource")) == 2
    guid = recording.get("guid")
    assert recording.get("path") == f"internal://{guid}.ogg"
    assert files[f"sources/{guid}.ogg"] == audio
    assert recording.findtext(f"{QDA}Transcript/{QDA}PlainTextContent") == transcript
    codes = {c.get("guid"): c.get("name") for c in project.iter(f"{QDA}Code")}
    assert [codes[c.get("targetGUID")] for c in recording.iter(f"{QDA}CodeRef")] == ["immediate value"]
    [case] = project.findall(f"{QDA}Cases/{QDA}Case")
    assert guid in {r.get("targetGUID") for r in case.findall(f"{QDA}SourceRef")}


async def test_a_speech_worker_killed_while_hearing_a_note_is_tried_once_more_and_heard_once(
    harness: Harness,
) -> None:
    pat, _ = await seed.member_with_open_prompt(harness, 809)
    sentence = ". ".join([SENTENCE, OTHER] * 3)
    await say_by_voice(pat, speak(sentence), 12)
    await until(lambda: len(harness.double.downloads) == 1, "the note to be fetched")
    await asyncio.sleep(0.3)  # the worker is hearing it now
    killed = {child.pid for child in multiprocessing.active_children()}
    assert killed, "no speech worker to kill"
    for child in multiprocessing.active_children():
        child.kill()  # as the kernel does when it runs out of memory
    transcript = await heard(pat)
    assert transcript.startswith("I heard: «") and not missing(KEY_WORDS, transcript), transcript
    # A new worker heard it: the note was tried once more, not failed.
    assert {child.pid for child in multiprocessing.active_children()} - killed
    await asyncio.sleep(1)
    assert sum(t.startswith(("I heard", "Sorry")) for t in pat.texts_since(0)) == 1
    [note] = await notes(harness.db)
    assert note.status == "transcribed" and note.attempts == 1
