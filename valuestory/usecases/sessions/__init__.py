"""Dashboard sessions, in the database so any replica serves any request.

The browser holds a random token; the database holds only its hash, who it belongs to and a
CSRF token for its forms. A session ends on sign-out or after IDLE without use. It says who
someone is, never what they may see: that is asked of `access` on every request.
"""

from __future__ import annotations

import datetime as dt

from storage.db import Database
from storage.models import utcnow
from valuestory.usecases.sessions import queries
from valuestory.usecases.sessions.queries import COLUMNS as COLUMNS  # read by access.visit
from valuestory.usecases.sessions.queries import IDLE as IDLE
from valuestory.usecases.sessions.queries import Signed as Signed
from valuestory.usecases.sessions.queries import hashed as hashed


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
        return await queries.judge(conn, token_hash, user_id, csrf, last_seen, now or utcnow())


async def close(db: Database, token: str | None) -> None:
    """Sign out: the session is gone for every replica at once."""
    if not token:
        return
    async with db.session() as session:
        await queries.end(session, hashed(token))
