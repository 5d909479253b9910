"""Telegram's Bot API goes away and comes back while prompts fall due.

A real bot process (long polling) reaches the Bot API double through a TCP proxy on 127.0.0.1.
For a minute the proxy refuses every connection; then Telegram answers 502 to everything for a
while, then 429 with retry_after to every message sent; then it is well again. Prompts that fell
due meanwhile must go out after, each once, and /healthz and the log must say what is wrong,
briefly.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from flows import texts
from storage.models import Delivery, Prompt
from tests import seed
from tests.botapi import BotApiServer
from tests.harness import Harness
from tests.proxy import CuttableProxy
from tests.remote import BotProcess

# The minute of refused connections; a shorter one may be asked for by hand.
REFUSED = float(os.environ.get("VALUESTORY_TEST_OUTAGE_SECONDS", "60"))
BAD_GATEWAY = REFUSED / 3
TOO_MANY = REFUSED / 3
STORY = "Did you take part in Evening Session?"
IN_CASE = texts.IN_CASE.format(event="Evening Session", minutes="5 minutes")
MEMBERS = 30
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


async def _until(check: Any, what: str, within: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        await asyncio.sleep(0.2)


async def test_telegram_away_then_failing_then_slowing_us_down_every_prompt_goes_once_after(
    harness: Harness, database_url: str, tmp_path: Path,
) -> None:
    too_many = TooMany()
    harness.double.rules.append(too_many)
    with BotApiServer(harness.double) as server:
        host, port = server.server.server_address[:2]
        proxy = CuttableProxy(str(host), int(port))
        through = await proxy.start()
        bot = BotProcess(tmp_path, database_url, server, "bot", webhook=False, extra_env={
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{through}/bot",
            "SCHEDULER_INTERVAL_SECONDS": "1", "LOG_LEVEL": "INFO"})
        await bot.start()
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                async def health() -> tuple[int, str]:
                    response = await client.get(bot.url + "/healthz")
                    return response.status_code, response.text

                async def healthy() -> bool:
                    return (await health())[0] == 200

                await _until(healthy, "the bot to be healthy before the outage")

                async def polling() -> bool:  # started: an outage at start-up stops the bot
                    return "taking updates by long polling" in bot.logs()

                await _until(polling, "the bot to take updates")
                await proxy.cut_all()
                # Thirty members fall due while Telegram cannot be reached.
                people = await seed.members_due_a_prompt_now(harness, 900, MEMBERS)

                async def says_telegram() -> bool:
                    status, text = await health()
                    return status == 503 and "Telegram" in text

                await _until(says_telegram, "/healthz to name Telegram")
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

                await _until(everyone_asked, "every prompt to go out once Telegram is back")
                await _until(healthy, "/healthz to be 200 again")
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

    log = bot.logs()
    print(log)
    assert "Traceback" not in log
    away = [line for line in log.splitlines() if "Bot API" in line]
    slowed = [line for line in log.splitlines() if "slow down" in line]
    assert 1 <= len(slowed) <= 1 + TOO_MANY // 60 + 1, slowed
    outage = REFUSED + BAD_GATEWAY
    # The first word, one a minute while it lasts, and the word it is back.
    assert 2 <= len(away) <= 2 + outage // 60 + 1, away
