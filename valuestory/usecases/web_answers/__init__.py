"""Members answering in the browser, through a personal link: the doors of their pages.

A link's token (32 random bytes, URL-safe) is shown once, when it is made, and kept only as its
SHA-256: whoever reads the database opens no page. It works on any device until it is revoked
(a revoked link is refused kindly, in its member's language; an unknown one says the same, so
nothing tells a guess from a link that was real). Every door finds the member by their link
first, then runs the conversation's and rights' own doors for that member: the rules live there,
once, for Telegram and the page alike. A link may invite its member into a community; they join
when they agree to its participant information, recorded as in Telegram.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flows import i18n
from storage import repositories as repo
from storage.db import Database, driver_time
from storage.models import Channel, Member, MemberLink, PromptStatus, utcnow
from valuestory.usecases import rights, speaking
from valuestory.usecases.access.queries import convened_one
from valuestory.usecases.channels import queries as channel_queries
from valuestory.usecases.communities.queries import find_community
from valuestory.usecases.conversation import page as story
from valuestory.usecases.errors import AdminError
from valuestory.usecases.out import Out
from valuestory.usecases.web_answers import queries

log = logging.getLogger(__name__)

LINK_PATH = "/answer/"
# last_used_at is a day-to-day fact ("used this week"), not a log: written at most this often.
USED_EVERY = dt.timedelta(minutes=10)


def language_or_base(*codes: str | None) -> str:
    """The first language given (a query string's, a browser's) that we speak; else English."""
    return next((found for found in map(i18n.normalise, codes) if found), i18n.BASE_LANGUAGE)


def hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Refused:
    """A link that opens nothing: unknown (or its member left) or revoked, said the same way
    (`WEB_LINK_GONE`), in its member's language where it is known (None: the browser's)."""

    language: str | None


@dataclass(frozen=True)
class Visitor:
    member_id: int
    language: str
    invited_to: int | None  # a community the link invites them into, not joined yet


@dataclass(frozen=True)
class Page:
    """What a member's page shows, in their language."""

    language: str
    screen: story.Screen = None
    joining: story.Joining | None = None
    check_waiting: bool = False  # a members' check waits for them: the page points to it


def _refused_or_visitor(row: Sequence[Any] | None) -> Visitor | Refused:
    if row is None or row[3] is not None:  # unknown, or revoked
        return Refused(None if row is None else row[5])
    return Visitor(row[1], row[5], None if row[6] else row[2])


async def _touch(db: Database, row: Sequence[Any], now: dt.datetime) -> None:
    used_at = driver_time(row[4])
    if used_at is None or used_at < now - USED_EVERY:
        async with db.one_statement() as conn:
            await queries.used(conn, row[0], now)


async def _visitor(db: Database, token: str, now: dt.datetime) -> Visitor | Refused:
    async with db.reading() as conn:
        row = await queries.link(conn, hashed(token))
    who = _refused_or_visitor(row)
    if row is not None and isinstance(who, Visitor):
        await _touch(db, row, now)
    return who


async def visitor(db: Database, token: str, now: dt.datetime | None = None) -> Visitor | Refused:
    """Whose page a link opens, for the doors of the member's other pages (the check's)."""
    return await _visitor(db, token, now or utcnow())


async def page(db: Database, token: str, now: dt.datetime | None = None) -> Page | Refused:
    """/answer/<token>: the participant information to agree to first, or the member's story:
    the question they are on, one just finished, or nothing to answer.

    The question they are on, or the story just finished, and whether a members' check waits
    for them, are read with the link in one statement, outside the writers' turn (every answer
    sent is followed by this page); the participant information is read apart, as it is shown
    once."""
    now = now or utcnow()
    async with db.reading() as conn:
        rows = await queries.page(conn, hashed(token))
    who = _refused_or_visitor(rows[0] if rows else None)
    if isinstance(who, Refused):
        return who
    await _touch(db, rows[0], now)
    if who.invited_to is not None:
        joining = await story.joining(db, who.member_id, who.invited_to)
        if joining is not None:
            return Page(who.language, joining=joining)
    first = rows[0]
    check_waiting = bool(first[22])
    if first[7] is None:  # no story open, nor any told
        return Page(who.language, check_waiting=check_waiting)
    said: dict[str, str] = {}
    chosen: dict[str, tuple[str, ...]] = {}
    for row in rows:
        kind, question_id, value = row[17:20]
        if kind == "n":
            said[question_id] = value
        elif kind == "c":
            chosen[question_id] = tuple(json.loads(value))
    shown = story.OpenPrompt(first[7], first[8], first[9], first[10], bool(first[11]),
                             bool(first[12]), first[13],
                             None if first[14] is None else bool(first[14]), first[15],
                             first[16] or "")
    if first[20] != PromptStatus.OPEN:  # the story told last: its recap, for a day
        return Page(who.language, story.told(who.language, shown, first[20],
                                             driver_time(first[21]), (said, chosen), now),
                    check_waiting=check_waiting)
    return Page(who.language, story.showing(who.language, shown, (said, chosen)),
                check_waiting=check_waiting)


