"""Speaking to a person in their language: which language that is, and its texts.

Invariant: whoever the bot speaks to is spoken to in one language, chosen here, and every reply
a use case returns is read through `say(language)` in it, never from `flows.texts` as it stands:

- a member: their own (`Member.language`); before they join, Telegram's, else the community's;
- a convener, researcher or admin: their own as a member, if they are one; else the language of
  the community the reply is about (for a reply about several, the one they all share); else
  English (`queries.staff_language`);
- English for a code the bot does not speak.

A person's own words (a title, a community's name) are escaped and, in every language but
English, isolated, so they read right in a sentence of either direction. Changing
one's language is `languages.py`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from flows import i18n, texts
from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Member
from valuestory.usecases.out import Out
from valuestory.usecases.speaking import queries


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


async def staff_language_for(db: Database, user_id: int,
                             community_ids: Iterable[int] | None = None) -> str:
    """`queries.staff_language` in a unit of work of its own."""
    async with db.session() as session:
        return await queries.staff_language(session, user_id, community_ids)


async def reply(db: Database, user_id: int, name: str,
                telegram_language: str | None = None) -> list[Out]:
    """One fixed text (by its name in `flows.texts`) in the person's language."""
    return [Out(getattr(say(await language_for(db, user_id, telegram_language)), name))]


# `staff_language` and `staff_languages` are steps inside another door's unit of work: other
# doors run them from `queries`.
__all__ = ["joining_language", "language_for", "reply", "say",
           "staff_language_for", "value"]
