"""Convener and researcher roles: granted by Telegram id, so they can be given before joining.

Who may do what is read from the grants at every message, so a revoked role ends at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n, texts
from storage.db import Database
from storage.models import Community
from valuestory.usecases.access import is_admin
from valuestory.usecases.communities.queries import find_community
from valuestory.usecases.errors import AdminError
from valuestory.usecases.out import Out
from valuestory.usecases.parsing import parse_telegram_id
from valuestory.usecases.roles import queries
from valuestory.usecases.roles.queries import grant_role
from valuestory.usecases.speaking import say, staff_language_for
from valuestory.usecases.speaking.queries import staff_language


async def _refusal(db: Database, user_id: int, where: list[int] | None,
                   exc: AdminError) -> list[Out]:
    """What can't be done, in the admin's language (the community's, once it is known)."""
    return [Out(exc.sentence(say(await staff_language_for(db, user_id, where))))]


async def grant_for_admin(db: Database, user_id: int, admins: frozenset[int],
                          args: list[str]) -> list[Out]:
    """/grant <telegram user id> convener|researcher <community name or id>, for admins, answered
    in their language (theirs as a member, else the community's)."""
    whom = parse_telegram_id(args[0]) if args else None
    if not is_admin(user_id, admins) or len(args) < 3 or whom is None:
        t = say(await staff_language_for(db, user_id))
        return [Out(t.NOT_ALLOWED if not is_admin(user_id, admins) else escape(t.ROLE_USAGE))]
    role, ref = args[1].lower(), " ".join(args[2:])
    where: list[int] | None = None
    try:
        async with db.session() as session:
            community = await find_community(session, ref)
            where = [community.id]
            await grant_role(session, whom, role, community)
            t = say(await staff_language(session, user_id, where))
    except AdminError as exc:
        return await _refusal(db, user_id, where, exc)
    return [Out(t.ROLE_GRANTED.format(user=whom, role=role,
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
    role = queries.role_named(role)
    grants = [g for g in (await session.scalars(queries.grants_of(telegram_user_id))).all()
              if g.role == role
              and (community is None or g.community_id == community.id)]
    if not grants:
        if community is None:
            raise AdminError(texts.ROLE_NOT_HELD_ANYWHERE, user=telegram_user_id, role=role.value)
        raise AdminError(texts.ROLE_NOT_HELD, user=telegram_user_id, role=role.value,
                         community=community.name)
    for grant in grants:
        await session.delete(grant)
    await session.flush()
    return len(grants)


async def revoke_for_admin(db: Database, user_id: int, admins: frozenset[int],
                           args: list[str]) -> list[Out]:
    """/revoke <telegram user id> convener|researcher [community name or id], for admins,
    answered in their language (theirs as a member, else the community's)."""
    whom = parse_telegram_id(args[0]) if args else None
    if not is_admin(user_id, admins) or len(args) < 2 or whom is None:
        t = say(await staff_language_for(db, user_id))
        return [Out(t.NOT_ALLOWED if not is_admin(user_id, admins)
                    else escape(t.ROLE_REVOKE_USAGE))]
    role, ref = args[1].lower(), " ".join(args[2:])
    where: list[int] | None = None
    try:
        async with db.session() as session:
            community = await find_community(session, ref) if ref else None
            where = [community.id] if community else None
            await _revoke_role(session, whom, role, community)
            t = say(await staff_language(session, user_id, where))
    except AdminError as exc:
        return await _refusal(db, user_id, where, exc)
    place = escape(community.name) if community else t.ROLE_EVERYWHERE
    return [Out(t.ROLE_REVOKED.format(user=whom, role=role, community=place))]


@dataclass(frozen=True)
class Changed:
    """A role granted or revoked on the command line: the grant's id (or how many grants went),
    the community's name (None: every community), and the reply as plain text.

    Whoever runs the command line is known to the bot by no Telegram id, so the reply is in the
    language of the community it is about (English when it is about none), as a convener who is
    not a member is answered."""

    count: int
    community: str | None
    said: str


def _plain(language: str, name: str) -> str:
    """A community's name in a plain-text sentence: isolated, as in Telegram's, but not escaped."""
    return name if language == i18n.BASE_LANGUAGE else i18n.isolate(name)


async def grant(db: Database, telegram_user_id: int, role: str,
                community: str | None) -> Changed:
    """Give a role in a community given by name or id (None: every community, for researchers)."""
    async with db.session() as session:
        c = await find_community(session, community) if community else None
        granted = await grant_role(session, telegram_user_id, role, c)
    t = say(c.language if c else None)
    said = (t.ROLE_GRANTED.format(user=telegram_user_id, role=role,
                                  community=_plain(t.language, c.name)) if c
            else t.ROLE_GRANTED_EVERYWHERE.format(user=telegram_user_id, role=role))
    return Changed(granted.id, c.name if c else None, said)


async def listing(db: Database, community: str | None = None) -> list[dict[str, object]]:
    """`_list_roles` of a community given by name or id (None: every grant); `where` names the
    community, or says every community (in English: the list is about several)."""
    async with db.session() as session:
        c = await find_community(session, community) if community else None
        found = await _list_roles(session, c)
    everywhere = say(None).ROLE_EVERY_COMMUNITY
    return [{**row, "where": row["community"] or everywhere} for row in found]


async def revoke(db: Database, telegram_user_id: int, role: str,
                 community: str | None) -> Changed:
    """`_revoke_role` in a community given by name or id (None: wherever it is held)."""
    async with db.session() as session:
        c = await find_community(session, community) if community else None
        revoked = await _revoke_role(session, telegram_user_id, role, c)
    t = say(c.language if c else None)
    where = _plain(t.language, c.name) if c else t.ROLE_EVERYWHERE
    return Changed(revoked, c.name if c else None,
                   t.ROLE_REVOKED.format(user=telegram_user_id, role=role, community=where))


__all__ = ["Changed", "grant", "grant_for_admin", "listing", "revoke", "revoke_for_admin"]
