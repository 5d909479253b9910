"""The indicators' SQL: the indicators of a community, their counts and quotes read from their
links, their evidence and audit log, and the narratives a link may point at.

Counts and quotes join each link to its narrative and the narrative's member to their membership
in the community: a narrative that is gone (withdrawn, or removed by retention) counts nowhere,
and only pseudonyms leave here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import and_, delete, distinct, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.questions import ValueCycle
from storage.models import (
    Indicator,
    IndicatorChange,
    IndicatorEvidence,
    IndicatorExampleLeft,
    IndicatorStatus,
    Member,
    Membership,
    Narrative,
    Role,
    RoleGrant,
)
from valuestory.usecases.checking import queries as check_queries


def indicators(community_id: int, statuses: Iterable[str]) -> Any:
    """A community's indicators in these statuses, by position within their cycle."""
    return (select(Indicator)
            .where(Indicator.community_id == community_id, Indicator.status.in_(list(statuses)))
            .order_by(Indicator.position, Indicator.id))


def community_of(indicator_id: int) -> Any:
    """The id of an indicator's community."""
    return select(Indicator.community_id).where(Indicator.id == indicator_id)


def one(community_id: int, indicator_id: int, *, lock: bool = True) -> Any:
    """One of a community's indicators, locked for a change where the database can."""
    found = select(Indicator).where(Indicator.id == indicator_id,
                                    Indicator.community_id == community_id)
    return found.with_for_update() if lock else found


def _backed(indicator_ids: list[int]) -> Any:
    """Each link of these indicators to a narrative that exists, told by a current member."""
    return (select(IndicatorEvidence.indicator_id, IndicatorEvidence.quoted, Narrative.id,
                   Narrative.story_id, Narrative.member_id, Narrative.text, Membership.pseudonym)
            .join(Narrative, Narrative.id == IndicatorEvidence.narrative_id)
            .join(Membership, and_(Membership.member_id == Narrative.member_id,
                                   Membership.community_id == Narrative.community_id))
            .where(IndicatorEvidence.indicator_id.in_(indicator_ids)))


def counts(indicator_ids: list[int]) -> Any:
    """(indicator id, narratives, stories, members) of each indicator with any evidence."""
    backed = _backed(indicator_ids).subquery()
    return (select(backed.c.indicator_id, func.count(), func.count(distinct(backed.c.story_id)),
                   func.count(distinct(backed.c.member_id)))
            .group_by(backed.c.indicator_id))


def quotes(indicator_ids: list[int]) -> Any:
    """(indicator id, narrative id, text, pseudonym) of each quote chosen for these indicators."""
    backed = _backed(indicator_ids).where(IndicatorEvidence.quoted.is_(True)).subquery()
    return (select(backed.c.indicator_id, backed.c.id, backed.c.text, backed.c.pseudonym)
            .order_by(backed.c.indicator_id, backed.c.id))


def evidence(indicator_id: int) -> Any:
    """An indicator's evidence as the editor shows it, oldest answer first."""
    return (select(Narrative.id, Narrative.story_id, Membership.pseudonym,
                   Narrative.question_text, Narrative.text, Narrative.cycle, Narrative.capital,
                   Narrative.intended, IndicatorEvidence.quoted, Narrative.answered_at)
            .join(Narrative, Narrative.id == IndicatorEvidence.narrative_id)
            .join(Membership, and_(Membership.member_id == Narrative.member_id,
                                   Membership.community_id == Narrative.community_id))
            .where(IndicatorEvidence.indicator_id == indicator_id)
            .order_by(Narrative.answered_at, Narrative.id))


def links(indicator_id: int) -> Any:
    """The links of one indicator, whatever became of their narratives' members."""
    return select(IndicatorEvidence).where(IndicatorEvidence.indicator_id == indicator_id)


def narratives_of(community_id: int, narrative_ids: list[int]) -> Any:
    """(id, is a plan) of those of these narratives that are the community's, told by a
    current member."""
    return (select(Narrative.id, Narrative.intended)
            .join(Membership, and_(Membership.member_id == Narrative.member_id,
                                   Membership.community_id == Narrative.community_id))
            .where(Narrative.community_id == community_id, Narrative.id.in_(narrative_ids)))


def unlink(indicator_id: int, narrative_ids: list[int]) -> Any:
    return delete(IndicatorEvidence).where(IndicatorEvidence.indicator_id == indicator_id,
                                           IndicatorEvidence.narrative_id.in_(narrative_ids))


def quote_only(indicator_id: int, narrative_ids: list[int]) -> Any:
    """Mark these links of an indicator quoted, and only these."""
    return (update(IndicatorEvidence).where(IndicatorEvidence.indicator_id == indicator_id)
            .values(quoted=IndicatorEvidence.narrative_id.in_(narrative_ids) if narrative_ids
                    else False))


def last_position(community_id: int, cycle: str) -> Any:
    """The last position taken among a cycle's active indicators (None if it has none)."""
    return select(func.max(Indicator.position)).where(
        Indicator.community_id == community_id, Indicator.cycle == cycle,
        Indicator.status == "active")


def changes(indicator_id: int) -> Any:
    """An indicator's audit log, newest first."""
    return (select(IndicatorChange.at, IndicatorChange.actor, IndicatorChange.action,
                   IndicatorChange.details)
            .where(IndicatorChange.indicator_id == indicator_id)
            .order_by(IndicatorChange.at.desc(), IndicatorChange.id.desc()))


def adopted(community_id: int) -> Any:
    """The examples a community adopted already, whatever became of them since."""
    return select(Indicator.suggestion).where(Indicator.community_id == community_id,
                                              Indicator.suggestion.is_not(None))


