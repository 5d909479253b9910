"""Dashboard sessions' statements: find one by its token's hash, touch it, end it, clear the idle;
and the steps other doors run in their own unit of work: opening one (signing in), judging one
read with the page it was read for (`access.visit`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.db import Work, connection_of
from storage.models import DashboardSession

IDLE = dt.timedelta(hours=8)
# last_seen_at is written at most this often, so reading pages does not mean writing rows.
TOUCH_EVERY = dt.timedelta(minutes=1)

# What a page needs of a session row, to judge it (also read by `access.visit`).
COLUMNS = (DashboardSession.telegram_user_id, DashboardSession.csrf_token,
           DashboardSession.last_seen_at)
_FIND = select(*COLUMNS).where(DashboardSession.token_hash == bindparam("token_hash"))


async def find(conn: AsyncConnection, token_hash: str) -> tuple[int, str, dt.datetime] | None:
    """The session row with this token's hash: who, their form token, when last seen."""
    row = (await conn.execute(_FIND, {"token_hash": token_hash})).first()
    return None if row is None else (row[0], row[1], row[2])


async def end(on: AsyncConnection | AsyncSession, token_hash: str) -> None:
    await on.execute(delete(DashboardSession).where(DashboardSession.token_hash == token_hash))


async def touch(conn: AsyncConnection, token_hash: str, now: dt.datetime) -> None:
    await conn.execute(update(DashboardSession).where(
        DashboardSession.token_hash == token_hash).values(last_seen_at=now))


async def clear_idle_since(session: AsyncSession, before: dt.datetime) -> None:
    await session.execute(delete(DashboardSession).where(DashboardSession.last_seen_at < before))


def hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Signed:
    """Who a request comes from, and the CSRF token their forms must carry."""

    user_id: int
    csrf: str
    # Their own language as a member, where the read that found the session also asked (None:
    # not asked, or not a member); a page about no community they may see speaks it.
    language: str | None = None


async def open_session(session: AsyncSession, user_id: int, now: dt.datetime) -> str:
    """A new session, in the caller's unit of work (signing in shares it); its token, for the
    cookie (sessions long idle are cleared meanwhile)."""
    await clear_idle_since(session, now - IDLE)
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
        await end(conn, token_hash)
        return None
    if last_seen < now - TOUCH_EVERY:
        await touch(conn, token_hash, now)
    return Signed(user_id, csrf)