async def send(db: Database, token: str, prompt_id: str, action: str, text: str | None,
               now: dt.datetime | None = None) -> story.Sent | Refused:
    """A form sent from the page: the button pressed and what the text box held.

    The link is read with the member and the prompt, locked, in the one statement that begins
    the answer's unit of work (`story.send_by_link`): no read of the link before it, one round
    trip fewer on PostgreSQL."""
    now = now or utcnow()
    if not prompt_id.isdigit():
        who = await _visitor(db, token, now)
        if isinstance(who, Refused):
            return who
        return story.Sent(speaking.say(who.language).STALE_BUTTON)
    row, sent = await story.send_by_link(db, queries.link_statement(), hashed(token),
                                         int(prompt_id), action, text, now)
    who = _refused_or_visitor(row)
    if isinstance(who, Refused):
        return who
    assert row is not None
    await _touch(db, row, now)
    return sent


async def agree(db: Database, token: str, community_id: str, version: str, language: str,
                now: dt.datetime | None = None) -> Refused | None:
    """I agree, under the participant information the page showed."""
    now = now or utcnow()
    who = await _visitor(db, token, now)
    if isinstance(who, Refused):
        return who
    if who.invited_to is not None and community_id == str(who.invited_to):
        await story.agree_on_page(db, who.member_id, who.invited_to, version,
                                  i18n.normalise(language) or who.language, now)
    return None


async def my_data(db: Database, token: str, now: dt.datetime | None = None
                  ) -> tuple[str, str | None] | Refused:
    """/mydata on the page: (language, everything held about the member as text, or None)."""
    now = now or utcnow()
    who = await _visitor(db, token, now)
    if isinstance(who, Refused):
        return who
    return who.language, await rights.my_data(db, None, now, language=who.language,
                                              member_id=who.member_id, on_page=True)


async def channel_choice(db: Database, token: str, now: dt.datetime | None = None
                         ) -> tuple[str, str | None] | Refused:
    """Where the member is asked, for the setting on their page: (language, their channel), the
    channel None unless they can choose (they are in Telegram and have an address confirmed)."""
    now = now or utcnow()
    who = await _visitor(db, token, now)
    if isinstance(who, Refused):
        return who
    async with db.session() as session:
        member = await session.get(Member, who.member_id)
        if member is None or member.telegram_user_id is None \
                or not await channel_queries.email_confirmed(session, member.id):
            return who.language, None
        return who.language, member.channel


async def set_channel(db: Database, token: str, channel: str, now: dt.datetime | None = None
                      ) -> str | Refused:
    """The setting on the member's page: asked in Telegram or by email, where they can choose.
    The language to say so in."""
    now = now or utcnow()
    who = await _visitor(db, token, now)
    if isinstance(who, Refused):
        return who
    if channel not in Channel.__members__.values():
        return who.language
    async with db.session() as session:
        member = await session.get(Member, who.member_id, with_for_update=True)
        if member is not None and member.telegram_user_id is not None \
                and await channel_queries.email_confirmed(session, member.id):
            member.channel = Channel(channel)
    return who.language


async def withdraw(db: Database, token: str, now: dt.datetime | None = None) -> str | Refused:
    """/withdraw on the page, confirmed: everything the member shared is erased, in every
    community, and with it their links. The language to say so in."""
    now = now or utcnow()
    who = await _visitor(db, token, now)
    if isinstance(who, Refused):
        return who
    await rights.withdraw(db, None, None, now, member_id=who.member_id)
    return who.language


