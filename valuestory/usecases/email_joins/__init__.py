"""Joining by email from a community's invite: someone opens `<PUBLIC_URL>/join/<invite code>`,
gives an address, and confirms it from the email sent to it; confirming makes them a member
asked by email (or finds the one that address already is) and opens their page, which asks
their consent for that community.

Invariant: an address is kept only once its owner confirms it (until then only in the waiting
join, which is forgotten once it expires) and the confirmation code only as its hash; asking
says the same whether or not the address is known, so the page tells no one who takes part.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass

from flows import i18n
from storage.db import Database
from storage.models import EmailJoin
from valuestory.usecases.email_joins import queries
from valuestory.usecases.emails import Kind, Letter
from valuestory.usecases.invitations import queries as invitation_queries
from valuestory.usecases.parsing import parse_email
from valuestory.usecases.times import utcnow

log = logging.getLogger(__name__)

# How long a confirmation link works.
EXPIRES = dt.timedelta(days=1)


@dataclass(frozen=True)
class Invite:
    """What the joining page shows: the community, in the language to speak."""

    community: str
    language: str


def _hashed(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def invite(db: Database, code: str, *languages: str | None) -> Invite | None:
    """The community an invite code opens (None: none), and the first of `languages` we speak
    (the page's, the browser's), else the community's."""
    async with db.session() as session:
        community = await queries.community_by_invite(session, code)
        if community is None:
            return None
        wanted = [found for found in map(i18n.normalise, languages) if found]
        return Invite(community.name, wanted[0] if wanted else community.language)


async def ask(db: Database, code: str, address: str, language: str,
              now: dt.datetime | None = None) -> Letter | str | None:
    """Someone asks to join with `address`: the email that confirms it (to send now), "address"
    if it is not one, None if the invite opens nothing."""
    now = now or utcnow()
    found = parse_email(address)
    async with db.session() as session:
        community = await queries.community_by_invite(session, code)
        if community is None:
            return None
        if found is None:
            return "address"
        await queries.forget_expired(session, now)
        confirm = secrets.token_urlsafe(24)
        language = i18n.normalise(language) or community.language
        session.add(EmailJoin(address=found, community_id=community.id, language=language,
                              code_hash=_hashed(confirm), expires_at=now + EXPIRES,
                              created_at=now))
        name = community.name
    log.info("someone asked to join community %s by email", community.id)
    return Letter(Kind.CONFIRM, found, language, confirm, name)


async def confirming(db: Database, code: str, now: dt.datetime | None = None) -> Invite | None:
    """What a confirmation link confirms (None: expired, used, or never made)."""
    async with db.session() as session:
        found = await queries.waiting(session, _hashed(code), now or utcnow())
        return Invite(found[1].name, found[0].language) if found else None


async def confirm(db: Database, code: str, now: dt.datetime | None = None) -> str | None:
    """Confirm the address: the member it makes (or already is) gets a personal link inviting
    them into the community, whose token is returned (None: expired, used, or never made)."""
    now = now or utcnow()
    async with db.session() as session:
        found = await queries.waiting(session, _hashed(code), now)
        if found is None:
            return None
        join, community = found
        member = await invitation_queries.member_by_address(session, join.address)
        if member is None:
            member = await invitation_queries.add_member(session, join.address, join.language, now)
            await session.flush()
        await invitation_queries.confirmed(session, member.id, now)
        token = await invitation_queries.new_link(session, member.id, now, community.id)
        await session.delete(join)
    log.info("an address was confirmed to join community %s", community.id)
    return token
