"""Notices: messages to conveners outside any conversation (the weekly digest, retention notices),
sent under the same promise as prompts: nothing lost in a crash, nothing sent twice.

A notice is planned as a `due` row per person, claimed, marked on the wire in its own commit
just before its request is written, and its outcome recorded as soon as Telegram answers. After
a crash `claims.recover` makes a claim that never left due again, and one that was on the wire
due once more as its "in case" version (`again`): the same message under a line saying "in case
this didn't reach you", which reads well whether or not the first arrived. Telegram being away
gives a notice back, due as before, for a later tick.

What a notice says is not decided here: each kind hands in a `Compose` that builds its messages
when they are sent, in each person's language, so the content can change without the sending.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from storage.availability import unavailable, wait_out
from storage.db import Database
from storage.models import Community
from valuestory.usecases import speaking
from valuestory.usecases.out import Out
from valuestory.usecases.scheduler import queries
from valuestory.usecases.scheduler.claims import IN_DOUBT, RESOLVED, renew
from valuestory.usecases.scheduler.model import Outcome, Sender, TickReport, worker_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """One notice to one person, as its kind's `Compose` reads it."""

    id: int
    kind: str
    community_id: int
    round: str
    telegram_user_id: int
    again: bool  # the "in case" version: the first may or may not have arrived
    details: dict[str, Any] = field(default_factory=dict)


# What each notice says, by its id (a notice left out is given back, for a later tick).
Compose = Callable[[Database, list[Notice], dt.datetime], Awaitable[dict[int, list[Out]]]]


async def by_community(db: Database, notices: list[Notice]
                       ) -> list[tuple[Community, list[Notice], dict[int, str]]]:
    """For a `Compose`: the notices of each community still there, with each convener's language
    (`speaking`'s for staff)."""
    grouped = []
    for community_id in sorted({n.community_id for n in notices}):
        mine = [n for n in notices if n.community_id == community_id]
        async with db.session() as session:
            community = await queries.community(session, community_id)
            if community is None:
                continue
            languages = await speaking.queries.staff_languages(
                session, community, [n.telegram_user_id for n in mine])
        grouped.append((community, mine, languages))
    return grouped


async def plan_notices(db: Database, kind: str, community_id: int, round: str, people: list[int],
               details: dict[str, Any] | None = None) -> None:
    """One due notice of this kind and round for each person (none twice), in its own commit."""
    async with db.session() as session:
        await queries.add_due(db, session, kind, community_id, round, people, details or {})


async def deliver(db: Database, sender: Sender, now: dt.datetime, compose: Mapping[str, Compose],
                  *, worker: str | None = None, report: TickReport | None = None,
                  community_id: int | None = None, round: str | None = None) -> int:
    """Claim the due notices of the kinds in `compose` and send each; how many were sent.

    Without a `worker` (sent by hand, not by a tick) this call takes a lease of its own.
    """
    report = report if report is not None else TickReport()
    if worker is None:
        worker = worker_name()
        await renew(db, worker, now)
    async with db.session() as session:
        claimed = [Notice(n.id, n.kind, n.community_id, n.round, n.telegram_user_id, n.again,
                          dict(n.details or {}))
                   for n in await queries.claim_due(session, worker, now, list(compose),
                                                    community_id, round)]
    if not claimed:
        return 0
    said: dict[int, list[Out]] = {}
    try:
        for kind, build in compose.items():
            mine = [n for n in claimed if n.kind == kind]
            if mine:
                said |= await build(db, mine, now)
    except BaseException:
        await _give_back(db, [n.id for n in claimed], worker)
        raise
    sent = 0
    for i, notice in enumerate(claimed):
        outs = said.get(notice.id)
        if not outs:
            await _give_back(db, [notice.id], worker)
            continue
        outcome = await _send(db, sender, now, worker, notice, outs, report)
        if outcome is Outcome.SENT:
            sent += 1
        elif outcome is Outcome.NOT_SENT:
            # Telegram is away: the rest would only wait and come back; a later tick sends them.
            await _give_back(db, [n.id for n in claimed[i + 1:]], worker)
            break
    return sent


async def _give_back(db: Database, ids: list[int], worker: str) -> None:
    if ids:
        async with db.session() as session:
            await queries.give_back(session, ids, worker)


async def _send(db: Database, sender: Sender, now: dt.datetime, worker: str, notice: Notice,
                outs: list[Out], report: TickReport) -> Outcome | None:
    """Send one notice, marked on the wire by the sender just before its request is written,
    and record how it went; None if it was not ours."""
    marked: bool | None = None

    async def on_wire() -> bool:
        nonlocal marked
        async with db.session() as session:
            marked = await queries.on_wire(session, notice.id, worker, now)
        return marked

    result = await sender.send(notice.telegram_user_id, outs, on_wire)
    if marked is None:  # refused, or failed, before any request went: recorded as such
        await on_wire()
    if not marked:
        return None
    values: dict[str, Any] = {"status": result.outcome.value, "error": result.error}
    if result.outcome is Outcome.SENT:
        values["sent_at"] = now
    elif result.outcome is Outcome.UNCERTAIN and not notice.again:
        # No answer after it was written: it may have arrived, so it goes once more, "in case".
        values = {"status": queries.DUE, "again": True, "claimed_by": None, "error": result.error}
    while True:
        try:
            async with db.session() as session:
                if result.outcome is Outcome.NOT_SENT:
                    await queries.give_back(session, [notice.id], worker)
                else:
                    await queries.record(session, notice.id, values)
            break
        except Exception as exc:
            if not unavailable(exc):
                log.warning("could not record a %s notice (%s); it will be treated as in doubt",
                            notice.kind, type(exc).__name__)
                report.errors.append(type(exc).__name__)
                return result.outcome
            await wait_out(db, exc)  # we know how it went: write it once we can
    if result.outcome is Outcome.SENT:
        report.notices += 1
        if notice.again:
            RESOLVED.labels("asked_again").inc()
            report.asked_again += 1
            report.resolved += 1
    elif result.outcome is Outcome.NOT_SENT:
        report.not_sent += 1
    elif result.outcome is Outcome.UNCERTAIN:
        IN_DOUBT.inc()
        report.uncertain += 1
    else:
        log.warning("a %s notice was not delivered to a convener: %s", notice.kind, result.error)
        setattr(report, result.outcome.value, getattr(report, result.outcome.value) + 1)
    return result.outcome
