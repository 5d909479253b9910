"""A real bot process killed between a voice note's arrival and its transcript: after the restart
the note is heard, and the member gets its transcript exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from flows import texts
from storage.db import Database
from storage.models import Narrative, VoiceNote
from tests import seed
from tests.botapi import BotApiDouble, BotApiServer
from tests.harness import Harness
from tests.remote import BotProcess, Chat
from tests.speech.notes import require_speech, speak
from tests.waiting import until
from valuestory.process.settings import Settings
from valuestory.usecases.voice_notes import LEASE

HEARD = texts.VOICE_HEARD.partition("{")[0]  # how a transcript opens
SENTENCE = "the group helped me feel more confident"


@pytest.fixture(autouse=True)
def speech_tools() -> None:
    require_speech()


async def _member_at_a_question(settings: Settings, db: Database, double: BotApiDouble) -> None:
    harness = Harness(settings, db, double)
    await harness.start()
    await seed.member_with_open_prompt(harness, 731)
    await harness.stop()


async def test_member_whose_bot_is_killed_while_hearing_their_note_gets_one_transcript_after_restart(
    settings: Settings, db: Database, database_url: str, tmp_path: Path,
) -> None:
    double = BotApiDouble()
    await _member_at_a_question(settings, db, double)
    robin = Chat(double, 731)
    audio = speak(SENTENCE)
    with BotApiServer(double) as server:
        bot = BotProcess(tmp_path, database_url, server, "bot", webhook=False)
        await bot.start()
        # The download is held back, so the process is surely killed before it has heard a word.
        double.download_delay = 3.0
        robin.push_message(voice=double.voice(audio, 3))
        await robin.expect(texts.VOICE_LISTENING)
        await until(lambda: double.count("getFile") == 1, "the bot to fetch the note")
        bot.kill()
        double.download_delay = 0.0
        assert not any(t.startswith(HEARD) for t in robin.seen())

        await bot.start()
        # The dead process's claim lapses, and the new one's sweep takes the note up.
        await robin.expect(HEARD, within=LEASE.total_seconds() + 90)
        await asyncio.sleep(2 * 10)  # two more sweeps: nothing more may be said about it
        robin.push_tap(texts.BTN_VOICE_KEEP)
        await robin.expect(texts.ACK_FIRST)
        assert await bot.terminate() == 0

    seen = robin.seen()
    assert sum(t.startswith(HEARD) for t in seen) == 1, seen
    assert sum(t == texts.VOICE_LISTENING for t in seen) == 1, seen
    assert "confident" in next(t for t in seen if t.startswith(HEARD))
    async with db.session() as s:
        [note] = (await s.scalars(select(VoiceNote))).all()
        [answer] = (await s.scalars(select(Narrative))).all()
    assert note.status == "kept" and note.claimed_by is not None
    assert answer.spoken and "confident" in answer.text and answer.cycle == "immediate"
    assert "Traceback" not in bot.logs()


async def test_a_running_bot_answers_others_while_it_hears_a_long_note(
    settings: Settings, db: Database, database_url: str, tmp_path: Path,
) -> None:
    """PTB hands a running Application its updates one at a time: the voice handler must not wait."""
    import time

    from tests.speech.test_engines import ONE_MINUTE

    double = BotApiDouble()
    harness = Harness(settings, db, double)
    await harness.start()
    await seed.member_with_open_prompt(harness, 741)
    other = await seed.community(db, "Second Community")
    event = await seed.event(db, other)
    lee = harness.person(742)
    await seed.join(lee, other)
    await seed.open_prompt(db, lee, event)
    await lee.say("/continue")
    await lee.tap(seed.THERE)
    await harness.stop()

    pat, lee_chat = Chat(double, 741), Chat(double, 742)
    long_note = speak(ONE_MINUTE)
    with BotApiServer(double) as server:
        bot = BotProcess(tmp_path, database_url, server, "bot", webhook=False)
        await bot.start()
        pat.push_message(voice=double.voice(long_note, 60))
        await pat.expect(texts.VOICE_LISTENING)
        def acknowledged() -> int:
            return sum(t.startswith((texts.ACK_FIRST, texts.ACK_MORE)) for t in lee_chat.seen())

        latencies = []
        for i in range(5):
            started = time.monotonic()
            lee_chat.push_text(f"typed answer {i}")
            await until(lambda i=i: acknowledged() == i + 1, f"Lee's answer {i} to be acknowledged")
            latencies.append(time.monotonic() - started)
        lee_replied = len(double.calls)
        await pat.expect(HEARD, within=240)
        assert await bot.terminate() == 0

    heard_at = next(i for i, (method, params) in enumerate(double.calls)
                    if method == "sendMessage" and str(params.get("text", "")).startswith(HEARD))
    assert heard_at >= lee_replied  # every reply to Lee went out before Pat's transcript
    print("\nwhile a running bot heard a minute-long note, another member's answers were replied to in "
          + ", ".join(f"{x * 1000:.0f}" for x in latencies) + " ms")
