"""The stories' SQL: one story's thread, and the newest stories that reached applied value."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select

from flows.questions import ValueCycle
from storage.models import Event, Membership, Narrative


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
