"""Members reached by email: what each email says (`Letter`), for the mail front end to send,
stopping the emails from the link in each of them (`stopping`, `unsubscribe`), and starting
them again from the member's own page (`on_page`).

Stopping pauses the member, as /pause does in Telegram: nothing more is sent to them about any
community, by email or otherwise, and what they shared is kept. Starting again undoes exactly
that, and only from a link that still opens the member's page: an unsubscribe address keeps
stopping the emails after its link is revoked, but never starts them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from storage.db import Database
from valuestory.usecases.emails import queries
from valuestory.usecases.emails.model import Kind, Letter
from valuestory.usecases.times import utcnow

__all__ = ["Kind", "Letter", "Stopping", "stopping", "unsubscribe"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stopping:
    """What the unsubscribe page says: in the member's language, and whether it is done."""

    language: str
    stopped: bool


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def stopping(db: Database, token: str) -> Stopping | None:
    """Whose emails a link stops (None: a link that opens nothing), and if they are stopped."""
    async with db.session() as session:
        found = await queries.member_of(session, _hashed(token))
    if found is None:
        return None
    _, language, paused, stopped_at = found
    return Stopping(language, bool(paused) and stopped_at is not None)


async def unsubscribe(db: Database, token: str, now: dt.datetime | None = None) -> Stopping | None:
    """Stop the emails of the link's member (a one-click POST, or the page's button): they are
    paused. None for a link that opens nothing; stopping twice is stopping once."""
    now = now or utcnow()
    async with db.session() as session:
        found = await queries.member_of(session, _hashed(token))
        if found is None:
            return None
        member_id, language, _, _ = found
        await queries.stop(session, member_id, now)
    log.info("a member stopped their emails")
    return Stopping(language, True)