def left(community_id: int) -> Any:
    """The examples a community chose not to use."""
    return select(IndicatorExampleLeft.example).where(
        IndicatorExampleLeft.community_id == community_id)


def any_indicator(community_id: int) -> Any:
    return select(Indicator.id).where(Indicator.community_id == community_id).limit(1)


def pseudonym_of(user_id: int, community_id: int) -> Any:
    """The pseudonym of a person in a community, if they are a member of it."""
    return (select(Membership.pseudonym).join(Member, Member.id == Membership.member_id)
            .where(Member.telegram_user_id == user_id, Membership.community_id == community_id))


def convener_grant(user_id: int, community_id: int) -> Any:
    """The id of a person's grant to convene a community, if they hold one."""
    return select(RoleGrant.id).where(
        RoleGrant.telegram_user_id == user_id, RoleGrant.community_id == community_id,
        RoleGrant.role == Role.CONVENER).limit(1)


def narrative(community_id: int, narrative_id: int) -> Any:
    """One of the community's narratives, told by a current member, as the evidence page shows
    it: the fields of an `Evidence`, not quoted."""
    return (select(Narrative.id, Narrative.story_id, Membership.pseudonym,
                   Narrative.question_text, Narrative.text, Narrative.cycle, Narrative.capital,
                   Narrative.intended, literal(False), Narrative.answered_at)
            .join(Membership, and_(Membership.member_id == Narrative.member_id,
                                   Membership.community_id == Narrative.community_id))
            .where(Narrative.community_id == community_id, Narrative.id == narrative_id))


def backing(narrative_id: int) -> Any:
    """The indicators a narrative backs."""
    return select(IndicatorEvidence.indicator_id).where(
        IndicatorEvidence.narrative_id == narrative_id)


# --- what every front end shows of an indicator, read in the caller's unit of work -----------

CYCLE_ORDER = {c.value: n for n, c in enumerate(ValueCycle)}


@dataclass(frozen=True)
class Quote:
    """A narrative shown with an indicator, under its teller's pseudonym."""

    narrative_id: int
    text: str
    pseudonym: str


@dataclass(frozen=True)
class Check:
    """What the community's members said of an indicator when the convener shared the matrix:
    members asked, and of those how many said it rings true or not for them.

    Filled by the members' check; until a community has shared its matrix it is all zeros.
    """

    asked: int = 0
    agreed: int = 0
    disagreed: int = 0


@dataclass(frozen=True)
class Comment:
    """A sentence a member wrote about an indicator when they checked it, under their pseudonym:
    their words about the statement, kept with it, never counted as its evidence nor anywhere in
    the matrix. `said` is their answer (agreed, disagreed) as the members' check stores it."""

    id: int
    pseudonym: str
    said: str
    text: str
    answered_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "pseudonym": self.pseudonym, "said": self.said, "text": self.text,
                "answered_at": self.answered_at.isoformat(timespec="seconds")
                if self.answered_at else None}


@dataclass(frozen=True)
class IndicatorView:
    """An indicator as every front end shows it. `narratives`, `stories` and `members` are
    counted from its links to narratives that still exist, never typed."""

    id: int
    cycle: str
    capital: str | None
    statement: str
    position: int
    status: str
    merged_into_id: int | None
    narratives: int = 0
    stories: int = 0
    members: int = 0
    quotes: tuple[Quote, ...] = ()
    check: Check = field(default_factory=Check)
    # What members wrote about it in the members' check, oldest first (`Comment`).
    comments: tuple[Comment, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """What `indicator list --json` prints for it."""
        found = asdict(self)
        found["quotes"] = [asdict(q) for q in self.quotes]
        found["comments"] = [c.to_dict() for c in self.comments]
        return found


async def views(session: AsyncSession, found: Sequence[Indicator]) -> list[IndicatorView]:
    """The indicators with their counts and quotes, by cycle, then position."""
    ids = [i.id for i in found]
    tallies: dict[int, tuple[int, int, int]] = {}
    said: dict[int, list[Quote]] = {}
    if ids:
        for iid, narratives, stories, members in (await session.execute(counts(ids))):
            tallies[iid] = (narratives, stories, members)
        for iid, nid, text, pseudonym in (await session.execute(quotes(ids))):
            said.setdefault(iid, []).append(Quote(nid, text, pseudonym))
    checks = await _checks(session, ids)
    wrote: dict[int, list[Comment]] = {}
    for iid, aid, pseudonym, answer, text, at in await check_queries.comments(session, ids):
        wrote.setdefault(iid, []).append(Comment(aid, pseudonym, answer or "", text, at))
    return [IndicatorView(i.id, i.cycle, i.capital, i.statement, i.position, i.status,
                          i.merged_into_id, *tallies.get(i.id, (0, 0, 0)),
                          quotes=tuple(said.get(i.id, ())), check=checks.get(i.id, Check()),
                          comments=tuple(wrote.get(i.id, ())))
            for i in sorted(found, key=lambda i: (CYCLE_ORDER.get(i.cycle, 99), i.position, i.id))]


async def _checks(session: AsyncSession, indicator_ids: list[int]) -> dict[int, Check]:
    """The members' check of each indicator, counted as `matrix.glossary` says."""
    found = await check_queries.counts(session, indicator_ids)
    return {i: Check(c.asked, c.agreed, c.disagreed) for i, c in found.items()}


async def on_matrix(session: AsyncSession, community_id: int) -> list[IndicatorView]:
    """A community's indicators as its matrix shows them (active ones, cycle by cycle, counted),
    read in the matrix's own unit of work: whoever builds the matrix has checked the rights."""
    found = (await session.scalars(indicators(community_id, (IndicatorStatus.ACTIVE,)))).all()
    return await views(session, found)
