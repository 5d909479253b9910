"""A member's language: which one the bot speaks to them, and changing it with /language.

Invariant: a member's language is one the bot has a catalog for (`flows.i18n.languages()`),
stored on the member, and only ever changed by the member. Changing it changes how the bot
speaks from the next message on, never what is stored: answers stay as written, each with the
language its question was asked in, and an open story carries on at the same question.
"""

from __future__ import annotations

import datetime as dt

from flows import i18n
from storage import repositories as repo
from storage.db import Database
from storage.models import utcnow
from valuestory.usecases import callbacks, speaking
from valuestory.usecases.callbacks import Prefix
from valuestory.usecases.conversation import queries as conversation_queries
from valuestory.usecases.out import Out


def token(language: str) -> str:
    return callbacks.encode(Prefix.LANGUAGE, language)


def menu() -> tuple[tuple[tuple[str, str], ...], ...]:
    """One button per language the bot speaks, each named in itself."""
    return tuple(((i18n.display_name(lang), token(lang)),) for lang in i18n.languages())


async def choose(db: Database, user_id: int, telegram_language: str | None = None) -> list[Out]:
    """/language: the languages the bot speaks, as buttons."""
    t = speaking.say(await speaking.language_for(db, user_id, telegram_language))
    return [Out(t.LANGUAGE_CHOOSE, menu())]


async def press(db: Database, user_id: int, data: str, telegram_language: str | None = None,
                now: dt.datetime | None = None) -> list[Out]:
    """A language was picked: keep it, say so in it, and carry on where the member was."""
    prefix, parts = callbacks.decode(data)
    chosen = i18n.normalise(parts[0]) if prefix is Prefix.LANGUAGE and len(parts) == 1 else None
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id, lock=True)
        speak = speaking.joining_language(member, telegram_language, None)
        if chosen is None or chosen != parts[0]:
            return [Out(speaking.say(speak).STALE_BUTTON)]
        if member is None:
            return [Out(speaking.say(chosen).UNKNOWN_USER)]
        member.language = chosen
        return [Out(speaking.say(chosen).LANGUAGE_SET),
                *await conversation_queries.carry_on(session, member, now or utcnow())]


__all__ = ["choose", "menu", "press", "token"]
