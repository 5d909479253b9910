"""The roles' SQL: a person's grants, and every grant with its community's name; and granting a
role, the step a door (or the sample community) runs inside its own unit of work."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from flows import texts
from storage.models import Community, Role, RoleGrant
from valuestory.usecases.errors import AdminError


def grants_of(telegram_user_id: int) -> Any:
    """Every grant a person holds."""
    return select(RoleGrant).where(RoleGrant.telegram_user_id == telegram_user_id)


def grants_with_names(community_id: int | None) -> Any:
    """Every grant (of one community, with those covering every community) with its community's
    name, oldest first: (grant, name)."""
    query = (select(RoleGrant, Community.name)
             .outerjoin(Community, Community.id == RoleGrant.community_id).order_by(RoleGrant.id))
    if community_id is not None:
        query = query.where((RoleGrant.community_id == community_id)
                            | RoleGrant.community_id.is_(None))
    return query


def role_named(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AdminError(texts.ROLE_UNKNOWN) from None


async def grant_role(
    session: AsyncSession, telegram_user_id: int, role: str, community: Community | None
) -> RoleGrant:
    """Give a role (a step inside a door's unit of work): the grant, or the one already held."""
    role = role_named(role)
    if community is None and role is not Role.RESEARCHER:
        raise AdminError(texts.ROLE_EVERYWHERE_ONLY_RESEARCHER)
    for grant in (await session.scalars(grants_of(telegram_user_id))).all():
        if grant.role == role and grant.community_id == (community.id if community else None):
            return grant
    grant = RoleGrant(
        telegram_user_id=telegram_user_id, role=role,
        community_id=community.id if community else None,
    )
    session.add(grant)
    await session.flush()
    return grant
