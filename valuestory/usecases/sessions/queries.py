"""Dashboard sessions' statements: find one by its token's hash, touch it, end it, clear the idle."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import DashboardSession

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
