"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the email tests: it keeps what it accepts, and
refuses the addresses it is told to refuse, permanently (550) or for now (451)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.remote import free_port

REFUSED = "550 5.1.1 Mailbox unavailable"
NOT_NOW = "451 4.3.0 Try again later"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


class HeldAt:
    """A hold: the `at`-th email whose subject has `marker`, and every email after it, wait with
    their content taken in and no answer given, until released; then they arrive."""

    def __init__(self, at: int, marker: str, wait: float) -> None:
        self.at, self.marker, self.wait = at, marker, wait
        self.seen = 0
        self.held = 0  # emails whose content the sender wrote, unanswered here
        self.lock = threading.Lock()
        self.reached = threading.Event()
        self.released = threading.Event()

    async def __call__(self, message: EmailMessage) -> None:
        with self.lock:
            if self.marker in str(message["Subject"]):
                self.seen += 1
            if self.seen >= self.at:
                self.reached.set()
            held = self.reached.is_set()
            self.held += held
        if held:  # waits off the server's loop, so other connections go on meanwhile
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait, self.wait)


@dataclass
class Handler:
    """Accepts mail, or refuses an address with the answer it was given for it."""

    received: list[Received] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hold: HeldAt | None = None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        with self.lock:
            answer = self.answers.get(address.lower())
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content: Any = envelope.original_content or envelope.content
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if self.hold is not None:
            await self.hold(message)
        with self.lock:
            self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos),
                                          message))
        return "250 Message accepted"


class MailServer:
    """The server and what it holds: `url` for SMTP_URL, `to(address)` for what reached someone."""

    def __init__(self, controller: Controller, handler: Handler) -> None:
        self.controller, self.handler = controller, handler

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    def hold(self, held: HeldAt | None) -> None:
        self.handler.hold = held

    def refuse(self, address: str, answer: str = REFUSED) -> None:
        with self.handler.lock:
            self.handler.answers[address.lower()] = answer

    def accept(self, address: str) -> None:
        with self.handler.lock:
            self.handler.answers.pop(address.lower(), None)

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.recipients]


@contextmanager
def running() -> Iterator[MailServer]:
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield MailServer(controller, handler)
    finally:
        controller.stop()
