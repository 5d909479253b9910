"""Convener and researcher roles: granted by Telegram id, so they can be given before joining."""

from __future__ import annotations

from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from flows import texts
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Role, RoleGrant
from valuestory.usecases.communities import find_community
from valuestory.usecases.errors import AdminError
from valuestory.usecases.out import Out
from valuestory.usecases.parsing import parse_telegram_id


async def grant_role(
    session: AsyncSession, telegram_user_id: int, role: str, community: Community | None
) -> RoleGrant:
    try:
        role = Role(role)
    except ValueError:
        raise AdminError("the role must be convener or researcher") from None
    if community is None and role is not Role.RESEARCHER:
        raise AdminError("only a researcher role can cover every community")
    for grant in await repo.role_grants(session, telegram_user_id):
        if grant.role == role and grant.community_id == (community.id if community else None):
            return grant
    grant = RoleGrant(
        telegram_user_id=telegram_user_id, role=role,
        community_id=community.id if community else None,
    )
    session.add(grant)
    await session.flush()
    return grant


async def grant_for_admin(db: Database, args: list[str]) -> list[Out]:
    """/grant <telegram user id> convener|researcher <community name or id>."""
    user_id = parse_telegram_id(args[0]) if args else None
    if len(args) < 3 or user_id is None:
        return [Out(escape(texts.ROLE_USAGE))]
    role, ref = args[1].lower(), " ".join(args[2:])
    try:
        async with db.session() as session:
            community = await find_community(session, ref)
            await grant_role(session, user_id, role, community)
    except AdminError as exc:
        return [Out(escape(str(exc).capitalize()) + ".")]
    return [Out(texts.ROLE_GRANTED.format(user=user_id, role=role,
                                          community=escape(community.name)))]
