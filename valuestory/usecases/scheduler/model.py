"""What the scheduler deals in: how a send turned out, the Sender protocol, a tick's report."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from valuestory.usecases.out import Out

log = logging.getLogger(__name__)

# The last time any process finished planning: when everyone who could be asked was asked.
HEARTBEAT = "scheduler:last_tick"


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it, or kept failing: it did not arrive
    UNREACHABLE = "unreachable"  # the member blocked the bot or never started it
    UNCERTAIN = "uncertain"  # it may or may not have arrived: never sent again, asked once "in case"
    NOT_SENT = "not_sent"  # Telegram is away (refused, 5xx, 429 for too long): surely not there,
    # so the claim is given back and the message sent once Telegram answers again (never stored)


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    message_id: int | None = None
    error: str | None = None


class Sender(Protocol):
    """How messages leave: Telegram in the bot, anything with the same shape elsewhere."""

    async def pace(self) -> None:
        """Wait until one more message may be sent without breaking the platform's limits."""

    async def send(self, chat_id: int, outs: Sequence[Out],
                   on_wire: Callable[[], Awaitable[bool]] | None = None) -> SendResult:
        """Send the messages to one chat, awaiting `on_wire` once, as late as it can, just before
        the first request is written (False: nothing is sent); never raises but what `on_wire`
        raises."""


DigestHook = Callable[[int, dt.datetime], Awaitable[object]]


@dataclass
class TickReport:
    """What one tick did, in counts."""

    planned: int = 0
    rescheduled: int = 0
    cancelled: int = 0
    missed: int = 0
    closed: int = 0
    queued: int = 0
    sent: int = 0
    reminded: int = 0
    failed: int = 0
    unreachable: int = 0
    uncertain: int = 0  # in doubt: on the wire, and no answer from Telegram
    released: int = 0  # claims of a stopped process that never left it, due again
    asked_again: int = 0  # "in case" messages sent for openings in doubt
    resolved: int = 0  # doubts settled: asked again, answered already, or only a reminder
    not_sent: int = 0  # given back while Telegram was away: sent by a later tick
    checks_sent: int = 0  # members' checks sent (not prompts: about no event)
    checks_closed: int = 0  # members' checks whose window passed
    digests: int = 0
    notices: int = 0  # digests and retention notices sent, one per person
    errors: list[str] = field(default_factory=list)


def worker_name() -> str:
    """Who claimed a delivery: enough to tell processes apart in a post-mortem, no more."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
