"""Different people's updates are handled at the same time; one person's, strictly in order.

A member's next answer must never overtake the last one (the second would be stored against the
question before), and a slow reply to one member must not hold up everyone else. Each update
waits for the one before it from the same person (or chat, for updates without a person), then
for a place among at most `limit` updates being handled at once. Each handler opens its own unit
of work, so nothing is shared between the tasks but the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's own bound, taken before ours and never reached: waiting for one's turn must not take a
# place from another person's update, so the places are counted below, after the turn came.
_UNBOUNDED = 1_000_000


def _sender(update: object) -> object:
    """Whose turn an update waits for: the person, else the chat, else everything else's."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return None


class PerSenderProcessor(BaseUpdateProcessor):
    """Runs updates concurrently, serialised per sender, at most `limit` at a time."""

    def __init__(self, limit: int) -> None:
        super().__init__(_UNBOUNDED)
        self.limit = limit
        self._places = asyncio.Semaphore(limit)
        # The last update of each sender still waiting or running: the next one waits for it.
        self._last: dict[object, asyncio.Future[None]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Runs up to its first await in the order updates left the queue (PTB starts one task per
        # update, in order, and its never-full semaphore does not suspend): so the line is taken
        # in arrival order.
        sender = _sender(update)
        before = self._last.get(sender)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[sender] = mine
        started = False
        try:
            if before is not None:
                await asyncio.shield(before)
            async with self._places:
                started = True
                await coroutine
        finally:
            if not started and asyncio.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting its turn: it never ran
            mine.set_result(None)
            if self._last.get(sender) is mine:
                del self._last[sender]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
