"""The stories' SQL: one story's thread, the newest stories that reached applied value, the
furthest-reaching ones, and the stories featured in the report."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, literal, or_, select, union_all

from flows.questions import ValueCycle
from storage.models import Event, FeaturedStory, Membership, Narrative


def thread(community_id: int, story_id: str) -> Any:
    """A story's narratives with the teller's pseudonym and the event: (id, cycle, intended,
    question, text, answered_at, revised_at, pseudonym, event id, title, starts_at)."""
    return (select(Narrative.id, Narrative.cycle, Narrative.intended, Narrative.question_text,
                   Narrative.text, Narrative.answered_at, Narrative.revised_at,
                   Membership.pseudonym, Event.id, Event.title, Event.starts_at)
            .join(Membership, and_(Membership.member_id == Narrative.member_id,
                                   Membership.community_id == Narrative.community_id))
            .join(Event, Event.id == Narrative.event_id)
            .where(Narrative.story_id == story_id, Narrative.community_id == community_id))


def reaching_applied(community_id: int, limit: int) -> Any:
    """The narratives of the newest `limit` stories that reached applied value (done, not only
    meant) or beyond: (story_id, last_at, cycle, intended, pseudonym, title)."""
    beyond = or_(and_(Narrative.cycle == ValueCycle.APPLIED, Narrative.intended.is_(False)),
                 Narrative.cycle.in_((ValueCycle.REALISED, ValueCycle.REFRAMING)))
    last = func.max(Narrative.answered_at).label("last_at")
    newest = (select(Narrative.story_id, last)
              .where(Narrative.community_id == community_id, beyond)
              .group_by(Narrative.story_id).order_by(last.desc()).limit(limit).subquery())
    return (select(newest.c.story_id, newest.c.last_at, Narrative.cycle, Narrative.intended,
                   Membership.pseudonym, Event.title)
            .join(Narrative, and_(Narrative.story_id == newest.c.story_id,
                                  Narrative.community_id == community_id))
            .join(Membership, and_(Membership.member_id == Narrative.member_id,
                                   Membership.community_id == Narrative.community_id))
            .join(Event, Event.id == Narrative.event_id))


# The cycles a story can reach, furthest first: a plan is not applied value.
REACHED = (ValueCycle.REFRAMING, ValueCycle.REALISED, ValueCycle.APPLIED)


def furthest(community_id: int, since: Any, pool: int) -> Any:
    """Up to `pool` of the newest stories that reached each of reframing, realised and applied
    value (done, not only meant), since a moment: (story_id, reached, answered_at). Each read
    walks the matrix's covering index (community, cycle, intended, answered_at) backwards."""
    return union_all(*(select(
        select(Narrative.story_id, literal(rank).label("reached"), Narrative.answered_at)
        .where(Narrative.community_id == community_id, Narrative.cycle == cycle,
               Narrative.intended == literal(False), Narrative.answered_at >= since)
        .order_by(Narrative.answered_at.desc(), Narrative.id.desc()).limit(pool).subquery())
        for rank, cycle in zip((3, 2, 1), REACHED, strict=True)))


def stages_of(story_ids: list[str]) -> Any:
    """Each story's narratives' cycles: (story_id, cycle, intended)."""
    return (select(Narrative.story_id, Narrative.cycle, Narrative.intended)
            .where(Narrative.story_id.in_(story_ids)))


def featured(community_id: int) -> Any:
    """The community's featured stories' ids, in the order they were chosen."""
    return (select(FeaturedStory.story_id).where(FeaturedStory.community_id == community_id)
            .order_by(FeaturedStory.chosen_at, FeaturedStory.id))


def unfeature(community_id: int, story_id: str) -> Any:
    return delete(FeaturedStory).where(FeaturedStory.community_id == community_id,
                                       FeaturedStory.story_id == story_id)
