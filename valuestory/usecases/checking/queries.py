"""The members' check's SQL: what is shared, who is asked, where each member is, and the counts.

`counts` and `erase` share a unit of work with other features (the indicators' listing, a
withdrawal); `statements`, `community_of` and `letter_about` with the scheduler, which sends the
checks (`letter_about`: to a member asked by email, whose page then shows them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Check,
    CheckAnswer,
    CheckStatus,
    Community,
    Delivery,
    Indicator,
    IndicatorStatus,
    Member,
    MemberEmail,
    Membership,
    Prompt,
    PromptStatus,
)

UNDER_WAY = (CheckStatus.SCHEDULED.value, CheckStatus.OPEN.value)
# The answers that say something: a skip says nothing about the statement.
AGREED, DISAGREED, SKIPPED = "agreed", "disagreed", "skipped"


async def under_way(session: AsyncSession, community_id: int) -> int:
    """Members whose check of this community is still to be sent or still open."""
    return int(await session.scalar(
        select(func.count(Check.id)).where(Check.community_id == community_id,
                                           Check.status.in_(UNDER_WAY))) or 0)


async def active_indicators(session: AsyncSession, community_id: int) -> Sequence[Any]:
    """The community's active indicators: (id, cycle), in no particular order."""
    return (await session.execute(
        select(Indicator.id, Indicator.cycle, Indicator.position).where(
            Indicator.community_id == community_id,
            Indicator.status == IndicatorStatus.ACTIVE)
    )).all()


async def askable_members(session: AsyncSession, community_id: int, eligible: Any) -> list[int]:
    """Members of the community who can be asked now (`eligible`: the scheduler's rule)."""
    return list((await session.scalars(
        select(Member.id).join(Membership, Membership.member_id == Member.id)
        .where(Membership.community_id == community_id, eligible).order_by(Member.id)
    )).all())


async def answer_for(session: AsyncSession, answer_id: int,
                     member_id: int) -> tuple[CheckAnswer, Check] | None:
    """A statement in one of this member's checks, and its check, locked for the answer."""
    row = (await session.execute(
        select(CheckAnswer, Check).join(Check, Check.id == CheckAnswer.check_id)
        .where(CheckAnswer.id == answer_id, Check.member_id == member_id)
        .with_for_update(of=Check)
    )).first()
    return (row[0], row[1]) if row is not None else None


async def waiting_for(session: AsyncSession, telegram_user_id: int) -> Any:
    """(check, the member's language) of the member's open check waiting for a sentence about a
    statement, unless a story of theirs is open (it comes first); None otherwise. Locks the check."""
    story_open = exists().where(Prompt.member_id == Member.id, Prompt.status == PromptStatus.OPEN)
    return (await session.execute(
        select(Check, Member.language).join(Member, Member.id == Check.member_id)
        .where(Member.telegram_user_id == telegram_user_id, Check.status == CheckStatus.OPEN,
               Check.waiting_id.is_not(None), ~story_open)
        .order_by(Check.opened_at.desc(), Check.id.desc()).limit(1)
        .with_for_update(of=Check)
    )).first()


async def statements(session: AsyncSession, check_id: int) -> Sequence[Any]:
    """A check's statements in the order asked: (answer id, answer, cycle, statement)."""
    return (await session.execute(
        select(CheckAnswer.id, CheckAnswer.answer, Indicator.cycle, Indicator.statement)
        .join(Indicator, Indicator.id == CheckAnswer.indicator_id)
        .where(CheckAnswer.check_id == check_id).order_by(CheckAnswer.position)
    )).all()


async def community_of(session: AsyncSession, check_id: int) -> str:
    """The name of the community a check is about."""
    return str(await session.scalar(
        select(Community.name).join(Check, Check.community_id == Community.id)
        .where(Check.id == check_id)))


def delivered() -> Any:
    """Whether a check reached its member: its message was sent, or they answered it."""
    given = aliased(CheckAnswer)
    return or_(
        exists().where(Delivery.check_id == Check.id, Delivery.purpose == "check",
                       Delivery.status == "sent"),
        exists().where(given.check_id == Check.id, given.answer.is_not(None)))


@dataclass(frozen=True)
class CheckCounts:
    """What members said of one indicator, in the words of `matrix.glossary`."""

    asked: int = 0
    agreed: int = 0
    disagreed: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


async def counts(session: AsyncSession, indicator_ids: Sequence[int]) -> dict[int, CheckCounts]:
    """Each indicator's check counts (every id given has an entry), as the glossary defines them:
    members asked, and of those the ones whose latest answer was Rings true, or Not for me."""
    asked: dict[int, set[int]] = {i: set() for i in indicator_ids}
    latest: dict[tuple[int, int], tuple[dt.datetime, str]] = {}
    if indicator_ids:
        for indicator, member, answer, at in await answers_of(session, indicator_ids):
            asked[indicator].add(member)
            if answer in (AGREED, DISAGREED) and at is not None:
                seen = latest.get((indicator, member))
                if seen is None or at >= seen[0]:
                    latest[(indicator, member)] = (at, answer)
    said: dict[int, list[str]] = {i: [] for i in indicator_ids}
    for (indicator, _), (_, answer) in latest.items():
        said[indicator].append(answer)
    return {i: CheckCounts(len(asked[i]), said[i].count(AGREED), said[i].count(DISAGREED))
            for i in indicator_ids}


