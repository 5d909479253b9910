"""The narratives page's SQL: one statement per shape of filter, and the events for the filter."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, String, and_, bindparam, literal, or_, select, tuple_

from storage.models import Code, Coder, Coding, Community, Event, Membership, Narrative
from valuestory.usecases.coding.queries import hidden_from


def like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class Shape:
    """Which filters a page has: one statement is built, and compiled, per shape, not per page."""

    cycle: bool
    capital: bool
    event: bool
    since: bool
    pseudonym: bool
    words: int
    after: bool
    plans: bool = False
    code: bool = False


def param(name: str, model_column: Any) -> Any:
    return bindparam(name, type_=model_column.type)


@functools.lru_cache(maxsize=256)
def statement(shape: Shape) -> Select[Any]:
    """The one statement behind a page (one more row than shown, to know if there is a next).

    The page's narratives are chosen from narratives alone, read backwards off the index, and
    only those few are joined to their pseudonyms and events: joined first, a planner may read
    every membership before it stops at the limit.
    """
    community_id = param("community_id", Narrative.community_id)
    chosen = (select(Narrative.id, Narrative.story_id, Narrative.question_text, Narrative.text,
                     Narrative.member_id, Narrative.event_id, Narrative.answered_at,
                     Narrative.revised_at, Narrative.cycle, Narrative.capital, Narrative.intended,
                     Narrative.community_id)
              .where(Narrative.community_id == community_id))
    # `=`, not `IS`: PostgreSQL uses an index for an equality only.
    if shape.plans:
        chosen = chosen.where(Narrative.intended == literal(True))
    elif shape.cycle:
        chosen = chosen.where(Narrative.cycle == param("cycle", Narrative.cycle),
                              Narrative.intended == literal(False))
    if shape.capital:
        chosen = chosen.where(Narrative.capital == param("capital", Narrative.capital))
    if shape.event:
        chosen = chosen.where(Narrative.event_id == param("event_id", Narrative.event_id))
    if shape.since:
        chosen = chosen.where(Narrative.answered_at >= param("since", Narrative.answered_at))
    if shape.pseudonym:
        chosen = chosen.where(Narrative.member_id.in_(select(Membership.member_id).where(
            Membership.community_id == community_id,
            Membership.pseudonym == param("pseudonym", Membership.pseudonym))))
    if shape.code:
        # Coded with the code by a coding the visitor may see (in a blind set they have not
        # finished: only their own), read off ix_codings_code_id_narrative_id.
        coder = param("coder_id", Coding.coder_id)
        chosen = chosen.where(Narrative.id.in_(select(Coding.narrative_id).where(
            Coding.code_id == param("code_id", Coding.code_id),
            or_(Coding.coder_id == coder, Coding.narrative_id.not_in(hidden_from(coder))))))
    for i in range(shape.words):
        chosen = chosen.where(Narrative.text.ilike(bindparam(f"word{i}", type_=String()),
                                                   escape="\\"))
    if shape.after:
        chosen = chosen.where(
            tuple_(Narrative.answered_at, Narrative.id)
            < tuple_(param("after_at", Narrative.answered_at), param("after_id", Narrative.id)))
    n = (chosen.order_by(Narrative.answered_at.desc(), Narrative.id.desc())
         .limit(bindparam("rows", type_=Integer())).subquery())
    # Item's fields, in its order: each row becomes an Item as it is.
    columns: list[Any] = [
        n.c.id, n.c.story_id, n.c.question_text, n.c.text, Membership.pseudonym, n.c.event_id,
        Event.title, n.c.answered_at, n.c.revised_at.is_not(None), n.c.cycle, n.c.capital,
        n.c.intended]
    # An inner join to the membership: a member who withdrew has none, and never appears. Joined
    # on the rows' own community, not the parameter again: given the parameter, SQLite's planner
    # builds a Bloom filter over the memberships for 51 rows, which took half as long again.
    return (select(*columns)
            .join(Membership, and_(Membership.member_id == n.c.member_id,
                                   Membership.community_id == n.c.community_id))
            .join(Event, Event.id == n.c.event_id)
            .order_by(n.c.answered_at.desc(), n.c.id.desc()))


# The community's events, newest first, for the event filter: (id, title, starts_at).
EVENTS = (select(Event.id, Event.title, Event.starts_at)
          .where(Event.community_id == param("community_id", Event.community_id))
          .order_by(Event.starts_at.desc(), Event.id.desc()))

# The community's codes, by name, for the code filter (shown to those who may code).
CODES = (select(Code.id, Code.name)
         .where(Code.community_id == param("community_id", Code.community_id))
         .order_by(Code.name, Code.id))

# Whether the community lets its conveners code.
CONVENERS_CODE = select(Community.conveners_code).where(
    Community.id == param("community_id", Community.id))

# The visitor as a coder of the community, if they are one.
CODER = select(Coder.id).where(Coder.community_id == param("community_id", Coder.community_id),
                               Coder.telegram_user_id == param("user_id", Coder.telegram_user_id))
