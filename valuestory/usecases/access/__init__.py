"""Who may see and do what: the doors a page and the command line ask, over the rules for
admins, conveners and researchers, which live in `queries` (as the steps other doors run).

Every front end asks here on every request, against the roles as they are now, so a revoked role
loses access at the next message, button or click. A community someone may not act on is
answered exactly as one that does not exist: None, and they learn nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Generic, TypeVar

from storage.db import Database
from valuestory.usecases import sessions
from valuestory.usecases.access import queries
from valuestory.usecases.access.queries import Named, Scope, View, is_admin

# The rules that read the grants live in `queries`, as steps inside a door's unit of work
# (`view`, `visiting`, `convened_one`, `export_scope`, ...): other doors run them from there.
__all__ = ["Named", "Scope", "View", "Visit", "communities_seen", "is_admin", "may_code", "visit"]


def may_code(view: View, conveners_code: bool) -> bool:
    """Researchers of the community and admins code its narratives; its conveners too where the
    community allows it (`conveners_code`)."""
    return view.exports is not None or (view.convenes and conveners_code)


T = TypeVar("T")


@dataclass(frozen=True)
class Visit(Generic[T]):
    """A dashboard page's answer: who its cookie signs in (None: nobody), what they may do with
    the community asked for (None: nothing, or no such community) and, when they may see it,
    what the page shows (`found`)."""

    signed: sessions.Signed | None
    view: View | None
    found: T | None = None


async def visit(db: Database, token: str | None, community_id: int, admins: frozenset[int],
                now: dt.datetime) -> Visit[None]:
    """Who a page's cookie signs in and what they may do with the community, in one read."""
    async with db.connection() as conn:
        signed, found = await queries.visiting(conn, token, community_id, admins, now)
    return Visit(signed, found)


async def communities_seen(db: Database, user_id: int, admins: frozenset[int]
                           ) -> list[tuple[Named, bool, bool]]:
    """The communities this person may look at, by name: each with whether they convene it and
    whether they may export it."""
    rows = []
    async with db.session() as session:
        for c in await queries.seen(session, user_id, admins):
            found = await queries.view(session, user_id, c.id, admins)
            if found is not None:
                rows.append((found.community, found.convenes, found.exports is not None))
    return rows


