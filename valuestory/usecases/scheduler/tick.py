"""One tick: plan, beat, sweep, fan out, and hand off the weekly digests that are due."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from storage.availability import unavailable
from storage.db import Database
from valuestory.usecases.scheduler import queries
from valuestory.usecases.scheduler.claims import LEASE, recover, renew
from valuestory.usecases.scheduler.fanout import (
    FanOut,
    busy_members,
    communities_by_id,
    due_again,
    due_checks,
    due_openings,
    due_reminders,
)
from valuestory.usecases.scheduler.model import DigestHook, Sender, TickReport, worker_name
from valuestory.usecases.scheduler.notices import Compose, deliver
from valuestory.usecases.scheduler.plan import plan, sweep, sweep_checks
from valuestory.usecases.scheduler.rules import last_slot

log = logging.getLogger(__name__)


async def _digests(db: Database, now: dt.datetime, hook: DigestHook, report: TickReport) -> None:
    async with db.session() as session:
        communities = await queries.communities(session)
    for c in communities:
        moment = last_slot(c, now)
        if moment < c.created_at:
            continue  # no digest for a week the community did not exist in
        year, week, _ = moment.astimezone(ZoneInfo(c.timezone)).isocalendar()
        key = f"digest:{c.id}:{year}-W{week:02d}"
        async with db.session() as session:
            handed = await queries.hand_off(db, session, key, moment.isoformat(), now)
        if not handed:
            continue  # this week's digest is already handed off, here or in another process
        try:
            await hook(c.id, now)
            report.digests += 1
        except Exception as exc:  # the digest's own failure must not stop the scheduler
            log.exception("weekly digest failed for community %s", c.id)
            report.errors.append(type(exc).__name__)


async def _beat(db: Database, now: dt.datetime) -> None:
    async with db.session() as session:
        await queries.beat(db, session, now)


async def tick(db: Database, sender: Sender, now: dt.datetime, *,
               on_digest_due: DigestHook | None = None,
               notices: Mapping[str, Compose] | None = None, worker: str | None = None,
               batch: int | None = None, stop: asyncio.Event | None = None,
               heartbeat: Callable[[], object] | None = None,
               lease: dt.timedelta = LEASE) -> TickReport:
    """Do all work that is due at `now`: plan, send prompts and reminders, close, hand off digests.

    `on_digest_due` is handed each community's weekly digest once (it plans the notices);
    `notices` says, for each kind, what its due notices say, and they are sent. `worker` names
    this process's claims; one tick at a time per worker. `lease`: how long other processes
    wait, after this one stops renewing, before they take over its claims.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    report = TickReport()
    worker = worker or worker_name()
    await renew(db, worker, now)
    await plan(db, now, report)
    await _beat(db, now)
    missed, report.closed = await sweep(db, now)
    report.missed += missed
    missed, report.checks_closed = await sweep_checks(db, now)
    report.missed += missed
    await recover(db, now, worker, lease, report)
    run = FanOut(db, sender, now, worker, report, await communities_by_id(db),
                 await busy_members(db), lease)
    run.stop, run.heartbeat = stop, heartbeat
    openings = await due_openings(db, now, report)
    # One message per member per tick keeps every chat well under one message a second.
    skip = {d.member_id for d in openings}
    again = await due_again(db, now, skip)
    reminders = await due_reminders(db, now, skip)
    checks = await due_checks(db, now, report, skip)
    if batch is None:
        # Claim about a twentieth of a second's sending at once: few transactions at high rates,
        # and few messages between claim and send at Telegram's own.
        batch = max(1, round(getattr(sender, "rate", 30.0) / 20))
    await run.fan_out(openings + again + reminders + checks, batch)
    if on_digest_due is not None:
        await _digests(db, now, on_digest_due, report)
    if notices and not (stop and stop.is_set()):
        try:
            await deliver(db, sender, now, notices, worker=worker, report=report)
        except Exception as exc:  # a notice's failure must not stop the scheduler
            if unavailable(exc):
                raise
            log.exception("notices failed; they are due again at the next run")
            report.errors.append(type(exc).__name__)
    return report
