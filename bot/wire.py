"""A scheduled send is marked on the wire at the last moment: when its first request is handed to
HTTP, after every wait before it (our pacing, PTB's rate limiter, a 429 waited out).

The scheduler commits that a message is on its way before its request is written, so that after
a crash it is counted in doubt rather than sent twice. Every moment between that commit and the
write is a moment in which a crash leaves in doubt a message that never left the process; so
`TelegramSender` hands the commit (`on_wire`) to `marking` for one call, and `MarkingRequest`,
the innermost wrapper of the bot's request, awaits it just before that call's first request goes
to HTTP. A request made while no mark is set (a handler's reply) goes as it is. When the mark
says the claim is no longer ours, or fails, nothing is written: the request raises `Withheld`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram import Bot
from telegram.request import BaseRequest, RequestData

from bot.ops import WrappedRequest

OnWire = Callable[[], Awaitable[bool]]


class Withheld(Exception):
    """A request not written: its send was not marked on the wire (`Mark.error` says why)."""


class Mark:
    """One send's mark, awaited once however many requests (parts, retries) the send makes."""

    def __init__(self, on_wire: OnWire) -> None:
        self.on_wire = on_wire
        # A task started during the send copies the mark with its context; it is not the send.
        self.task = asyncio.current_task()
        self.marked: bool | None = None  # None: no request was handed to HTTP
        self.error: Exception | None = None  # what the mark raised, for the sender to raise

    async def before_writing(self) -> None:
        if self.marked is None:
            try:
                self.marked = await self.on_wire()
            except Exception as exc:
                self.marked, self.error = False, exc
        if not self.marked:
            raise Withheld


_MARK: ContextVar[Mark | None] = ContextVar("valuestory_on_wire", default=None)


@contextmanager
def marking(mark: Mark) -> Iterator[None]:
    """Requests made inside (in this task) mark `mark` before the first of them is written."""
    token = _MARK.set(mark)
    try:
        yield
    finally:
        _MARK.reset(token)


class MarkingRequest(WrappedRequest):
    """The bot's request, awaiting the current send's mark just before handing it to HTTP."""

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        mark = _MARK.get()
        if mark is not None and mark.task is asyncio.current_task():
            await mark.before_writing()
        return await super().do_request(url, method, request_data, *args, **kwargs)


def marks(bot: Bot) -> bool:
    """Whether this bot's requests mark sends on the wire (the application's do; a plain `Bot`
    made for one command does not, so its sender marks before sending)."""
    request: BaseRequest | None = bot.request
    while isinstance(request, WrappedRequest):
        if isinstance(request, MarkingRequest):
            return True
        request = request.inner
    return False
