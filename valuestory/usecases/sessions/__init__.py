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

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database, Work, connection_of
from storage.models import DashboardSession, utcnow
from valuestory.usecases.sessions import queries
from valuestory.usecases.sessions.queries import COLUMNS as COLUMNS  # read by access.visit

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
    """A new session, in the caller's unit of work (signing in shares it); its token, for the
    cookie (sessions long idle are cleared meanwhile)."""
    await queries.clear_idle_since(session, now - IDLE)
    token = secrets.token_urlsafe(32)
    session.add(DashboardSession(token_hash=hashed(token), telegram_user_id=user_id,
                                 csrf_token=secrets.token_urlsafe(32), created_at=now,
                                 last_seen_at=now))
    return token


async def judge(work: Work, token_hash: str, user_id: int, csrf: str,
                last_seen: dt.datetime, now: dt.datetime) -> Signed | None:
    """A session row (its `COLUMNS`) read by a page's own unit of work (`access.visit`): None
    if it has been idle too long (and is gone now); its use keeps it alive."""
    conn = await connection_of(work)
    if last_seen < now - IDLE:
        await queries.end(conn, token_hash)
        return None
    if last_seen < now - TOUCH_EVERY:
        await queries.touch(conn, token_hash, now)
    return Signed(user_id, csrf)


async def resume(db: Database, token: str | None, now: dt.datetime | None = None) -> Signed | None:
    """The session a cookie names, if it is still alive; its use keeps it alive."""
    if not token:
        return None
    token_hash = hashed(token)
    async with db.connection() as conn:
        found = await queries.find(conn, token_hash)
        if found is None:
            return None
        user_id, csrf, last_seen = found
        return await judge(conn, token_hash, user_id, csrf, last_seen, now or utcnow())


async def close(db: Database, token: str | None) -> None:
    """Sign out: the session is gone for every replica at once."""
    if not token:
        return
    async with db.session() as session:
        await queries.end(session, hashed(token))
