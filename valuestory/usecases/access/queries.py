"""Who may see what: the grants and communities `access` reads to decide it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from storage.models import Community, DashboardSession, Role, RoleGrant
from valuestory.usecases import sessions

ANY_ROLE = RoleGrant.role.in_((Role.CONVENER, Role.RESEARCHER))


def convened(user_id: int | None) -> Any:
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


# A page's first read, in one statement: the session its cookie names, the community it asks
# for and every grant of the person signed in (one row each, or one row of nothing).
VISIT = (select(*sessions.COLUMNS, Community.id, Community.name, Community.timezone,
                RoleGrant.id, RoleGrant.role, RoleGrant.community_id)
         .select_from(DashboardSession)
         .outerjoin(Community, Community.id == bindparam("community_id"))
         .outerjoin(RoleGrant, RoleGrant.telegram_user_id == DashboardSession.telegram_user_id)
         .where(DashboardSession.token_hash == bindparam("token_hash"))
         .order_by(RoleGrant.id))
