"""The coding feature's SQL: the codebook, codings, what coders have seen, and coding sets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, literal, or_, select

from storage.models import (
    Code,
    Coder,
    CoderSeen,
    Coding,
    CodingSet,
    CodingSetDone,
    CodingSetNarrative,
    Event,
    Membership,
    Narrative,
)


def codes(community_id: int) -> Any:
    return select(Code).where(Code.community_id == community_id).order_by(Code.name, Code.id)


def code(community_id: int, code_id: int) -> Any:
    return select(Code).where(Code.community_id == community_id, Code.id == code_id)


def code_named(community_id: int, name: str) -> Any:
    return select(Code).where(Code.community_id == community_id,
                              func.lower(Code.name) == name.lower()).order_by(Code.id).limit(1)


def code_by_guid(community_id: int, guid: str) -> Any:
    return select(Code).where(Code.community_id == community_id, Code.guid == guid)


def counts_by_code(community_id: int) -> Any:
    """Per code: the narratives it is applied to and the codings, by any coder."""
    return (select(Coding.code_id, func.count(func.distinct(Coding.narrative_id)),
                   func.count(Coding.id))
            .join(Code, Code.id == Coding.code_id)
            .where(Code.community_id == community_id)
            .group_by(Coding.code_id))


def counts_by_code_and_cycle(community_id: int) -> Any:
    """Per code and the cycle of the narratives it is applied to: how many narratives."""
    return (select(Coding.code_id, Narrative.cycle, func.count(func.distinct(Coding.narrative_id)))
            .join(Code, Code.id == Coding.code_id)
            .join(Narrative, Narrative.id == Coding.narrative_id)
            .where(Code.community_id == community_id)
            .group_by(Coding.code_id, Narrative.cycle))


def coder(community_id: int, telegram_user_id: int) -> Any:
    return select(Coder).where(Coder.community_id == community_id,
                               Coder.telegram_user_id == telegram_user_id)


def coder_labelled(community_id: int, label: str) -> Any:
    return select(Coder).where(Coder.community_id == community_id,
                               func.lower(Coder.label) == label.lower())


def narrative(community_id: int, narrative_id: int) -> Any:
    return select(Narrative).where(Narrative.community_id == community_id,
                                   Narrative.id == narrative_id)


def narratives_of(community_id: int, ids: Iterable[int]) -> Any:
    return select(Narrative.id).where(Narrative.community_id == community_id,
                                      Narrative.id.in_(list(ids)))


def hidden_from(coder_id: int | None) -> Any:
    """Narratives whose other coders' codings this coder may not see yet: those in a blind set
    they have not marked done."""
    done = exists().where(CodingSetDone.set_id == CodingSet.id,
                          CodingSetDone.coder_id == (coder_id if coder_id is not None else -1))
    return (select(CodingSetNarrative.narrative_id)
            .join(CodingSet, CodingSet.id == CodingSetNarrative.set_id)
            .where(CodingSet.blind.is_(True), ~done))


def codings_on(narrative_ids: Iterable[int], coder_id: int | None
               ) -> Any:
    """The codings on these narratives this coder may see: their own always, others' unless the
    narrative is in a blind set they are still coding."""
    ids = list(narrative_ids)
    visible = or_(Coding.coder_id == (coder_id if coder_id is not None else -1),
                  Coding.narrative_id.not_in(hidden_from(coder_id)))
    return (select(Coding, Code.name, Code.colour, Coder.label)
            .join(Code, Code.id == Coding.code_id)
            .join(Coder, Coder.id == Coding.coder_id)
            .where(Coding.narrative_id.in_(ids), visible)
            .order_by(Coding.narrative_id, Coding.start.nulls_first(), Coding.id))


def same_coding(code_id: int, narrative_id: int, coder_id: int, start: int | None,
                end: int | None) -> Any:
    whole = and_(Coding.start.is_(None), Coding.end.is_(None))
    where = whole if start is None else and_(Coding.start == start, Coding.end == end)
    return select(Coding.id).where(Coding.code_id == code_id, Coding.narrative_id == narrative_id,
                                   Coding.coder_id == coder_id, where)


def coding(community_id: int, coding_id: int) -> Any:
    return (select(Coding).join(Code, Code.id == Coding.code_id)
            .where(Code.community_id == community_id, Coding.id == coding_id))


def seen_pairs(community_id: int) -> Any:
    """(coder label, narrative) for every narrative each coder of the community has seen."""
    return (select(Coder.label, CoderSeen.narrative_id)
            .join(Coder, Coder.id == CoderSeen.coder_id)
            .where(Coder.community_id == community_id))


def coded_triples(community_id: int) -> Any:
    """(code name, coder label, narrative) for every coding in the community."""
    return (select(Code.name, Coder.label, Coding.narrative_id)
            .join(Code, Code.id == Coding.code_id)
            .join(Coder, Coder.id == Coding.coder_id)
            .where(Code.community_id == community_id).distinct())


def in_set(set_id: int) -> Any:
    return select(CodingSetNarrative.narrative_id).where(CodingSetNarrative.set_id == set_id)


def coding_set(community_id: int, name: str) -> Any:
    return select(CodingSet).where(CodingSet.community_id == community_id,
                                   func.lower(CodingSet.name) == name.lower())


def coding_set_by_id(community_id: int, set_id: int) -> Any:
    return select(CodingSet).where(CodingSet.community_id == community_id, CodingSet.id == set_id)


def coding_sets(community_id: int) -> Any:
    return select(CodingSet).where(CodingSet.community_id == community_id).order_by(CodingSet.id)


def done_in(set_id: int) -> Any:
    return (select(Coder.label).join(CodingSetDone, CodingSetDone.coder_id == Coder.id)
            .where(CodingSetDone.set_id == set_id).order_by(Coder.label))


def forget_code(code_id: int) -> Any:
    return delete(Code).where(Code.id == code_id)


def codings_on_code(code_id: int) -> Any:
    return select(Coding.id).where(Coding.code_id == code_id)


def narratives_coded(code_id: int) -> Any:
    return (select(Coding.narrative_id).where(Coding.code_id == code_id).distinct()
            .order_by(Coding.narrative_id))


def narrative_texts(ids: Iterable[int]) -> Any:
    return select(Narrative).where(Narrative.id.in_(list(ids)))


def narrative_ids(community_id: int) -> Any:
    return select(Narrative.id).where(Narrative.community_id == community_id)


def texts_of(ids: Iterable[int]) -> Any:
    return select(Narrative.id, Narrative.text).where(Narrative.id.in_(list(ids)))


def codings_of_coder(coder_id: int) -> Any:
    """(code, narrative, start, end) of every coding a coder has made, to tell a repeat."""
    return select(Coding.code_id, Coding.narrative_id, Coding.start, Coding.end).where(
        Coding.coder_id == coder_id)


def seen_by(coder_id: int) -> Any:
    return select(CoderSeen.narrative_id).where(CoderSeen.coder_id == coder_id)


def shown_narrative(community_id: int, narrative_id: int) -> Any:
    """A narrative as the coding view shows it, with its pseudonym and event; none for a member
    who withdrew (no membership)."""
    return (select(Narrative, Membership.pseudonym, Event.title)
            .join(Membership, and_(Membership.member_id == Narrative.member_id,
                                   Membership.community_id == Narrative.community_id))
            .join(Event, Event.id == Narrative.event_id)
            .where(Narrative.community_id == community_id, Narrative.id == narrative_id))


def sets_holding(narrative_id: int) -> Any:
    return (select(CodingSet).join(CodingSetNarrative, CodingSetNarrative.set_id == CodingSet.id)
            .where(CodingSetNarrative.narrative_id == narrative_id).order_by(CodingSet.id))


def done_by(set_id: int, coder_id: int) -> Any:
    return select(CodingSetDone.set_id).where(CodingSetDone.set_id == set_id,
                                              CodingSetDone.coder_id == coder_id)


def set_narratives(set_id: int) -> Any:
    """A set's narratives, with their pseudonyms, in the set's order (by id)."""
    return (select(Narrative.id, Narrative.question_text, Narrative.text, Membership.pseudonym)
            .join(CodingSetNarrative, CodingSetNarrative.narrative_id == Narrative.id)
            .join(Membership, and_(Membership.member_id == Narrative.member_id,
                                   Membership.community_id == Narrative.community_id))
            .where(CodingSetNarrative.set_id == set_id).order_by(Narrative.id))


def my_codings_in_set(set_id: int, coder_id: int) -> Any:
    """Per narrative of the set: how many codings this coder made on it."""
    return (select(Coding.narrative_id, func.count(Coding.id))
            .join(CodingSetNarrative, CodingSetNarrative.narrative_id == Coding.narrative_id)
            .where(CodingSetNarrative.set_id == set_id, Coding.coder_id == coder_id)
            .group_by(Coding.narrative_id))


def seen_in_set(set_id: int, coder_id: int) -> Any:
    return (select(CoderSeen.narrative_id)
            .join(CodingSetNarrative, CodingSetNarrative.narrative_id == CoderSeen.narrative_id)
            .where(CodingSetNarrative.set_id == set_id, CoderSeen.coder_id == coder_id))


def coding_guids(community_id: int) -> Any:
    return select(Coding.guid).join(Code, Code.id == Coding.code_id).where(
        Code.community_id == community_id)


def add_codings() -> Any:
    """Many codings at once (executemany on the table, not the ORM's per-object path)."""
    return insert(Coding.metadata.tables["codings"])


def see_all(coder_id: int, narrative_ids: Sequence[int], now: dt.datetime) -> Any:
    """These narratives, seen by this coder, where not seen before: one statement, in SQL."""
    fresh = (select(literal(coder_id), Narrative.id, literal(now, CoderSeen.seen_at.type))
             .where(Narrative.id.in_(narrative_ids),
                    ~exists().where(CoderSeen.coder_id == coder_id,
                                    CoderSeen.narrative_id == Narrative.id)))
    return insert(CoderSeen.metadata.tables["coder_seen"]).from_select(
        ["coder_id", "narrative_id", "seen_at"], fresh)
