"""Drive the real Application with real Update objects, as members and conveners would."""

from __future__ import annotations

import itertools
from typing import Any

from telegram import Update

from bot.app import build_application
from storage.db import Database
from tests.botapi import BotApiDouble, DoubleRequest, SentMessage
from valuestory.process.settings import Settings

_update_ids = itertools.count(1)
_message_ids = itertools.count(100_000)


class Harness:
    """One running bot, as Telegram would see it."""

    def __init__(self, settings: Settings, db: Database, double: BotApiDouble | None = None):
        self.settings = settings
        self.db = db
        self.double = double or BotApiDouble()
        self.request = DoubleRequest(self.double)
        self.app = build_application(settings, db, request=self.request)

    async def start(self) -> None:
        await self.app.initialize()

    async def stop(self) -> None:
        await self.app.shutdown()

    async def restart(self) -> None:
        """A new process: a new Application on the same database and the same Telegram."""
        await self.stop()
        self.app = build_application(self.settings, self.db, request=DoubleRequest(self.double))
        await self.start()

    async def feed(self, data: dict[str, Any]) -> None:
        data.setdefault("update_id", next(_update_ids))
        await self.app.process_update(Update.de_json(data, self.app.bot))

    def person(self, user_id: int, first_name: str = "Alex", username: str | None = None,
               language_code: str | None = None) -> Person:
        """Someone new; `language_code` is their Telegram app's language, as Telegram sends it."""
        return Person(self, user_id, first_name, username, language_code)


class Person:
    """Someone in a private chat with the bot."""

    def __init__(self, harness: Harness, user_id: int, first_name: str,
                 username: str | None, language_code: str | None = None) -> None:
        self.h = harness
        self.user_id = user_id
        self.user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            self.user["username"] = username
        if language_code:
            self.user["language_code"] = language_code
        self.chat = {"id": user_id, "type": "private", "first_name": first_name}

    # --- what they see -------------------------------------------------------------------
    @property
    def inbox(self) -> list[SentMessage]:
        return self.h.double.chat(self.user_id)

    @property
    def last(self) -> SentMessage:
        return self.inbox[-1]

    def texts_since(self, mark: int) -> list[str]:
        return [m.text or m.caption or "" for m in self.inbox[mark:]]

    # --- what they do --------------------------------------------------------------------
    def message(self, **content: Any) -> dict[str, Any]:
        return {"message_id": next(_message_ids), "date": 0, "chat": self.chat,
                "from": self.user, **content}

    async def send_update(self, message: dict[str, Any], edited: bool = False) -> list[str]:
        mark = len(self.inbox)
        await self.h.feed({"edited_message" if edited else "message": message})
        return self.texts_since(mark)

    async def say(self, text: str) -> list[str]:
        """Type a message; returns the texts the bot sent back."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self.send_update(self.message(**content))

    async def send(self, **content: Any) -> list[str]:
        """Send anything else: a sticker, a photo, a voice note..."""
        return await self.send_update(self.message(**content))

    async def press_data(self, message: SentMessage, data: str) -> list[str]:
        mark = len(self.inbox)
        await self.h.feed({"callback_query": {
            "id": str(next(_update_ids)), "from": self.user, "chat_instance": "ci",
            "message": message.to_api(), "data": data,
        }})
        return self.texts_since(mark)

    def button(self, label: str) -> tuple[SentMessage, str]:
        """The newest message showing a button with this label (as a person would find it)."""
        for message in reversed(self.inbox):
            for row in message.keyboard:
                for b in row:
                    if b["text"] == label or b["text"] == f"✓ {label}":
                        return message, b["callback_data"]
        raise AssertionError(f"no button {label!r} in the chat; last: {self.last.text!r}")

    async def tap(self, label: str) -> list[str]:
        message, data = self.button(label)
        return await self.press_data(message, data)
