"""The bot is killed while replies wait for Telegram, and started again while they still wait:
every reply arrives once Telegram is back, once, in order, before the replies that came after.

Telegram refuses (502) every reply to the members from the first one on, while still handing the
bot what they write. Ten members answer; their answers are stored and their replies wait. The bot
is killed (SIGKILL), started again, and the members write once more while Telegram still refuses.
Then Telegram takes messages again.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select

from flows import texts
from storage.models import Narrative
from tests.botapi import BotApiServer
from tests.harness import Harness
from tests.remote import (
    at_question_2,
    chats_with_a_prompt_open,
    polling_bot,
    read_log,
    replied_once_in_order,
    running,
)
from tests.waiting import until

MEMBERS = 10
WAIT = 300.0  # a guard against a hang, not a speed goal
BAD_GATEWAY = (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})


class RefusesReplies:
    """Telegram answering 502 to every message sent to `chats` (updates still come)."""

    def __init__(self, chats: set[int]) -> None:
        self.chats = chats
        self.lock = threading.Lock()
        self.refused: dict[int, int] = {}  # chat: replies refused so far

    def __call__(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        chat = int(params.get("chat_id", 0))
        if not method.startswith("send") or chat not in self.chats:
            return None
        with self.lock:
            self.refused[chat] = self.refused.get(chat, 0) + 1
        return BAD_GATEWAY

    def each_refused_since(self, before: dict[int, int]) -> bool:
        with self.lock:
            return all(self.refused.get(c, 0) > before.get(c, 0) for c in self.chats)


async def _stored(harness: Harness, count: int) -> bool:
    """Every member's answer holds `count` messages."""
    async with harness.db.session() as s:
        told = (await s.scalars(select(Narrative.text))).all()
    return len(told) == MEMBERS and all(len(t.split("\n\n")) == count for t in told)


async def test_replies_waiting_for_telegram_when_the_bot_is_killed_arrive_once_in_order_after(
    harness: Harness, database_url: str, tmp_path: Path,
) -> None:
    chats = await chats_with_a_prompt_open(harness, 801, MEMBERS)
    with BotApiServer(harness.double) as server:
        async with running(polling_bot(tmp_path, database_url, server)) as bot:
            await at_question_2(chats)
            refusing = RefusesReplies({c.user_id for c in chats})
            harness.double.rules.append(refusing)
            for i, chat in enumerate(chats):
                chat.push_text(f"before the kill {i}")
            await until(lambda: _stored(harness, 1), "the answers to be stored", WAIT)
            await until(lambda: refusing.each_refused_since({}), "every reply to be refused", WAIT)
            bot.kill()

            await bot.start()
            # Telegram still refuses: the replies owed wait, and so do the newer ones.
            refused = dict(refusing.refused)
            await until(lambda: refusing.each_refused_since(refused),
                        "the replies owed to be tried again", WAIT)
            for i, chat in enumerate(chats):
                chat.push_text(f"after the restart {i}")
            await until(lambda: _stored(harness, 2), "the newer answers to be stored", WAIT)
            assert all(not any(texts.ACK_FIRST in t or texts.ACK_MORE in t for t in chat.seen())
                       for chat in chats)
            harness.double.rules.remove(refusing)

            for chat in chats:
                await chat.expect(texts.ACK_MORE, within=WAIT)
            assert await bot.terminate() == 0

    replied_once_in_order(chats, texts.ACK_FIRST, texts.ACK_MORE)
    async with harness.db.session() as s:
        told = sorted((await s.scalars(select(Narrative.text))).all())
    assert told == sorted(f"before the kill {i}\n\nafter the restart {i}" for i in range(MEMBERS))
    log = read_log(bot, "owed from before the last stop", 0, [f"kill {i}" for i in range(MEMBERS)]
                   + [f"restart {i}" for i in range(MEMBERS)])
    assert len(log) == 1, log
