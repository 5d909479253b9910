"""Communities: creating and finding them, their invite links, and their members in numbers."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from html import escape
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n, texts
from flows.questions import load_question_set
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Consent, Member, Membership, SchedulerState
from valuestory.usecases.conversation import consent_version
from valuestory.usecases.errors import AdminError
from valuestory.usecases.out import Out
from valuestory.usecases.parsing import check_timezone, parse_id
from valuestory.usecases.speaking import say, staff_language, staff_language_for

BOT_USERNAME = "bot_username"  # the scheduler_state key under which the bot's @username is kept


async def remember_bot_username(db: Database, username: str) -> None:
    """Keep the bot's @username so invite links made off Telegram (the command line) are complete."""
    async with db.session() as session:
        await repo.put_state(session, BOT_USERNAME, username)


async def known_bot_username(db: Database) -> str | None:
    """The bot's @username as its last start saw it, if it has started."""
    async with db.session() as session:
        state = await session.get(SchedulerState, BOT_USERNAME)
        return state.value if state is not None and state.value else None


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def new_invite_code() -> str:
    # 96 random bits; fits Telegram's start parameter alphabet (A-Z a-z 0-9 _ -).
    return secrets.token_urlsafe(12)


async def create_community(
    session: AsyncSession, name: str, timezone: str, question_set: str = "default",
    language: str = i18n.BASE_LANGUAGE,
) -> Community:
    name = " ".join(name.split())
    if not name:
        raise AdminError("a community needs a name")
    try:
        check_timezone(timezone)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    if language not in i18n.languages():
        raise AdminError(f"--language takes one of {', '.join(i18n.languages())}, not {language!r}")
    load_question_set(question_set)  # fail now, not after the first event
    if await repo.community_by_name_or_id(session, name):
        raise AdminError(texts.COMMUNITY_EXISTS, community=repr(name))
    community = Community(
        name=name, timezone=timezone, invite_code=new_invite_code(), question_set=question_set,
        language=language,
    )
    session.add(community)
    await session.flush()
    return community


async def lookup_community(session: AsyncSession, ref: str) -> Community | None:
    """A community given by id or by name; None if there is none."""
    ref = ref.strip()
    # Only ids that fit the column: "²" or a 30-digit number is looked up as a name.
    return await repo.community_by_name_or_id(session, ref, parse_id(ref))


async def find_community(session: AsyncSession, ref: str) -> Community:
    community = await lookup_community(session, ref)
    if community is None:
        raise AdminError(texts.NO_SUCH_COMMUNITY, community=repr(ref))
    return community


@dataclass(frozen=True)
class Summary:
    """What the command line shows of a community."""

    id: int
    name: str
    timezone: str
    invite_code: str
    question_set: str
    language: str


def _summary(c: Community) -> Summary:
    return Summary(c.id, c.name, c.timezone, c.invite_code, c.question_set, c.language)


async def create(db: Database, name: str, timezone: str, question_set: str = "default",
                 language: str = i18n.BASE_LANGUAGE) -> Summary:
    """Create a community (AdminError says what to fix)."""
    async with db.session() as session:
        return _summary(await create_community(session, name, timezone, question_set, language))


async def find(db: Database, ref: str) -> Summary:
    """A community given by id or by name (AdminError if there is none)."""
    async with db.session() as session:
        return _summary(await find_community(session, ref))


async def every(db: Database) -> list[Summary]:
    """Every community, by name."""
    async with db.session() as session:
        return [_summary(c) for c in await repo.communities(session)]


async def create_for_admin(db: Database, user_id: int, admins: frozenset[int], name: str,
                           timezone: str, bot_username: str) -> list[Out]:
    """/newcommunity, for admins: create a community and show its invite link, in the admin's
    language (theirs as a member, else the new community's)."""
    from valuestory.usecases.access import is_admin

    if not is_admin(user_id, admins) or not name:
        t = say(await staff_language_for(db, user_id))
        return [Out(t.NOT_ALLOWED if not is_admin(user_id, admins) else t.COMMUNITY_USAGE)]
    try:
        async with db.session() as session:
            community = await create_community(session, name, timezone)
            t = say(await staff_language(session, user_id, [community.id]))
    except AdminError as exc:
        return [Out(exc.sentence(say(await staff_language_for(db, user_id))))]
    link = deep_link(bot_username, community.invite_code)
    return [Out(t.COMMUNITY_CREATED.format(community=escape(community.name),
                                           link=escape(link)))]


def qr_png(link: str) -> bytes:
    """A QR code of the link, big enough to scan from the back of a room."""
    import segno

    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=12, border=4)
    return buffer.getvalue()


async def invite(community: Community, bot_username: str, *,
                 language: str = i18n.BASE_LANGUAGE) -> list[Out]:
    """The invite link, and a QR code of it for slides, told in the convener's `language`."""
    t = texts.In(language)
    link = deep_link(bot_username, community.invite_code)
    name = escape(community.name) if language == i18n.BASE_LANGUAGE else texts.isolate(
        escape(community.name))
    return [Out(t.INVITE.format(community=name, link=escape(link))),
            Out(t.INVITE_CAPTION.format(community=name), photo=qr_png(link))]


def _current_consent(community: Community) -> Any:
    """A consent to the community's participant information as it reads now, in the language it
    was given in."""
    return or_(*(and_(Consent.language == language,
                      Consent.version == consent_version(language, community.keep_audio))
                 for language in i18n.languages()))


async def member_counts(db: Database, community: Community, *,
                        language: str = i18n.BASE_LANGUAGE) -> list[Out]:
    """Joined, agreed to the current information, paused, unreachable."""
    async with db.session() as session:
        joined, consented, paused, unreachable = (await session.execute(
            select(
                func.count(Membership.id),
                func.coalesce(func.sum(case((_current_consent(community), 1), else_=0)), 0),
                func.coalesce(func.sum(case((or_(Membership.paused.is_(True),
                                                 Member.paused.is_(True)), 1), else_=0)), 0),
                func.coalesce(func.sum(case((Member.unreachable_at.is_not(None), 1), else_=0)), 0),
            )
            .join(Member, Member.id == Membership.member_id)
            .join(Consent, and_(Consent.id == Membership.consent_id))
            .where(Membership.community_id == community.id))).one()
    name = escape(community.name) if language == i18n.BASE_LANGUAGE else texts.isolate(
        escape(community.name))
    return [Out(texts.In(language).MEMBERS_COUNTS.format(
        community=name, joined=joined, consented=consented, paused=paused,
        unreachable=unreachable))]
