"""Who may see and do what: the one place the rules for admins, conveners and researchers live.

Every front end asks here on every request, against the roles as they are now, so a revoked role
loses access at the next message, button or click. A community someone may not act on is
answered exactly as one that does not exist: None, and they learn nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database, Work, connection_of
from storage.models import Community, Role
from valuestory.usecases import sessions
from valuestory.usecases.access import queries


def is_admin(user_id: int, admins: frozenset[int]) -> bool:
    """Admins are named by Telegram id in ADMIN_TELEGRAM_IDS."""
    return user_id in admins


async def convened(session: AsyncSession, user_id: int, admins: frozenset[int]) -> list[Community]:
    """The communities this person may act on as a convener, by name."""
    query = queries.convened(None if is_admin(user_id, admins) else user_id)
    return list((await session.scalars(query)).unique().all())


async def convened_one(session: AsyncSession, user_id: int, community_id: int,
                       admins: frozenset[int]) -> Community | None:
    """The community, if this person convenes it (or is an admin); None tells them nothing."""
    return await _granted(session, user_id, community_id, admins,
                          queries.convenes(community_id))


@dataclass(frozen=True)
class Scope:
    """What one person may export; `actor` names them in the audit log without a Telegram id."""

    actor: str
    community_ids: frozenset[int] | None  # None: every community


async def export_scope(session: AsyncSession, user_id: int, admins: frozenset[int]) -> Scope | None:
    """Admins and researchers (of some communities, or all) may export; None for anyone else."""
    if is_admin(user_id, admins):
        return Scope("admin", None)
    grants = (await session.scalars(queries.researcher_grants(user_id))).all()
    if not grants:
        return None
    actor = "researcher grant " + ",".join(f"#{g.id}" for g in grants)
    if any(g.community_id is None for g in grants):
        return Scope(actor, None)
    return Scope(actor, frozenset(g.community_id for g in grants if g.community_id is not None))


async def has_a_role(session: AsyncSession, user_id: int, admins: frozenset[int]) -> bool:
    """Admins, conveners and researchers (of any community) may open the dashboard."""
    if is_admin(user_id, admins):
        return True
    return await session.scalar(queries.a_grant(user_id, queries.ANY_ROLE)) is not None


async def seen(session: AsyncSession, user_id: int, admins: frozenset[int]) -> list[Community]:
    """The communities this person may look at: those they convene or research, by name."""
    if is_admin(user_id, admins):
        return list((await session.scalars(queries.communities(None))).all())
    grants = (await session.execute(queries.granted_communities(user_id))).scalars().all()
    if not grants:
        return []
    # A researcher grant with no community covers every one.
    ids = None if None in grants else [g for g in grants if g is not None]
    return list((await session.scalars(queries.communities(ids))).all())


async def _granted(session: AsyncSession, user_id: int, community_id: int,
                   admins: frozenset[int], grants: Any) -> Community | None:
    """The community, if it exists and this person is an admin or holds a grant matching `grants`."""
    community = await session.get(Community, community_id)
    if community is None:
        return None
    if is_admin(user_id, admins):
        return community
    grant = await session.scalar(queries.a_grant(user_id, grants))
    return community if grant is not None else None


@dataclass(frozen=True)
class Named:
    """What every page shows of the community it is about."""

    id: int
    name: str
    timezone: str


@dataclass(frozen=True)
class View:
    """What one person may do with one community, read in one go for a page."""

    community: Named
    convenes: bool
    exports: Scope | None  # their export scope, if it covers this community


async def view(session: AsyncSession, user_id: int, community_id: int,
               admins: frozenset[int]) -> View | None:
    """The community and this person's rights in it, if they may see it at all; else None.

    The same rules as `convened_one` and `export_scope` (and `seen` for one community), in two
    queries.
    """
    community = await session.get(Community, community_id)
    if community is None:
        return None
    grants = [] if is_admin(user_id, admins) else (await session.execute(
        queries.grants_of(user_id))).all()
    return _view(Named(community.id, community.name, community.timezone), user_id, admins, grants)


def _view(community: Named, user_id: int, admins: frozenset[int], grants: Any) -> View | None:
    """`view`'s rules, given the community and all of this person's grants (id, role, community)."""
    if is_admin(user_id, admins):
        return View(community, True, Scope("admin", None))
    convenes = any(r == Role.CONVENER and c == community.id for _, r, c in grants)
    research = [(i, c) for i, r, c in grants if r == Role.RESEARCHER]
    scope: Scope | None = None
    if research:
        actor = "researcher grant " + ",".join(f"#{i}" for i, _ in research)
        ids = {c for _, c in research}
        scope = Scope(actor, None if None in ids else frozenset(c for c in ids if c is not None))
    covered = scope is not None and (scope.community_ids is None or community.id in scope.community_ids)
    if not convenes and not covered:
        return None
    return View(community, convenes, scope if covered else None)


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
        signed, found = await visiting(conn, token, community_id, admins, now)
    return Visit(signed, found)


async def communities_seen(db: Database, user_id: int, admins: frozenset[int]
                           ) -> list[tuple[Named, bool, bool]]:
    """The communities this person may look at, by name: each with whether they convene it and
    whether they may export it."""
    rows = []
    async with db.session() as session:
        for c in await seen(session, user_id, admins):
            found = await view(session, user_id, c.id, admins)
            if found is not None:
                rows.append((found.community, found.convenes, found.exports is not None))
    return rows


async def visiting(work: Work, token: str | None, community_id: int, admins: frozenset[int],
                   now: dt.datetime) -> tuple[sessions.Signed | None, View | None]:
    """`visit` inside a page's own unit of work, for a page that reads more in the same one: who
    the cookie signs in (None: nobody) and what they may do with the community they ask for
    (None: nothing, or no such community), as `sessions.find` and `view` would say."""
    if not token:
        return None, None
    token_hash = sessions.hashed(token)
    conn = await connection_of(work)
    rows: Any = (await conn.execute(
        queries.VISIT, {"token_hash": token_hash, "community_id": community_id})).all()
    if not rows:
        return None, None
    user_id, csrf, last_seen, cid, name, zone = rows[0][:6]
    signed = await sessions.judge(conn, token_hash, user_id, csrf, last_seen, now)
    if signed is None or cid is None:
        return signed, None
    grants = [row[6:] for row in rows if row[6] is not None]
    return signed, _view(Named(cid, name, zone), user_id, admins, grants)
