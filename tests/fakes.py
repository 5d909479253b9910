"""Fakes at the use cases' protocol seams, for unit tests that need no Telegram at all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from valuestory.usecases.out import Out
from valuestory.usecases.scheduler import Outcome, SendResult


@dataclass
class FakeSender:
    """The scheduler's `Sender`: records what it was asked to send and answers `outcome`."""

    outcome: Outcome = Outcome.SENT
    rate: float = 1000.0
    sent: list[tuple[int, str]] = field(default_factory=list)

    async def pace(self) -> None:
        return None

    async def send(self, chat_id: int, outs: Sequence[Out],
                   on_wire: Callable[[], Awaitable[bool]] | None = None) -> SendResult:
        if on_wire is not None and not await on_wire():
            return SendResult(Outcome.NOT_SENT, error="not marked on the wire")
        for out in outs:
            self.sent.append((chat_id, out.text))
        return SendResult(self.outcome, message_id=len(self.sent) if self.outcome is Outcome.SENT
                          else None)

    def to(self, chat_id: int) -> list[str]:
        return [text for chat, text in self.sent if chat == chat_id]
