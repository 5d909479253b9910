"""Run the real bot as a separate process against the Bot API double, and talk to it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.botapi import TOKEN, BotApiDouble, BotApiServer

ROOT = Path(__file__).resolve().parent.parent


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Wait for something a person would notice; fail saying what never happened."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        await asyncio.sleep(0.05)


class BotProcess:
    """`valuestory run` in a child process, polling the double over HTTP on 127.0.0.1."""

    def __init__(self, server: BotApiServer, database_url: str, workdir: Path,
                 extra_env: dict[str, str] | None = None) -> None:
        self.server = server
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))},
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": server.base_url,
            "DATABASE_URL": database_url,
            "PYTHONPATH": str(ROOT),
            **(extra_env or {}),
        }
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "bot.log"

    async def start(self) -> None:
        polls = self.server.double.count("getUpdates")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "valuestory.cli", "run"], cwd=self.workdir, env=self.env,
                stdout=log, stderr=subprocess.STDOUT,
            )
        await wait_until(lambda: self.server.double.count("getUpdates") > polls + 1,
                         "the bot to start polling")

    def kill(self) -> None:
        """SIGKILL: no chance to tidy up, as in a crash or a pulled plug."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Chat:
    """A member's private chat, driven by pushing updates for a polling bot."""

    def __init__(self, double: BotApiDouble, user_id: int) -> None:
        self.double = double
        self.user_id = user_id
        self.user = {"id": user_id, "is_bot": False, "first_name": "Robin"}
        self.chat = {"id": user_id, "type": "private", "first_name": "Robin"}
        self._message_ids = iter(range(1, 1_000_000))

    def seen(self) -> list[str]:
        return self.double.texts(self.user_id)

    def push_text(self, text: str) -> None:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        self.double.push_update({"message": {
            "message_id": next(self._message_ids), "date": 0, "chat": self.chat,
            "from": self.user, **content}})

    def push_tap(self, label: str) -> None:
        for message in reversed(self.double.chat(self.user_id)):
            for row in message.keyboard:
                for button in row:
                    if button["text"] == label:
                        self.double.push_update({"callback_query": {
                            "id": f"{self.user_id}-{len(self.double.calls)}", "from": self.user,
                            "chat_instance": "ci", "message": message.to_api(),
                            "data": button["callback_data"]}})
                        return
        raise AssertionError(f"no {label!r} button in the chat")

    async def expect(self, fragment: str, count: int = 1) -> None:
        await wait_until(lambda: sum(fragment in t for t in self.seen()) >= count,
                         f"the bot to say {fragment!r}")
