"""The members' check: a convener shares the community's value indicators, and each member who
agreed to take part says whether each statement rings true for them.

- A share (`/matrix share`, the dashboard's button, `valuestory matrix share`) plans one `Check`
  for every member who can be asked now (consented, not withdrawn, not paused, reachable), holding
  every active indicator in the matrix's order, cycle by cycle. It sends nothing itself: the
  scheduler sends each check as it sends a prompt (claimed in a `Delivery` first, never twice,
  outside quiet hours; a member paused or gone by then is not sent it), and closes it after the
  community's window. One check at a time per community: a share while one is under way is refused.
- A member answers each statement with Rings true, Not for me or Skip (`press`), and after the
  first two may write a sentence about it (`sentence`); each answer is committed as it arrives.
  A story comes first: while the member has a story open, what they type is the story's.
- The counts (`queries.counts`, read by the indicators' listing) mean what `matrix.glossary`
  says; a withdrawn member's checks are erased with the rest of what they shared
  (`queries.erase`, in the withdrawal's unit of work).

A check is not a prompt: it is about no event, and no participation figure counts it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n
from flows.questions import ValueCycle
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    AuditEntry,
    Check,
    CheckAnswer,
    CheckStatus,
    Community,
    utcnow,
)
from valuestory.usecases import access, callbacks, parsing
from valuestory.usecases.callbacks import Prefix
from valuestory.usecases.checking import queries
from valuestory.usecases.checking.messages import STORED, Answer, token, where_now
from valuestory.usecases.inbox import queries as inbox_queries
from valuestory.usecases.out import Out
from valuestory.usecases.scheduler.queries import eligible
from valuestory.usecases.scheduler.rules import allowed_time
from valuestory.usecases.speaking import say

log = logging.getLogger(__name__)

CYCLE_ORDER = {c.value: i for i, c in enumerate(ValueCycle)}
# What a sentence may hold: a message's worth.
SENTENCE_CHARS = 4000


@dataclass(frozen=True)
class Shared:
    """A share as planned: how many members will be asked about how many statements, when."""

    community: str
    members: int
    statements: int
    due_at: dt.datetime
    closes_at: dt.datetime
    window_days: int

    def to_dict(self) -> dict[str, Any]:
        return {"community": self.community, "members": self.members,
                "statements": self.statements, "due_at": self.due_at.isoformat(),
                "closes_at": self.closes_at.isoformat()}

    def said(self, language: str) -> str:
        t = say(language)
        return t.CHECK_SHARED.format(members=t.plural(self.members, "member"),
                                     statements=t.plural(self.statements, "statement"),
                                     days=t.plural(self.window_days, "day"))


class ShareRefused(Exception):
    """Why nothing was shared: nothing to check, nobody to ask, or a check under way."""

    NOTHING, NOBODY, UNDER_WAY = "nothing", "nobody", "under_way"

    def __init__(self, reason: str, members: int = 0) -> None:
        super().__init__(reason)
        self.reason, self.members = reason, members

    def said(self, language: str) -> str:
        t = say(language)
        if self.reason == self.UNDER_WAY:
            return t.CHECK_UNDER_WAY.format(members=t.plural(self.members, "member"))
        return t.CHECK_NOTHING_TO_SHARE if self.reason == self.NOTHING else t.CHECK_NOBODY

    def __str__(self) -> str:
        return self.said(i18n.BASE_LANGUAGE)


# --- sharing --------------------------------------------------------------------------------


async def _share_in(session: AsyncSession, community: Community, actor: str,
                   now: dt.datetime) -> Shared:
    """Plan the check of `community`'s active indicators for every member who can be asked now.

    Raises ShareRefused; the caller has checked the right to share.
    """
    waiting = await queries.under_way(session, community.id)
    if waiting:
        raise ShareRefused(ShareRefused.UNDER_WAY, waiting)
    found = sorted(await queries.active_indicators(session, community.id),
                   key=lambda row: (CYCLE_ORDER.get(row[1], len(CYCLE_ORDER)), row[2], row[0]))
    if not found:
        raise ShareRefused(ShareRefused.NOTHING)
    members = await queries.askable_members(session, community.id, eligible())
    if not members:
        raise ShareRefused(ShareRefused.NOBODY)
    due = allowed_time(now, community.timezone, community.quiet_start, community.quiet_end)
    closes = due + dt.timedelta(days=community.window_days)
    checks = [Check(community_id=community.id, member_id=m, status=CheckStatus.SCHEDULED,
                    shared_at=now, due_at=due, closes_at=closes) for m in members]
    session.add_all(checks)
    await session.flush()
    session.add_all([CheckAnswer(check_id=c.id, indicator_id=row[0], position=i)
                     for c in checks for i, row in enumerate(found)])
    session.add(AuditEntry(at=now, actor=actor, action="check.share", community_id=community.id,
                           details={"members": len(members), "statements": len(found)}))
    log.info("a check of %d statements planned for %d members of community %s",
             len(found), len(members), community.id)
    return Shared(community.name, len(members), len(found), due, closes, community.window_days)


async def share_in_chat(db: Database, user_id: int, admins: frozenset[int], community: Community,
                        *, language: str, now: dt.datetime | None = None) -> list[Out]:
    """/matrix share: for a convener of `community` (or an admin), plan its members' check."""
    try:
        async with db.session() as session:
            c = await access.queries.convened_one(session, user_id, community.id, admins)
            if c is None:
                return [Out(say(language).NOT_ALLOWED)]
            await session.refresh(c, with_for_update=True)
            shared = await _share_in(session, c, "convener", now or utcnow())
    except ShareRefused as refused:
        return [Out(refused.said(language))]
    return [Out(shared.said(language))]


