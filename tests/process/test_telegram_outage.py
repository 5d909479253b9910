"""Telegram's Bot API goes away and comes back while prompts fall due, or members talk.

A real bot process (long polling) reaches the Bot API double through a TCP proxy on 127.0.0.1.
For a minute the proxy refuses every connection; then Telegram answers 502 to everything for a
while, then 429 with retry_after to every message sent; then it is well again. Prompts that fell
due meanwhile must go out after, each once, and /healthz and the log must say what is wrong,
briefly. Members whose words reached the bot just before Telegram went away get their replies
once it is back, in order, once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from flows import texts
from storage.models import Delivery, Narrative, Prompt
from tests import seed
from tests.botapi import BotApiServer
from tests.harness import Harness
from tests.proxy import CuttableProxy
from tests.remote import (
    FAN_OUT,
    IN_CASE,
    OUTAGE,
    STORY,
    at_question_2,
    chats_with_a_prompt_open,
    polling_bot,
    read_log,
    replied_once_in_order,
    running,
    until,
)

REFUSED = OUTAGE  # the minute of refused connections
BAD_GATEWAY = REFUSED / 3
TOO_MANY = REFUSED / 3
MEMBERS = FAN_OUT
WAIT = 300.0  # a guard against a hang, not a speed goal


BAD_GATEWAY_ANSWER = (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})


class TooMany:
    """Telegram answering 429 with retry_after to every message sent, until a set time."""

    def __init__(self) -> None:
        self.too_many_until = 0.0
        self.refused: list[str] = []

    def __call__(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if time.monotonic() < self.too_many_until and method.startswith("send"):
            self.refused.append(method)
            return 429, {"ok": False, "error_code": 429,
                         "description": "Too Many Requests: retry after 2",
                         "parameters": {"retry_after": 2}}
        return None


async def test_telegram_away_then_failing_then_slowing_us_down_every_prompt_goes_once_after(
    harness: Harness, database_url: str, tmp_path: Path,
) -> None:
    too_many = TooMany()
    harness.double.rules.append(too_many)
    with BotApiServer(harness.double) as server:
        host, port = server.server.server_address[:2]
        proxy = CuttableProxy(str(host), int(port))
        through = await proxy.start()
        bot = polling_bot(tmp_path, database_url, server,
                          TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{through}/bot")
        await bot.start()
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                async def health() -> tuple[int, str]:
                    response = await client.get(bot.url + "/healthz")
                    return response.status_code, response.text

                async def healthy() -> bool:
                    return (await health())[0] == 200

                await until(healthy, "the bot to be healthy before the outage", WAIT, every=0.2)

                async def polling() -> bool:  # started: an outage at start-up stops the bot
                    return "taking updates by long polling" in bot.logs()

                await until(polling, "the bot to take updates", WAIT, every=0.2)
                await proxy.cut_all()
                # Thirty members fall due while Telegram cannot be reached.
                people = await seed.members_due_a_prompt_now(harness, 900, MEMBERS)

                async def says_telegram() -> bool:
                    status, text = await health()
                    return status == 503 and "Telegram" in text

                await until(says_telegram, "/healthz to name Telegram", WAIT, every=0.2)
                await asyncio.sleep(REFUSED)
                assert all(not harness.double.texts(p.user_id)[-1:] or
                           STORY not in harness.double.texts(p.user_id)[-1] for p in people)

                harness.double.down = BAD_GATEWAY_ANSWER
                await proxy.restore()
                await asyncio.sleep(BAD_GATEWAY / 2)
                assert await says_telegram(), "502s are Telegram away too"
                await asyncio.sleep(BAD_GATEWAY / 2)
                bad_gateways = len(harness.double.calls)
                harness.double.down = None
                too_many.too_many_until = time.monotonic() + TOO_MANY

                async def everyone_asked() -> bool:
                    async with harness.db.session() as s:
                        rows = (await s.execute(select(Delivery.purpose, Delivery.status))).all()
                        waiting = (await s.scalars(select(Prompt.id).where(
                            Prompt.status == "scheduled"))).all()
                    return not waiting and sum(
                        1 for p, st in rows if p == "prompt" and st == "sent") == MEMBERS

                await until(everyone_asked, "every prompt to go out once Telegram is back", WAIT, every=0.2)
                await until(healthy, "/healthz to be 200 again", WAIT, every=0.2)
            assert bot.proc is not None and bot.proc.poll() is None, "the bot exited"
            assert await bot.terminate() == 0
        finally:
            bot.kill()
            await proxy.close()

    asked = [sum(STORY in t for t in harness.double.texts(p.user_id)) for p in people]
    assert asked == [1] * MEMBERS, f"asked more or less than once: {asked}"
    assert not any(IN_CASE in t for p in people for t in harness.double.texts(p.user_id))
    assert "sendMessage" in too_many.refused  # the 429s did meet sends
    assert "sendMessage" in [m for m, _ in harness.double.calls[:bad_gateways]]  # the 502s too

    away = read_log(bot, "Bot API", REFUSED + BAD_GATEWAY, [])
    assert len(away) >= 2  # it went, and it came back
    slowed = read_log(bot, "slow down", TOO_MANY, [])
    assert len(slowed) >= 1


class GoesAwayAtFirstReply:
    """Telegram goes away (502 to everything, long polls too) the moment the bot first replies
    to one of `chats`: their words have reached the bot, their replies cannot."""

    def __init__(self, double: Any, chats: set[int]) -> None:
        self.double, self.chats = double, chats
        self.refused: set[int] = set()
        self.lock = threading.Lock()

    def __call__(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        reply = method == "sendMessage" and int(params.get("chat_id", 0)) in self.chats
        with self.lock:
            if self.double.down is None and not reply:
                return None
            # Away for every request from now on, those already on their way here too.
            self.double.down = BAD_GATEWAY_ANSWER
            if reply:
                self.refused.add(int(params["chat_id"]))
        return BAD_GATEWAY_ANSWER


async def test_members_who_wrote_as_telegram_went_away_get_their_replies_after_in_order_once(
    harness: Harness, database_url: str, tmp_path: Path,
) -> None:
    chats = await chats_with_a_prompt_open(harness, 701, 10)
    with BotApiServer(harness.double) as server:
        async with running(polling_bot(tmp_path, database_url, server)) as bot:
            await at_question_2(chats)
            away = GoesAwayAtFirstReply(harness.double, {c.user_id for c in chats})
            harness.double.rules.append(away)
            for i, chat in enumerate(chats):
                chat.push_text(f"just before {i}")
            await until(lambda: harness.double.down is not None, "Telegram to go away", WAIT)
            for i, chat in enumerate(chats):
                chat.push_text(f"while away {i}")
            await asyncio.sleep(OUTAGE)
            assert bot.proc is not None and bot.proc.poll() is None, "the bot exited"
            assert all(sum("Got it" in t for t in chat.seen()) == 0 for chat in chats)
            harness.double.rules.remove(away)
            harness.double.down = None

            for chat in chats:
                await chat.expect(texts.ACK_MORE, within=WAIT)
            assert await bot.terminate() == 0

    assert away.refused, "no reply met Telegram away"
    replied_once_in_order(chats, "Got it", "Added to")
    async with harness.db.session() as s:
        told = sorted(n.text for n in (await s.scalars(select(Narrative))).all())
    assert told == sorted(f"just before {i}\n\nwhile away {i}" for i in range(10))
    read_log(bot, "Bot API", OUTAGE, [f"before {i}" for i in range(10)]
             + [f"away {i}" for i in range(10)])