async def answers_of(session: AsyncSession, indicator_ids: Sequence[int]) -> Sequence[Any]:
    """Every delivered check's answer to these indicators: (indicator, member, answer, when)."""
    return (await session.execute(
        select(CheckAnswer.indicator_id, Check.member_id, CheckAnswer.answer,
               CheckAnswer.answered_at)
        .join(Check, Check.id == CheckAnswer.check_id)
        .where(CheckAnswer.indicator_id.in_(list(indicator_ids)), delivered())
    )).all()


async def comments(session: AsyncSession, indicator_ids: Sequence[int]) -> Sequence[Any]:
    """The sentences members wrote about these indicators when they checked them, under their
    pseudonyms, oldest first: (indicator, answer id, pseudonym, answer, sentence, when).

    A member's words about a statement, not evidence of it: nothing counts them."""
    if not indicator_ids:
        return []
    return (await session.execute(
        select(CheckAnswer.indicator_id, CheckAnswer.id, Membership.pseudonym,
               CheckAnswer.answer, CheckAnswer.sentence, CheckAnswer.answered_at)
        .join(Check, Check.id == CheckAnswer.check_id)
        .join(Membership, and_(Membership.member_id == Check.member_id,
                               Membership.community_id == Check.community_id))
        .where(CheckAnswer.indicator_id.in_(list(indicator_ids)),
               CheckAnswer.sentence.is_not(None))
        .order_by(CheckAnswer.answered_at, CheckAnswer.id)
    )).all()


def export_comments(community_ids: Sequence[int], since: dt.datetime | None,
                    before: dt.datetime | None, cycle: str | None) -> Any:
    """The sentences of the members' check for an export, oldest first: (answer id, indicator
    id, its statement, cycle, capital, community id, membership id, pseudonym, answer, sentence,
    when answered), of these communities, answered in [since, before), about indicators of
    `cycle` (None: any)."""
    found = (select(CheckAnswer.id, Indicator.id, Indicator.statement, Indicator.cycle,
                    Indicator.capital, Check.community_id, Membership.id, Membership.pseudonym,
                    CheckAnswer.answer, CheckAnswer.sentence, CheckAnswer.answered_at)
             .join(Check, Check.id == CheckAnswer.check_id)
             .join(Indicator, Indicator.id == CheckAnswer.indicator_id)
             .join(Membership, and_(Membership.member_id == Check.member_id,
                                    Membership.community_id == Check.community_id))
             .where(Check.community_id.in_(list(community_ids)),
                    CheckAnswer.sentence.is_not(None)))
    if since is not None:
        found = found.where(CheckAnswer.answered_at >= since)
    if before is not None:
        found = found.where(CheckAnswer.answered_at < before)
    if cycle is not None:
        found = found.where(Indicator.cycle == cycle)
    return found.order_by(CheckAnswer.answered_at, CheckAnswer.id)


async def of_member(session: AsyncSession, member_id: int, community_id: int) -> Sequence[Any]:
    """A member's checks in a community and what they said, for /mydata: (check id, shared at,
    status, statement, answer, sentence), in the order shared and asked."""
    return (await session.execute(
        select(Check.id, Check.shared_at, Check.status, Indicator.statement, CheckAnswer.answer,
               CheckAnswer.sentence)
        .join(CheckAnswer, CheckAnswer.check_id == Check.id)
        .join(Indicator, Indicator.id == CheckAnswer.indicator_id)
        .where(Check.member_id == member_id, Check.community_id == community_id)
        .order_by(Check.shared_at, Check.id, CheckAnswer.position)
    )).all()


async def erase(session: AsyncSession, member_id: int, community_id: int) -> int:
    """Erase a member's checks in a community, children first; how many checks there were."""
    theirs = select(Check.id).where(Check.member_id == member_id,
                                    Check.community_id == community_id)
    count = int(await session.scalar(select(func.count()).select_from(theirs.subquery())) or 0)
    await session.execute(delete(CheckAnswer).where(CheckAnswer.check_id.in_(theirs)))
    await session.execute(delete(Delivery).where(Delivery.check_id.in_(theirs)))
    await session.execute(delete(Check).where(and_(Check.member_id == member_id,
                                                   Check.community_id == community_id)))
    return count


# --- The check on a member's page, and the email that asks for it ---------------------------


async def open_of_member(session: AsyncSession, member_id: int) -> Any:
    """(check, community name) of the member's open check sent first, if any."""
    return (await session.execute(
        select(Check, Community.name).join(Community, Community.id == Check.community_id)
        .where(Check.member_id == member_id, Check.status == CheckStatus.OPEN)
        .order_by(Check.opened_at, Check.id).limit(1))).first()


async def latest_status(session: AsyncSession, member_id: int) -> str | None:
    """The status of the member's check opened last (None: none was ever sent them)."""
    return await session.scalar(
        select(Check.status).where(Check.member_id == member_id, Check.opened_at.is_not(None))
        .order_by(Check.opened_at.desc(), Check.id.desc()).limit(1))


async def letter_about(session: AsyncSession, check_id: int) -> Any:
    """(address, community name, member id) for the email asking a member to check, if their
    address may still be written to; else None."""
    return (await session.execute(
        select(MemberEmail.address, Community.name, Check.member_id)
        .join(Check, Check.member_id == MemberEmail.member_id)
        .join(Community, Community.id == Check.community_id)
        .where(Check.id == check_id, MemberEmail.unsubscribed_at.is_(None),
               MemberEmail.unreachable_at.is_(None)))).first()
