"""Communities: creating and finding them, their invite links, and their members in numbers."""

from __future__ import annotations

import io
from dataclasses import dataclass
from html import escape

from flows import i18n, texts
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, SchedulerState
from valuestory.usecases.communities import queries
from valuestory.usecases.communities.queries import create_community, find_community
from valuestory.usecases.conversation import consent_version
from valuestory.usecases.errors import AdminError
from valuestory.usecases.out import Out
from valuestory.usecases.speaking import say, staff_language_for
from valuestory.usecases.speaking.queries import staff_language

# `create_community`, `find_community` and `lookup_community` are steps inside another door's
# unit of work: other doors run them from `queries`.
__all__ = ["create", "create_for_admin", "deep_link", "every", "find", "invite",
           "known_bot_username", "member_counts", "qr_png", "remember_bot_username"]

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
                 language: str = i18n.BASE_LANGUAGE, email_base: str | None = None) -> list[Out]:
    """The invite link, and a QR code of it for slides, told in the convener's `language`; with
    `email_base` (email set up), the page where people without Telegram join by email too."""
    t = texts.In(language)
    link = deep_link(bot_username, community.invite_code)
    name = escape(community.name) if language == i18n.BASE_LANGUAGE else texts.isolate(
        escape(community.name))
    said = t.INVITE.format(community=name, link=escape(link))
    if email_base:
        by_email = f"{email_base.rstrip('/')}/join/{community.invite_code}"
        said += "\n\n" + t.INVITE_BY_EMAIL.format(link=escape(by_email))
    return [Out(said),
            Out(t.INVITE_CAPTION.format(community=name), photo=qr_png(link))]


async def member_counts(db: Database, community: Community, *,
                        language: str = i18n.BASE_LANGUAGE) -> list[Out]:
    """Joined, agreed to the current information, paused, unreachable."""
    async with db.session() as session:
        joined, consented, paused, unreachable = (await session.execute(queries.member_counts(
            community.id, {language: consent_version(language, community.keep_audio)
                           for language in i18n.languages()}))).one()
    name = escape(community.name) if language == i18n.BASE_LANGUAGE else texts.isolate(
        escape(community.name))
    return [Out(texts.In(language).MEMBERS_COUNTS.format(
        community=name, joined=joined, consented=consented, paused=paused,
        unreachable=unreachable))]
