"""Convener and researcher roles: granted by Telegram id, so they can be given before joining.

Who may do what is read from the grants at every message, so a revoked role ends at once.
"""

from __future__ import annotations

from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from flows import texts
from storage.db import Database
from storage.models import Community, Role, RoleGrant
from valuestory.usecases.access import is_admin
from valuestory.usecases.communities import find_community
from valuestory.usecases.errors import AdminError
from valuestory.usecases.out import Out
from valuestory.usecases.parsing import parse_telegram_id
from valuestory.usecases.roles import queries


def _sentence(exc: AdminError) -> str:
    """An admin error as a reply: capitalised without lowering a community's name."""
    said = str(exc)
    return escape(said[:1].upper() + said[1:]) + "."


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AdminError("the role must be convener or researcher") from None


async def grant_role(
    session: AsyncSession, telegram_user_id: int, role: str, community: Community | None
) -> RoleGrant:
    role = _role(role)
    if community is None and role is not Role.RESEARCHER:
        raise AdminError("only a researcher role can cover every community")
    for grant in (await session.scalars(queries.grants_of(telegram_user_id))).all():
        if grant.role == role and grant.community_id == (community.id if community else None):
            return grant
    grant = RoleGrant(
        telegram_user_id=telegram_user_id, role=role,
        community_id=community.id if community else None,
    )
    session.add(grant)
    await session.flush()
    return grant


async def grant_for_admin(db: Database, user_id: int, admins: frozenset[int],
                          args: list[str]) -> list[Out]:
    """/grant <telegram user id> convener|researcher <community name or id>, for admins."""
    if not is_admin(user_id, admins):
        return [Out(texts.NOT_ALLOWED)]
    whom = parse_telegram_id(args[0]) if args else None
    if len(args) < 3 or whom is None:
        return [Out(escape(texts.ROLE_USAGE))]
    role, ref = args[1].lower(), " ".join(args[2:])
    try:
        async with db.session() as session:
            community = await find_community(session, ref)
            await grant_role(session, whom, role, community)
    except AdminError as exc:
        return [Out(_sentence(exc))]
    return [Out(texts.ROLE_GRANTED.format(user=whom, role=role,
                                          community=escape(community.name)))]


async def _list_roles(session: AsyncSession, community: Community | None = None
                      ) -> list[dict[str, object]]:
    """Every grant (of one community, with those covering every community), oldest first."""
    query = queries.grants_with_names(community.id if community is not None else None)
    return [{"id": g.id, "telegram_user_id": g.telegram_user_id, "role": g.role, "community": name}
            for g, name in (await session.execute(query)).all()]


async def _revoke_role(
    session: AsyncSession, telegram_user_id: int, role: str, community: Community | None
) -> int:
    """Take a role away: in one community, or (without one) wherever it is held. How many went."""
    role = _role(role)
    grants = [g for g in (await session.scalars(queries.grants_of(telegram_user_id))).all()
              if g.role == role
              and (community is None or g.community_id == community.id)]
    if not grants:
        where = community.name if community else "any community"
        raise AdminError(f"{telegram_user_id} is not a {role.value} of {where}")
    for grant in grants:
        await session.delete(grant)
    await session.flush()
    return len(grants)


async def revoke_for_admin(db: Database, user_id: int, admins: frozenset[int],
                           args: list[str]) -> list[Out]:
    """/revoke <telegram user id> convener|researcher [community name or id], for admins."""
    if not is_admin(user_id, admins):
        return [Out(texts.NOT_ALLOWED)]
    whom = parse_telegram_id(args[0]) if args else None
    if len(args) < 2 or whom is None:
        return [Out(escape(texts.ROLE_REVOKE_USAGE))]
    role, ref = args[1].lower(), " ".join(args[2:])
    try:
        async with db.session() as session:
            community = await find_community(session, ref) if ref else None
            await _revoke_role(session, whom, role, community)
    except AdminError as exc:
        return [Out(_sentence(exc))]
    where = escape(community.name) if community else texts.ROLE_EVERYWHERE
    return [Out(texts.ROLE_REVOKED.format(user=whom, role=role, community=where))]


async def grant(db: Database, telegram_user_id: int, role: str,
                community: str | None) -> tuple[int, str | None]:
    """Give a role in a community given by name or id (None: every community, for researchers):
    the grant's id and the community's name."""
    async with db.session() as session:
        c = await find_community(session, community) if community else None
        granted = await grant_role(session, telegram_user_id, role, c)
        return granted.id, c.name if c else None


async def listing(db: Database, community: str | None = None) -> list[dict[str, object]]:
    """`_list_roles` of a community given by name or id (None: every grant)."""
    async with db.session() as session:
        c = await find_community(session, community) if community else None
        return await _list_roles(session, c)


async def revoke(db: Database, telegram_user_id: int, role: str,
                 community: str | None) -> tuple[int, str | None]:
    """`_revoke_role` in a community given by name or id (None: wherever it is held): how many
    grants went, and the community's name."""
    async with db.session() as session:
        c = await find_community(session, community) if community else None
        return await _revoke_role(session, telegram_user_id, role, c), c.name if c else None
