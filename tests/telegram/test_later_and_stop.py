"""After Later, a message is held until the member says whether it is their answer; Stop says
truthfully whether anything was saved. End to end through the real Application, across restarts."""

from __future__ import annotations

from sqlalchemy import select

from flows import texts
from storage.models import Narrative, Prompt
from tests import seed
from tests.harness import Harness


async def _narratives(harness: Harness) -> list[tuple[str, str]]:
    async with harness.db.session() as s:
        return [(n.question_id, n.text) for n in (await s.scalars(select(Narrative))).all()]


async def _held(harness: Harness, prompt_id: int) -> str | None:
    async with harness.db.session() as s:
        prompt = await s.get(Prompt, prompt_id)
        assert prompt is not None
        return prompt.held_message


async def test_a_message_after_later_is_not_stored_and_keep_after_a_restart_makes_it_the_answer(
    harness: Harness,
) -> None:
    ana, prompt = await seed.member_with_open_prompt(harness, 601)
    await ana.tap(texts.BTN_LATER)
    replies = await ana.say("hello?")
    assert texts.WELCOME_BACK in replies[-1] and "Question 2" in replies[-1]
    assert texts.KEEP_HELD.format(message="hello?") in replies[-1]
    assert ana.last.buttons() == [texts.BTN_KEEP, texts.BTN_DISCARD]
    assert await _narratives(harness) == []
    assert await _held(harness, prompt.id) == "hello?"

    await harness.restart()
    replies = await ana.say("/continue")
    assert "hello?" in replies[-1] and ana.last.buttons() == [texts.BTN_KEEP, texts.BTN_DISCARD]
    replies = await ana.tap(texts.BTN_KEEP)
    assert replies[-1].startswith(texts.ACK_FIRST)
    assert await _narratives(harness) == [("immediate.moment", "hello?")]
    assert await _held(harness, prompt.id) is None
    replies = await ana.tap(texts.BTN_NEXT)
    assert "Question 3" in replies[-1]


async def test_no_after_a_restart_discards_the_held_message_and_asks_again(
    harness: Harness,
) -> None:
    ben, prompt = await seed.member_with_open_prompt(harness, 602)
    await ben.tap(texts.BTN_LATER)
    await ben.say("hello?")
    await harness.restart()
    replies = await ben.tap(texts.BTN_DISCARD)
    assert texts.HELD_DISCARDED in replies[-1] and "Question 2" in replies[-1]
    assert "hello?" not in replies[-1] and texts.BTN_SKIP in ben.last.buttons()
    assert await _narratives(harness) == []
    assert await _held(harness, prompt.id) is None
    await ben.say("The case review")
    assert await _narratives(harness) == [("immediate.moment", "The case review")]


async def test_stop_with_nothing_said_says_nothing_was_saved(harness: Harness) -> None:
    cal, _ = await seed.member_with_open_prompt(harness, 603)
    replies = await cal.tap(texts.BTN_STOP)
    assert replies[-1] == texts.STOPPED_NOTHING
    assert await _narratives(harness) == []


async def test_stop_after_an_answer_says_it_was_saved(harness: Harness) -> None:
    dee, _ = await seed.member_with_open_prompt(harness, 604)
    await dee.say("The case review")
    replies = await dee.say("/stop")
    assert texts.STOPPED in replies[-1]
    assert await _narratives(harness) == [("immediate.moment", "The case review")]


async def test_a_message_after_pause_is_held_as_after_later_not_taken_as_an_answer(
    harness: Harness,
) -> None:
    ana, prompt = await seed.member_with_open_prompt(harness, 611)
    await ana.say("/pause")
    replies = await ana.say("hello?")
    assert texts.KEEP_HELD.format(message="hello?") in replies[-1]
    assert ana.last.buttons() == [texts.BTN_KEEP, texts.BTN_DISCARD]
    assert await _narratives(harness) == []
    assert await _held(harness, prompt.id) == "hello?"
