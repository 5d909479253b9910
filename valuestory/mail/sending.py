"""The scheduler's emails: each `Letter` composed and handed over, paced, its outcome said in the
scheduler's words, so an email is claimed, sent and recorded exactly as a Telegram message is.

A permanent refusal is `unreachable` (the member is not emailed again, as a blocked bot is not
messaged), a temporary one `not_sent` (given back, due again at the next run), a connection lost
while the server had the content `uncertain` (never sent again as it was: "in case" follows).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from aiolimiter import AsyncLimiter

from valuestory.mail.letters import compose
from valuestory.mail.smtp import Handed, Mailer
from valuestory.usecases.emails import Letter
from valuestory.usecases.scheduler import Outcome, SendResult

log = logging.getLogger(__name__)

OUTCOMES = {Handed.SENT: Outcome.SENT, Handed.REFUSED: Outcome.UNREACHABLE,
            Handed.LATER: Outcome.NOT_SENT, Handed.IN_DOUBT: Outcome.UNCERTAIN,
            # Not ours to send any more: the caller knows (its on_wire said so), nothing went.
            Handed.WITHDRAWN: Outcome.NOT_SENT}


class MailSender:
    """Sends the scheduler's letters through one mail server, a few a second at most."""

    def __init__(self, mailer: Mailer, *, base: str, sender: str, rate: float = 5.0) -> None:
        self.mailer, self.base, self.sender = mailer, base, sender
        self.rate = rate
        self.limiter = AsyncLimiter(max(1.0, rate), 1.0) if rate > 0 else None

    async def pace(self) -> None:
        if self.limiter is not None:
            await self.limiter.acquire()

    async def send_letter(self, letter: Letter, now: dt.datetime,
                          on_wire: Callable[[], Awaitable[bool]] | None = None) -> SendResult:
        """Compose and hand over one letter; `on_wire` is awaited just before its content goes
        (False: not sent). Never raises, but what `on_wire` raises."""
        try:
            message = compose(letter, base=self.base, sender=self.sender, now=now)
        except Exception as exc:  # nothing went out: a bug in composing, not the member's doing
            log.exception("an email could not be composed")
            return SendResult(Outcome.FAILED, error=type(exc).__name__)
        handed = await self.mailer.send(message, on_wire)
        return SendResult(OUTCOMES[handed.outcome], error=handed.reason or None)
