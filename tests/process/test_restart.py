"""Kill the bot at any point and start it again: nothing sent is lost, nothing is said twice,
and the member carries on at the next unanswered question."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from flows import texts
from storage.db import Database
from storage.models import InboxUpdate, Narrative, OwedReply, Prompt
from tests import seed
from tests.botapi import BotApiDouble, BotApiServer
from tests.harness import Harness
from tests.remote import BotProcess, Chat
from tests.waiting import until
from valuestory.process.settings import Settings


async def _seed_member(settings: Settings, db: Database, double: BotApiDouble) -> None:
    harness = Harness(settings, db, double)
    await harness.start()
    community = await seed.community(db)
    event = await seed.event(db, community)
    robin = harness.person(701)
    await seed.join(robin, community)
    await seed.open_prompt(db, robin, event)
    await harness.stop()


async def _inbox_empty(db: Database) -> bool:
    async with db.session() as s:
        return (await s.scalar(select(func.count()).select_from(InboxUpdate))) == 0


async def _nothing_owed(db: Database) -> bool:
    """The bot has heard Telegram take every reply it owed (a reply on its way at a kill is
    sent again after the restart, by design: see `bot/send.py`)."""
    async with db.session() as s:
        return (await s.scalar(select(func.count()).select_from(OwedReply))) == 0


async def test_member_whose_bot_is_killed_mid_story_loses_nothing_and_resumes_at_next_question(
    settings: Settings, db: Database, database_url: str, tmp_path: Path,
) -> None:
    double = BotApiDouble()
    await _seed_member(settings, db, double)
    robin = Chat(double, 701)
    with BotApiServer(double) as server:
        bot = BotProcess(tmp_path, database_url, server, "bot", webhook=False)
        await bot.start()
        robin.push_text("/continue")
        await robin.expect("Question 1")
        robin.push_tap(seed.THERE)
        await robin.expect("Question 2")
        robin.push_text("answer one")
        await robin.expect(texts.ACK_FIRST)
        # Two more messages. Telegram considers both delivered once the bot has fetched them;
        # the bot is killed while still replying to the first, the second not yet handled.
        double.send_delay = 0.5
        robin.push_text("answer two")
        robin.push_text("answer three")
        await until(lambda: double.pending_updates() == 0, "the bot to fetch both")
        bot.kill()
        double.send_delay = 0.0

        await bot.start()
        await until(lambda: double.pending_updates() == 0, "Telegram's queue to drain")
        robin.push_tap(texts.BTN_NEXT)
        await robin.expect("Question 3")
        # Killed after the member spoke, not while "Question 3" is still on its way.
        await until(lambda: _nothing_owed(db), "the bot to hear Telegram took Question 3")
        robin.push_text("answer four")
        bot.kill()  # straight after the member spoke

        await bot.start()
        robin.push_text("/continue")
        await robin.expect(texts.WELCOME_BACK)
        assert await bot.terminate() == 0

    assert await _inbox_empty(db)
    async with db.session() as s:
        answers = {n.question_id: n.text for n in (await s.scalars(select(Narrative))).all()}
        prompt = await s.scalar(select(Prompt))
    assert answers == {
        "immediate.moment": "answer one\n\nanswer two\n\nanswer three",
        "immediate.experience": "answer four",
    }
    assert prompt is not None and prompt.question_id == "immediate.experience"
    seen = robin.seen()
    # Each question was asked once, each message acknowledged at most once.
    assert sum("Question 2" in t for t in seen) == 1
    assert sum("Question 3" in t for t in seen) == 2  # asked, then shown again on /continue
    assert sum(t.startswith(texts.ACK_FIRST) for t in seen) <= 2
    assert sum(t.startswith(texts.ACK_MORE) for t in seen) <= 2
    assert texts.WELCOME_BACK in seen[-1] and "Question 3" in seen[-1]


async def test_an_update_delivered_again_after_it_was_handled_is_not_answered_twice(
    settings: Settings, db: Database
) -> None:
    harness = Harness(settings, db)
    await harness.start()
    community = await seed.community(db)
    sam = harness.person(711)
    start = {"update_id": 424242, "message": sam.message(
        text=f"/start {community.invite_code}",
        entities=[{"type": "bot_command", "offset": 0, "length": 6}])}
    await harness.feed(dict(start))
    await harness.feed(dict(start))  # Telegram retrying a webhook that answered late
    await harness.stop()
    assert sum("Joining Diabetes in Pregnancy" in t for t in harness.double.texts(711)) == 1


async def test_the_inbox_keeps_no_names_and_replays_what_was_not_handled(
    settings: Settings, db: Database
) -> None:
    from telegram import Update

    from bot.inbox import replay_kept_updates

    harness = Harness(settings, db)
    await harness.start()
    community = await seed.community(db)
    kim = harness.person(712, first_name="Kimberley", username="kim_the_midwife")
    data = {"update_id": 515151, "message": kim.message(
        text=f"/start {community.invite_code}",
        entities=[{"type": "bot_command", "offset": 0, "length": 6}])}
    # Arrives, and the process stops before handling it.
    await harness.app.update_queue.put(Update.de_json(data, harness.app.bot))
    async with db.session() as s:
        kept = (await s.scalars(select(InboxUpdate.payload))).all()
    assert len(kept) == 1
    assert "Kimberley" not in kept[0] and "kim_the_midwife" not in kept[0]
    await harness.restart()
    while not harness.app.update_queue.empty():
        harness.app.update_queue.get_nowait()  # what the dead process had queued is gone
    assert await replay_kept_updates(harness.app) == 1
    await harness.app.process_update(await harness.app.update_queue.get())
    await harness.stop()
    assert any("Joining Diabetes in Pregnancy" in t for t in harness.double.texts(712))
    assert await _inbox_empty(db)
