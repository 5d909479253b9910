"""Dashboard sessions, in the database so any replica serves any request.

The browser holds a random token; the database holds only its hash, who it belongs to and a
CSRF token for its forms. A session ends on sign-out or after IDLE without use. It says who
someone is, never what they may see: that is asked of `access` on every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import DashboardSession, utcnow

IDLE = dt.timedelta(hours=8)
# last_seen_at is written at most this often, so reading pages does not mean writing rows.
TOUCH_EVERY = dt.timedelta(minutes=1)


def hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Signed:
    """Who a request comes from, and the CSRF token their forms must carry."""

    user_id: int
    csrf: str


async def open_session(session: AsyncSession, user_id: int, now: dt.datetime) -> str:
    """A new session; its token, for the cookie (sessions long idle are cleared meanwhile)."""
    await session.execute(delete(DashboardSession).where(DashboardSession.last_seen_at < now - IDLE))
    token = secrets.token_urlsafe(32)
    session.add(DashboardSession(token_hash=hashed(token), telegram_user_id=user_id,
                                 csrf_token=secrets.token_urlsafe(32), created_at=now,
                                 last_seen_at=now))
    return token


async def find(session: AsyncSession, token: str | None, now: dt.datetime) -> Signed | None:
    """The session a cookie names, if it is still alive; its use keeps it alive."""
    if not token:
        return None
    found = await session.get(DashboardSession, hashed(token))
    if found is None:
        return None
    if found.last_seen_at < now - IDLE:
        await session.delete(found)
        return None
    if found.last_seen_at < now - TOUCH_EVERY:
        found.last_seen_at = now
    return Signed(found.telegram_user_id, found.csrf_token)


async def resume(db: Database, token: str | None, now: dt.datetime | None = None) -> Signed | None:
    """`find`, in a unit of work of its own."""
    if not token:
        return None
    async with db.session() as session:
        return await find(session, token, now or utcnow())


async def close(db: Database, token: str | None) -> None:
    """Sign out: the session is gone for every replica at once."""
    if not token:
        return
    async with db.session() as session:
        await session.execute(delete(DashboardSession).where(
            DashboardSession.token_hash == hashed(token)))