# --- Making and revoking links ------------------------------------------------------------------


async def for_telegram(db: Database, user_id: int, base: str, *,
                       telegram_language: str | None = None) -> list[Out]:
    """/link in Telegram: a new personal link for the member who sent it, shown this once, so
    they can answer on their page too; the links they had before stop working. Someone who is
    not a member yet is told how to join."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id, lock=True)
        joined = member is not None and await queries.has_joined(session, member.id)
        language = speaking.joining_language(member, telegram_language, None)
        if member is None or not joined:
            return [Out(speaking.say(language).START_STRANGER)]
        await queries.revoke_all(session, member.id, now)
        session.add(MemberLink(member_id=member.id, token_hash=hashed(token), created_at=now))
    log.info("a member made their own personal link")
    return [Out(speaking.say(language).WEB_YOUR_LINK.format(
        link=base.rstrip("/") + LINK_PATH + token))]


# --- Making and revoking links (a convener or admin) ------------------------------------------


@dataclass(frozen=True)
class Made:
    url: str  # shown once: only its hash is kept
    pseudonym: str | None  # the member's, where they are already part of the community
    community: str


async def make(db: Database, community: str, pseudonym: str | None, base: str, *,
               language: str | None = None, now: dt.datetime | None = None) -> Made:
    """A personal link for the member with `pseudonym` in `community` (their older links stop
    working), or, with no pseudonym, for a new member invited into it, who joins on agreeing."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    async with db.session() as session:
        found = await find_community(session, community)
        invited_to: int | None = None
        if pseudonym is not None:
            member_id = await queries.member_in(session, found.id, pseudonym.strip().upper())
            if member_id is None:
                raise AdminError(speaking.say(None).WEB_NO_SUCH_MEMBER.format(
                    pseudonym=pseudonym, community=found.name))
            await queries.revoke_all(session, member_id, now)
        else:
            spoken = i18n.normalise(language) if language else None
            member = Member(channel=Channel.EMAIL, language=spoken or found.language,
                            created_at=now)
            session.add(member)
            await session.flush()
            member_id, invited_to = member.id, found.id
        session.add(MemberLink(member_id=member_id, token_hash=hashed(token),
                               community_id=invited_to, created_at=now))
        name = found.name
    log.info("a personal link was made in community %s", found.id)
    return Made(base.rstrip("/") + LINK_PATH + token, pseudonym and pseudonym.strip().upper(),
                name)


async def revoke(db: Database, community: str, pseudonym: str | None = None, *,
                 link: str | None = None, now: dt.datetime | None = None) -> int:
    """Revoke the links of the member with `pseudonym` in `community`, or the one `link`;
    how many stopped working."""
    now = now or utcnow()
    async with db.session() as session:
        found = await find_community(session, community)
        if link is not None:
            token = link.rstrip("/").rsplit("/", 1)[-1]
            return await queries.revoke_hash(session, hashed(token), now)
        assert pseudonym is not None
        member_id = await queries.member_in(session, found.id, pseudonym.strip().upper())
        if member_id is None:
            raise AdminError(speaking.say(None).WEB_NO_SUCH_MEMBER.format(
                pseudonym=pseudonym, community=found.name))
        return await queries.revoke_all(session, member_id, now)


async def make_for(db: Database, user_id: int, admins: frozenset[int], community_id: int,
                   pseudonym: str, base: str, now: dt.datetime | None = None) -> Made | None:
    """The dashboard's `make`: a new personal link for the member with `pseudonym` in the
    community, for one of its conveners (None for anyone else); their older links stop."""
    async with db.session() as session:
        found = await convened_one(session, user_id, community_id, admins)
    if found is None:
        return None
    return await make(db, str(community_id), pseudonym, base, now=now)


async def revoke_for(db: Database, user_id: int, admins: frozenset[int], community_id: int,
                     pseudonym: str, now: dt.datetime | None = None) -> int | None:
    """The dashboard's `revoke`: the links of the member with `pseudonym` stop working; how
    many did. None for anyone but a convener of the community."""
    async with db.session() as session:
        found = await convened_one(session, user_id, community_id, admins)
    if found is None:
        return None
    return await revoke(db, str(community_id), pseudonym, now=now)
