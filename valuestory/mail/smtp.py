"""Handing an email to the mail server: one connection per email, each step's answer read apart.

Invariant: every send ends in one plain outcome, and nothing it says (a log line, an error) holds
the password, the address or the server's words (which often repeat the address): only the step
and the reply code. A refusal is permanent (5xx) or temporary (4xx, no connection); once the
message's content is on its way, a lost connection leaves it in doubt, never tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from enum import StrEnum
from urllib.parse import SplitResult, unquote

import aiosmtplib

log = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class Handed(StrEnum):
    SENT = "sent"  # the server took it
    REFUSED = "refused"  # a permanent refusal (5xx) of this address or this email: not again
    LATER = "later"  # a temporary refusal (4xx), or no server: surely not taken, try again later
    IN_DOUBT = "in_doubt"  # the connection went while the server had the content: never again
    WITHDRAWN = "withdrawn"  # not ours to send any more (before_data said so): nothing sent


@dataclass(frozen=True)
class Handing:
    """How one send went: the outcome, and the step and code that said so (no server words)."""

    outcome: Handed
    reason: str = ""


@dataclass(frozen=True)
class MailServer:
    """Where emails are handed over, read from SMTP_URL."""

    host: str
    port: int
    implicit_tls: bool  # smtps://: TLS from the first byte
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: SplitResult, timeout: float = 30.0) -> MailServer:
        implicit = url.scheme == "smtps"
        return cls(host=url.hostname or "", port=url.port or (465 if implicit else 587),
                   implicit_tls=implicit,
                   user=unquote(url.username) if url.username else None,
                   password=unquote(url.password) if url.password else None, timeout=timeout)

    def __repr__(self) -> str:  # never the password, wherever a server is shown
        return f"MailServer({self.host}:{self.port}, {'smtps' if self.implicit_tls else 'smtp'})"

    def client(self) -> aiosmtplib.SMTP:
        # smtp:// insists on STARTTLS, except with a relay on this machine, which may not offer it.
        start_tls = None if self.host in LOCAL_HOSTS else True
        return aiosmtplib.SMTP(
            hostname=self.host, port=self.port, username=self.user, password=self.password,
            use_tls=self.implicit_tls, start_tls=False if self.implicit_tls else start_tls,
            timeout=self.timeout)


def _refusal(step: str, code: int) -> Handing:
    outcome = Handed.REFUSED if 500 <= code < 600 else Handed.LATER
    return Handing(outcome, f"{step} {code}")


class Mailer:
    """Hands emails to one mail server; `send` never raises."""

    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def send(self, message: EmailMessage,
                   before_data: Callable[[], Awaitable[bool]] | None = None) -> Handing:
        """Hand one email (its From and To as set in it) to the server, and say how it went.

        `before_data` is awaited once the server has accepted the address, just before the
        content goes: False there withdraws the email (`WITHDRAWN`), nothing sent.
        """
        sender, recipient = str(message["From"]), str(message["To"])
        client = self.server.client()
        try:
            step = "connect"
            try:
                await client.connect()
                step = "MAIL FROM"
                await client.mail(_address(sender))
                step = "RCPT TO"
                await client.rcpt(_address(recipient))
            except Exception as exc:
                return _before_content(step, exc)
            if before_data is not None and not await before_data():
                return Handing(Handed.WITHDRAWN)
            try:
                await client.data(message.as_bytes())
            except aiosmtplib.SMTPResponseException as exc:
                return _refusal("DATA", exc.code)  # this email refused, for good or for now
            except (aiosmtplib.SMTPException, OSError) as exc:
                # The content may have reached the server before the connection went.
                return Handing(Handed.IN_DOUBT, f"DATA {type(exc).__name__}")
            return Handing(Handed.SENT)
        finally:
            await _close(client)


def _before_content(step: str, exc: Exception) -> Handing:
    """A failure before the content went: nothing can have arrived."""
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return _refusal(step, exc.code)  # this address refused
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        # The server refused us (our login, our sender, its greeting), not the member: tried
        # again once it is set right.
        log.warning("the mail server refused at %s (%s): emails wait until it takes them",
                    step, exc.code)
        return Handing(Handed.LATER, f"{step} {exc.code}")
    if isinstance(exc, (aiosmtplib.SMTPException, OSError)):
        return Handing(Handed.LATER, f"{step} {type(exc).__name__}")
    raise exc


async def _close(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


def _address(header: str) -> str:
    """The bare address in a header like `Name <a@b.org>`."""
    return parseaddr(header)[1]
