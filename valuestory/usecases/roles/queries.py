"""The roles' SQL: a person's grants, and every grant with its community's name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Community, RoleGrant


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
