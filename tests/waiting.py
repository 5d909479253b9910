"""Waiting for something another task, thread or process does: the one poller every test uses.

    await until(lambda: double.count("getFile") == 1, "the bot to fetch the note")

The limit only guards against a hang on a busy machine; it is never a speed goal, so tests wait
as long as they must and fail with what they were waiting for.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

PATIENCE = 60.0  # seconds before a wait counts as a hang


async def until(condition: Callable[[], bool | Awaitable[bool]], what: str,
                within: float = PATIENCE, every: float = 0.01) -> None:
    """Check `condition` (plain or async) every `every` seconds until it holds.

    Raises AssertionError naming `what` once `within` seconds have passed without it holding.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        held = condition()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(every)
