"""Convener commands: which community a command is for, and the step behind each button.

Only conveners of a community (and admins) see anything about it, and its researchers its
matrix, as on the dashboard; everyone else gets the same plain refusal whether or not the
community exists. Button data is re-checked on every press.
Every reply is in the convener's language: theirs as a member, else the community's
(`speaking.queries.staff_language`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Community
from valuestory.usecases import (
    access,
    callbacks,
    checking,
    communities,
    community_settings,
    digest,
    matrix,
    parsing,
    speaking,
)
from valuestory.usecases.callbacks import ConvenerStep, DraftChoice
from valuestory.usecases.events import checkin, drafts, listing, planning
from valuestory.usecases.out import Out


@dataclass(frozen=True)
class Convener:
    """Who is asking, and what the front end knows that the rules need."""

    user_id: int
    admins: frozenset[int]
    bot_username: str
    # Where people without Telegram join by email (PUBLIC_URL), when email is set up.
    email_base: str | None = None


# (database, who asks, the community, what they typed after the command, their language)
Action = Callable[[Database, Convener, Community, str, str], Awaitable[list[Out]]]

async def _matrix(db: Database, who: Convener, c: Community, arg: str, lang: str) -> list[Out]:
    """/matrix [period], or /matrix share: ask members whether the indicators ring true."""
    if arg.strip().lower() == "share":
        # Researchers may read the matrix here; only its conveners may share it.
        return await checking.share_in_chat(db, who.user_id, who.admins, c, language=lang)
    return await matrix.show(db, c, arg, language=lang)


ACTIONS: dict[str, Action] = {
    "matrix": _matrix,
    "digest": lambda db, who, c, arg, lang: digest.preferences(db, who.user_id, c, arg, language=lang),
    "newevent": lambda db, who, c, arg, lang: drafts.start_draft(db, who.user_id, c, language=lang),
    "events": lambda db, who, c, arg, lang: listing.listing(db, c, language=lang),
    "cancelevent": lambda db, who, c, arg, lang: listing.cancel_choices(db, c, language=lang),
    "invite": lambda db, who, c, arg, lang: communities.invite(c, who.bot_username, language=lang,
                                                               email_base=who.email_base),
    "checkin": lambda db, who, c, arg, lang: checkin.checkin_for(db, c, who.bot_username,
                                                                 language=lang),
    "members": lambda db, who, c, arg, lang: communities.member_counts(db, c, language=lang),
    "settings": lambda db, who, c, arg, lang: community_settings.show_or_change(db, c, arg,
                                                                              language=lang),
}
COMMANDS = tuple(ACTIONS)
# What a researcher sees on the web they may ask for here: the matrix of the communities they
# study. Every other command is a convener's.
RESEARCHERS_TOO = frozenset({"matrix"})


async def _communities(session: AsyncSession, who: Convener, name: str) -> list[Community]:
    """The communities this person may run the command for, by name."""
    if name in RESEARCHERS_TOO:
        return await access.queries.seen(session, who.user_id, who.admins)
    return await access.queries.convened(session, who.user_id, who.admins)


async def _community(session: AsyncSession, who: Convener, name: str,
                     community_id: int) -> Community | None:
    """The community, if this person may run the command for it; None tells them nothing."""
    if name in RESEARCHERS_TOO:
        if await access.queries.view(session, who.user_id, community_id, who.admins) is None:
            return None
        return await session.get(Community, community_id)
    return await access.queries.convened_one(session, who.user_id, community_id, who.admins)


def token(*parts: object) -> str:
    return callbacks.encode(callbacks.Prefix.CONVENER, *parts)


async def command(db: Database, who: Convener, name: str, arg: str) -> list[Out]:
    """A convener command: run it for their one community, or ask which one."""
    async with db.session() as session:
        mine = await _communities(session, who, name)
        language = await speaking.queries.staff_language(session, who.user_id, [c.id for c in mine])
    if not mine:
        return [Out(speaking.say(language).NOT_ALLOWED)]
    if len(mine) == 1:
        return await ACTIONS[name](db, who, mine[0], arg, language)
    rows = []
    for c in mine:
        data = token(name, c.id, arg)
        if not callbacks.fits(data):
            data = token(name, c.id, "")
        rows.append(((c.name[:60], data),))
    return [Out(speaking.say(language).PICK_COMMUNITY, tuple(rows))]


async def press(db: Database, who: Convener, data: str) -> list[Out]:
    """A press on one of our convener buttons. The data is parsed and every right re-checked."""
    _, parts = callbacks.decode(data, maxsplit=2)
    if len(parts) >= 2 and parts[0] == ConvenerStep.DRAFT and parts[1] in tuple(DraftChoice):
        return await drafts.finish_draft(db, who.user_id, parts[1] == DraftChoice.CREATE, who.admins)
    target = parsing.parse_id(parts[1]) if len(parts) >= 2 else None
    cancelling = (ConvenerStep.CANCEL, ConvenerStep.CANCEL_YES, ConvenerStep.CANCEL_NO)
    if len(parts) == 2 and parts[0] in cancelling and target is not None:
        return await planning.cancel_step(db, who.user_id, parts[0], target, who.admins)
    if len(parts) == 3 and parts[0] in ACTIONS and target is not None:
        async with db.session() as session:
            community = await _community(session, who, parts[0], target)
            language = await speaking.queries.staff_language(
                session, who.user_id, [community.id] if community is not None else None)
        if community is not None:
            return await ACTIONS[parts[0]](db, who, community, parts[2], language)
    return [Out(speaking.say(await speaking.staff_language_for(db, who.user_id)).NOT_ALLOWED)]
