"""Inviting members by email: a convener gives addresses (one, or a CSV file of them), and each
becomes a member reached by email, invited to the community, their invitation email queued.

Invariant: the address is kept only in member_emails and is said nowhere (no log line, no
output, no audit entry); an address already invited to, or already in, the community is not
invited twice. Consent is not taken here: the link in the invitation names the community, and the member's
page shows its participant information and asks for it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from flows import i18n
from storage.db import Database
from storage.models import Channel, Invitation
from valuestory.usecases.access.queries import convened_one
from valuestory.usecases.communities.queries import find_community
from valuestory.usecases.errors import AdminError
from valuestory.usecases.invitations import queries
from valuestory.usecases.parsing import parse_email
from valuestory.usecases.times import utcnow

log = logging.getLogger(__name__)

ADDRESS_HINT = "give one like name@example.org"


@dataclass(frozen=True)
class Invited:
    """What inviting did, in counts (never the addresses)."""

    community: str
    invited: int  # new invitations, each email queued
    already: int  # invited before, or in the community already: nothing sent


def _language(value: str | None, where: str) -> str | None:
    if value is None or not value.strip():
        return None
    language = i18n.normalise(value)
    if language is None:
        raise AdminError(f"{where}takes one of {', '.join(i18n.languages())}, not {value.strip()!r}")
    return language


def _rows(text: str, where: str = " of the file") -> list[tuple[str, str | None]]:
    """A CSV's lines: an address, and optionally a language; a header line is allowed.
    `where` says, after "line 2", where the lines were typed."""
    rows: list[tuple[str, str | None]] = []
    for number, cells in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if number == 1 and parse_email(cells[0]) is None and cells[0].lower() in (
                "email", "address", "e-mail", "email address"):
            continue  # a header
        address = parse_email(cells[0])
        if address is None:
            raise AdminError(f"line {number}{where} is not an email address: {ADDRESS_HINT}, "
                             "then a comma and a language if you like")
        if len(cells) > 2:
            raise AdminError(f"line {number}{where} has more than an address and a language")
        rows.append((address, _language(cells[1] if len(cells) > 1 else None,
                                        f"line {number}{where}: a language ")))
    if not rows:
        raise AdminError(f"there are no email addresses{where}: put one on each line")
    return rows


async def _invite(db: Database, community_ref: str, rows: Sequence[tuple[str, str | None]],
                  now: dt.datetime) -> Invited:
    invited = already = 0
    async with db.session() as session:
        community = await find_community(session, community_ref)
        seen: set[str] = set()
        for address, language in rows:
            if address.lower() in seen:
                already += 1
                continue
            seen.add(address.lower())
            member = await queries.member_by_address(session, address)
            if member is None:
                member = await queries.add_member(session, address,
                                                  language or community.language, now)
            elif (member.channel != Channel.EMAIL
                  or await queries.joined(session, member.id, community.id)
                  or await queries.invitation(session, member.id, community.id) is not None):
                already += 1
                continue
            session.add(Invitation(member_id=member.id, community_id=community.id,
                                   status=queries.DUE, created_at=now))
            invited += 1
        name = community.name
    log.info("%d invited by email to community %s (%d already)", invited, community.id, already)
    return Invited(name, invited, already)


async def invite(db: Database, community_ref: str, address: str, language: str | None = None,
                 now: dt.datetime | None = None) -> Invited:
    """Invite one address to a community by email (AdminError says what to fix)."""
    found = parse_email(address)
    if found is None:
        raise AdminError(f"--email is not an email address: {ADDRESS_HINT}")
    return await _invite(db, community_ref, [(found, _language(language, "--language "))],
                         now or utcnow())


async def invite_from_csv(db: Database, community_ref: str, text: str,
                          language: str | None = None, now: dt.datetime | None = None) -> Invited:
    """Invite every address of a CSV (address, optional language) at once, or none of them."""
    default = _language(language, "--language ")
    rows = [(address, own or default) for address, own in _rows(text)]
    return await _invite(db, community_ref, rows, now or utcnow())


async def invite_for(db: Database, user_id: int, admins: frozenset[int], community_id: int,
                     text: str, now: dt.datetime | None = None) -> Invited | None:
    """The dashboard's invitations: addresses typed one a line (each may be followed by a comma
    and a language), for a convener of the community (None for anyone else)."""
    rows = _rows(text, "")
    async with db.session() as session:
        if await convened_one(session, user_id, community_id, admins) is None:
            return None
    return await _invite(db, str(community_id), rows, now or utcnow())