async def share_from_command_line(db: Database, community_ref: str, actor: str,
                                  now: dt.datetime | None = None) -> Shared:
    """`valuestory matrix share --community NAME`: raises AdminError (no such community) or
    ShareRefused, each saying what to do."""
    from valuestory.usecases.communities.queries import find_community  # reads the conversation's consent

    async with db.session() as session:
        community = await find_community(session, community_ref)
        await session.refresh(community, with_for_update=True)
        return await _share_in(session, community, actor, now or utcnow())


async def share_for_page(db: Database, token_: str | None, community_id: int,
                         admins: frozenset[int], now: dt.datetime
                         ) -> access.Visit[Shared | ShareRefused | None]:
    """The dashboard's Share button: who asks; for a convener, the share or why there is none
    (None for someone who may see the community but not convene it)."""
    async with db.session() as session:
        signed, view = await access.queries.visiting(session, token_, community_id, admins, now)
        if view is None:
            return access.Visit(signed, None)
        if not view.convenes:
            return access.Visit(signed, view, None)
        community = await session.get(Community, community_id, with_for_update=True)
        if community is None:
            return access.Visit(signed, None)
        try:
            shared: Shared | ShareRefused = await _share_in(session, community,
                                                           "convener (dashboard)", now)
        except ShareRefused as refused:
            shared = refused
    return access.Visit(signed, view, shared)


# --- answering ------------------------------------------------------------------------------


async def _onwards(session: AsyncSession, check: Check, language: str,
                   now: dt.datetime) -> list[Out]:
    outs = where_now(language, await queries.statements(session, check.id))
    if not outs[-1].buttons:  # nothing left to answer: the thanks
        check.status, check.finished_at, check.waiting_id = CheckStatus.DONE, now, None
    return outs


async def press(db: Database, user_id: int, data: str, *, key: str | None = None,
                telegram_language: str | None = None,
                now: dt.datetime | None = None) -> list[Out]:
    """A button under a statement: Rings true, Not for me, Skip, or Next after an answer."""
    now = now or utcnow()
    prefix, parts = callbacks.decode(data)
    answer_id = parsing.parse_id(parts[0]) if len(parts) == 2 else None
    choice = next((a for a in Answer if len(parts) == 2 and a.value == parts[1]), None)
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id, lock=True)
        if member is None:
            return [Out(say(telegram_language).UNKNOWN_USER)]
        t = say(member.language)
        if prefix is not Prefix.CHECK or answer_id is None or choice is None:
            return [Out(t.STALE_BUTTON)]
        if not await inbox_queries.claim(session, *([key] if key is not None else [])):
            return []  # already acted on: a redelivered press changes nothing
        # What the member is owed is kept with their answer: a stop does not lose it.
        return await inbox_queries.owe(session, member.chat_id, await _pressed(
            session, member.id, t, answer_id, choice, member.language, now))


async def _pressed(session: AsyncSession, member_id: int, t: Any, answer_id: int, choice: Answer,
                   language: str, now: dt.datetime) -> list[Out]:
    found = await queries.answer_for(session, answer_id, member_id)
    if found is None:
        return [Out(t.NOT_FOR_YOU)]
    answer, check = found
    if check.status == CheckStatus.DONE:
        return [Out(t.CHECK_FINISHED)]
    if check.status != CheckStatus.OPEN:
        return [Out(t.CHECK_CLOSED)]
    if choice is Answer.NEXT:
        if check.waiting_id != answer.id:
            return [Out(t.STALE_BUTTON), *await _onwards(session, check, language, now)]
        check.waiting_id = None
        return await _onwards(session, check, language, now)
    if answer.answer is not None:
        return [Out(t.STALE_BUTTON), *await _onwards(session, check, language, now)]
    answer.answer, answer.answered_at = STORED[choice], now
    if choice is Answer.SKIP:
        check.waiting_id = None
        return await _onwards(session, check, language, now)
    check.waiting_id = answer.id
    noted = t.CHECK_NOTED_TRUE if choice is Answer.TRUE else t.CHECK_NOTED_NOT
    return [Out(noted, (((t.BTN_NEXT, token(answer.id, Answer.NEXT)),),))]


async def sentence(db: Database, user_id: int, text: str, *, key: str | None = None,
                   now: dt.datetime | None = None) -> list[Out] | None:
    """A typed message: the sentence about the statement just answered, if the member's check
    waits for one and no story of theirs is open; None leaves the message to the conversation."""
    now = now or utcnow()
    async with db.session() as session:
        row = await queries.waiting_for(session, user_id)
        if row is None:
            return None
        check, language = row
        if not await inbox_queries.claim(session, *([key] if key is not None else [])):
            return []
        answer = await session.get(CheckAnswer, check.waiting_id)
        check.waiting_id = None
        if answer is None:
            return await inbox_queries.owe(session, None, await _onwards(session, check, language, now))
        words = text.strip()[:SENTENCE_CHARS]
        answer.sentence = f"{answer.sentence}\n{words}" if answer.sentence else words
        # What the member is owed is kept with their sentence: a stop does not lose it.
        return await inbox_queries.owe(session, None, [Out(say(language).CHECK_SENTENCE_KEPT),
                                               *await _onwards(session, check, language, now)])


CheckCounts = queries.CheckCounts

__all__ = ["Answer", "CheckCounts", "ShareRefused", "Shared", "press", "sentence",
           "share_for_page", "share_from_command_line", "share_in_chat"]
