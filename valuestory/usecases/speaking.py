"""Speaking to a person in their language: which language that is, and its texts.

Invariant: whoever the bot speaks to is spoken to in one language, chosen here, and every reply
a use case returns is read through `say(language)` in it, never from `flows.texts` as it stands:

- a member: their own (`Member.language`); before they join, Telegram's, else the community's;
- a convener, researcher or admin: their own as a member, if they are one; else the language of
  the community the reply is about (for a reply about several, the one they all share); else
  English (`staff_language`);
- English for a code the bot does not speak.

A person's own words (a title, a community's name) are escaped and, in every language but
English, isolated, so they read right in a sentence of either direction. Changing
one's language is `languages.py`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n, texts
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Member, RoleGrant
from valuestory.usecases.out import Out


def say(language: str | None) -> i18n.Texts:
    """The texts in a member's language (English for a code the bot does not speak)."""
    return texts.In(language)


def value(language: str, text: str) -> str:
    """A person's value (a title, a community's name) escaped for a sentence in `language`.

    Isolated in every language but English, whose sentences read byte for byte as they did
    before languages came (and whose members' values mostly share its direction).
    """
    escaped = escape(text)
    return escaped if language == i18n.BASE_LANGUAGE else i18n.isolate(escaped)


def joining_language(member: Member | None, telegram_language: str | None,
                     community: Community | None) -> str:
    """A member's own language if they have one here; else Telegram's, else the community's."""
    if member is not None:
        return member.language
    return i18n.pick(telegram_language, community.language if community else None)


async def language_for(db: Database, user_id: int, telegram_language: str | None = None) -> str:
    """The language to speak to someone in: theirs if they are a member, else Telegram's."""
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        return joining_language(member, telegram_language, None)


async def staff_language(session: AsyncSession, user_id: int,
                         community_ids: Iterable[int] | None = None) -> str:
    """The language to answer a convener, researcher or admin in.

    Their own as a member; else that of the communities the reply is about (`community_ids`; by
    default those they hold a role in), when those share one; else English.
    """
    member = await repo.member_by_telegram_id(session, user_id)
    if member is not None:
        return member.language
    query = select(Community.language).distinct()
    if community_ids is None:
        query = query.join(RoleGrant, RoleGrant.community_id == Community.id).where(
            RoleGrant.telegram_user_id == user_id)
    else:
        query = query.where(Community.id.in_(list(community_ids)))
    found = (await session.scalars(query)).all()
    return i18n.pick(found[0]) if len(found) == 1 else i18n.BASE_LANGUAGE


async def staff_languages(session: AsyncSession, community: Community,
                          user_ids: Iterable[int]) -> dict[int, str]:
    """Each of a community's conveners' languages at once: theirs as a member, else the community's."""
    ids = list(user_ids)
    rows = (await session.execute(
        select(Member.telegram_user_id, Member.language).where(Member.telegram_user_id.in_(ids))
    )).all() if ids else []
    own = {uid: language for uid, language in rows}
    return {uid: i18n.pick(own.get(uid), community.language) for uid in ids}


async def staff_language_for(db: Database, user_id: int,
                             community_ids: Iterable[int] | None = None) -> str:
    """`staff_language` in a session of its own."""
    async with db.session() as session:
        return await staff_language(session, user_id, community_ids)


async def reply(db: Database, user_id: int, name: str,
                telegram_language: str | None = None) -> list[Out]:
    """One fixed text (by its name in `flows.texts`) in the person's language."""
    return [Out(getattr(say(await language_for(db, user_id, telegram_language)), name))]


__all__ = ["joining_language", "language_for", "reply", "say", "staff_language",
           "staff_language_for", "staff_languages", "value"]
