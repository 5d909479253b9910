"""Who may see what: the grants and communities `access` reads, and the rules that decide it,
as steps a door runs inside its own unit of work (`convened_one`, `view`, `visiting`, ...): the
one place those rules live."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n
from storage.db import Work, connection_of
from storage.models import Community, DashboardSession, Member, Role, RoleGrant
from valuestory.usecases import sessions


def is_admin(user_id: int, admins: frozenset[int]) -> bool:
    """Admins are named by Telegram id in ADMIN_TELEGRAM_IDS."""
    return user_id in admins


ANY_ROLE = RoleGrant.role.in_((Role.CONVENER, Role.RESEARCHER))


def convened_by(user_id: int | None) -> Any:
    """The communities a person convenes (every one for an admin, `user_id` None), by name."""
    query = select(Community).order_by(Community.name)
    if user_id is not None:
        query = query.join(RoleGrant, RoleGrant.community_id == Community.id).where(
            RoleGrant.telegram_user_id == user_id, RoleGrant.role == Role.CONVENER)
    return query


def convenes(community_id: int) -> Any:
    """A grant to convene the community."""
    return (RoleGrant.community_id == community_id) & (RoleGrant.role == Role.CONVENER)


def a_grant(user_id: int, grants: Any) -> Any:
    """One of a person's grants matching `grants`, if they hold any."""
    return select(RoleGrant.id).where(RoleGrant.telegram_user_id == user_id, grants).limit(1)


def researcher_grants(user_id: int) -> Any:
    return (select(RoleGrant).where(RoleGrant.telegram_user_id == user_id,
                                    RoleGrant.role == Role.RESEARCHER).order_by(RoleGrant.id))


def granted_communities(user_id: int) -> Any:
    """The communities of a person's convener and researcher grants (None: every community)."""
    return select(RoleGrant.community_id).where(RoleGrant.telegram_user_id == user_id, ANY_ROLE)


def communities(ids: list[int] | None) -> Any:
    """Communities by name: these, or (None) every one."""
    query = select(Community).order_by(Community.name)
    return query if ids is None else query.where(Community.id.in_(ids))


def grants_of(user_id: int) -> Any:
    """Every grant of a person: (id, role, community_id), oldest first."""
    return (select(RoleGrant.id, RoleGrant.role, RoleGrant.community_id)
            .where(RoleGrant.telegram_user_id == user_id).order_by(RoleGrant.id))


def own_language(user_id: int) -> Any:
    """A person's own language as a member (no row if they are none)."""
    return select(Member.language).where(Member.telegram_user_id == user_id)


# A page's first read, in one statement: the session its cookie names, the community it asks
# for (with its language), the language of the person signed in as a member, if they are one,
# and every grant of theirs (one row each, or one row of nothing).
VISIT = (select(*sessions.COLUMNS, Community.id, Community.name, Community.timezone,
                Community.language, Member.language,
                RoleGrant.id, RoleGrant.role, RoleGrant.community_id)
         .select_from(DashboardSession)
         .outerjoin(Community, Community.id == bindparam("community_id"))
         .outerjoin(Member, Member.telegram_user_id == DashboardSession.telegram_user_id)
         .outerjoin(RoleGrant, RoleGrant.telegram_user_id == DashboardSession.telegram_user_id)
         .where(DashboardSession.token_hash == bindparam("token_hash"))
         .order_by(RoleGrant.id))


# --- the rules, as steps inside a door's unit of work -----------------------------------


async def convened(session: AsyncSession, user_id: int, admins: frozenset[int]) -> list[Community]:
    """The communities this person may act on as a convener, by name."""
    query = convened_by(None if is_admin(user_id, admins) else user_id)
    return list((await session.scalars(query)).unique().all())


async def convened_one(session: AsyncSession, user_id: int, community_id: int,
                       admins: frozenset[int]) -> Community | None:
    """The community, if this person convenes it (or is an admin); None tells them nothing."""
    return await _granted(session, user_id, community_id, admins,
                          convenes(community_id))


@dataclass(frozen=True)
class Scope:
    """What one person may export; `actor` names them in the audit log without a Telegram id."""

    actor: str
    community_ids: frozenset[int] | None  # None: every community


async def export_scope(session: AsyncSession, user_id: int, admins: frozenset[int]) -> Scope | None:
    """Admins and researchers (of some communities, or all) may export; None for anyone else."""
    if is_admin(user_id, admins):
        return Scope("admin", None)
    grants = (await session.scalars(researcher_grants(user_id))).all()
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
    return await session.scalar(a_grant(user_id, ANY_ROLE)) is not None


async def seen(session: AsyncSession, user_id: int, admins: frozenset[int]) -> list[Community]:
    """The communities this person may look at: those they convene or research, by name."""
    if is_admin(user_id, admins):
        return list((await session.scalars(communities(None))).all())
    grants = (await session.execute(granted_communities(user_id))).scalars().all()
    if not grants:
        return []
    # A researcher grant with no community covers every one.
    ids = None if None in grants else [g for g in grants if g is not None]
    return list((await session.scalars(communities(ids))).all())


async def _granted(session: AsyncSession, user_id: int, community_id: int,
                   admins: frozenset[int], grants: Any) -> Community | None:
    """The community, if it exists and this person is an admin or holds a grant matching `grants`."""
    community = await session.get(Community, community_id)
    if community is None:
        return None
    if is_admin(user_id, admins):
        return community
    grant = await session.scalar(a_grant(user_id, grants))
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
    # What their pages speak: their own language as a member, else the community's.
    language: str = i18n.BASE_LANGUAGE


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
        grants_of(user_id))).all()
    language = i18n.pick(await session.scalar(own_language(user_id)), community.language)
    return _view(Named(community.id, community.name, community.timezone), user_id, admins, grants,
                 language)


def _view(community: Named, user_id: int, admins: frozenset[int], grants: Any,
          language: str = i18n.BASE_LANGUAGE) -> View | None:
    """`view`'s rules, given the community and all of this person's grants (id, role, community)."""
    if is_admin(user_id, admins):
        return View(community, True, Scope("admin", None), language)
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
    return View(community, convenes, scope if covered else None, language)


async def visiting(work: Work, token: str | None, community_id: int, admins: frozenset[int],
                   now: dt.datetime) -> tuple[sessions.Signed | None, View | None]:
    """`visit` inside a page's own unit of work, for a page that reads more in the same one: who
    the cookie signs in (None: nobody) and what they may do with the community they ask for
    (None: nothing, or no such community), as `sessions.resume` and `view` would say."""
    if not token:
        return None, None
    token_hash = sessions.hashed(token)
    conn = await connection_of(work)
    rows: Any = (await conn.execute(
        VISIT, {"token_hash": token_hash, "community_id": community_id})).all()
    if not rows:
        return None, None
    user_id, csrf, last_seen, cid, name, zone, spoken, own = rows[0][:8]
    signed = await sessions.queries.judge(conn, token_hash, user_id, csrf, last_seen, now)
    if signed is not None and own is not None:
        signed = replace(signed, language=i18n.pick(own))
    if signed is None or cid is None:
        return signed, None
    grants = [row[8:] for row in rows if row[8] is not None]
    return signed, _view(Named(cid, name, zone), user_id, admins, grants, i18n.pick(own, spoken))
