"""A scheduled send is marked on the wire once, just before its first request reaches Telegram,
and nothing reaches Telegram unless the mark was made: through the application's bot, and
through a plain `Bot` made for one command."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot

from bot.scheduling import TelegramSender
from tests.botapi import TOKEN, BotApiDouble, DoubleRequest
from tests.harness import Harness
from valuestory.usecases.out import Out
from valuestory.usecases.scheduler import Outcome

CHAT = 4242


class Marks:
    """An `on_wire` that says what Telegram had received of the chat when it was awaited."""

    def __init__(self, double: BotApiDouble, answer: bool = True,
                 error: Exception | None = None) -> None:
        self.double, self.answer, self.error = double, answer, error
        self.seen_when_marked: list[list[str]] = []

    async def __call__(self) -> bool:
        self.seen_when_marked.append(self.double.texts(CHAT))
        if self.error is not None:
            raise self.error
        return self.answer


@pytest.fixture(params=["application", "plain"])
async def sender(request: pytest.FixtureRequest, harness: Harness) -> AsyncIterator[TelegramSender]:
    """The application's bot (it marks as it writes), and a plain one (its sender marks first)."""
    if request.param == "application":
        yield TelegramSender(harness.app.bot, rate=0, backoff=0)
        return
    bot = Bot(TOKEN, base_url="http://telegram.invalid/bot", request=DoubleRequest(harness.double))
    async with bot:
        yield TelegramSender(bot, rate=0, backoff=0)


async def test_a_send_of_several_messages_is_marked_once_before_the_first_reaches_telegram(
    harness: Harness, sender: TelegramSender,
) -> None:
    marks = Marks(harness.double)
    result = await sender.send(CHAT, [Out("Did you take part?"), Out("x" * 5000)], marks)
    assert result.outcome is Outcome.SENT
    assert marks.seen_when_marked == [[]]
    assert harness.double.texts(CHAT)[0] == "Did you take part?"
    assert len(harness.double.texts(CHAT)) == 3  # the long one in two parts


async def test_a_send_tried_again_while_telegram_is_away_is_marked_once(
    harness: Harness, sender: TelegramSender,
) -> None:
    away = [True]

    def bad_gateway_once(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method == "sendMessage" and away:
            away.clear()
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        return None

    harness.double.rules.append(bad_gateway_once)
    marks = Marks(harness.double)
    assert (await sender.send(CHAT, [Out("Did you take part?")], marks)).outcome is Outcome.SENT
    assert marks.seen_when_marked == [[]]
    assert harness.double.texts(CHAT) == ["Did you take part?"]


async def test_a_send_whose_claim_was_taken_reaches_no_one(
    harness: Harness, sender: TelegramSender,
) -> None:
    marks = Marks(harness.double, answer=False)
    result = await sender.send(CHAT, [Out("Did you take part?")], marks)
    assert result.outcome is Outcome.NOT_SENT
    assert len(marks.seen_when_marked) == 1
    assert harness.double.texts(CHAT) == []
    assert harness.double.count("sendMessage") == 0


async def test_a_send_that_could_not_be_marked_raises_what_the_mark_raised_and_reaches_no_one(
    harness: Harness, sender: TelegramSender,
) -> None:
    marks = Marks(harness.double, error=ConnectionRefusedError("the database is away"))
    with pytest.raises(ConnectionRefusedError):
        await sender.send(CHAT, [Out("Did you take part?")], marks)
    assert harness.double.count("sendMessage") == 0


async def test_a_reply_outside_any_scheduled_send_is_not_marked(
    harness: Harness, sender: TelegramSender,
) -> None:
    assert (await sender.send(CHAT, [Out("Hello")])).outcome is Outcome.SENT
    assert harness.double.texts(CHAT) == ["Hello"]


async def test_a_message_sent_by_a_task_started_during_a_send_goes_whatever_that_send_s_mark_says(
    harness: Harness, sender: TelegramSender,
) -> None:
    started: list[asyncio.Task[Any]] = []

    async def on_wire() -> bool:
        started.append(asyncio.create_task(harness.app.bot.send_message(CHAT + 1, "Meanwhile")))
        return False  # the claim was taken: this send goes nowhere

    assert (await sender.send(CHAT, [Out("Did you take part?")], on_wire)).outcome \
        is Outcome.NOT_SENT
    await started[0]
    assert harness.double.texts(CHAT + 1) == ["Meanwhile"]
    assert harness.double.texts(CHAT) == []
