"""Claims after a crash: what never left a stopped process is sent again; what may have is asked once.

Every process sending scheduled messages holds a lease (a `scheduler_state` row it renews while
it works). A `Delivery` moves `claimed` → `sending` in a transaction committed just before its
request is written to Telegram, and only while its claimant still holds it, so:

- a `claimed` row whose process stopped (its lease lapsed, or it is this process's own, left by
  an earlier tick) never reached Telegram: it is deleted and its prompt is due again, exactly as
  before the claim, so the next fan-out sends it, here or in another replica;
- a `sending` row whose process stopped may or may not have arrived: it becomes `uncertain`, and
  the member of an uncertain opening gets one "in case" message (`again`) instead of the reminder,
  which reads well whether or not the first one came. A reminder in doubt needs nothing more: the
  prompt itself arrived. A members' check in doubt is not sent again: if it came, its buttons
  work; if not, it is not counted as asked (`matrix.glossary`).

Releasing a claim and putting it on the wire are conditional updates of the same row, so with two
replicas on PostgreSQL exactly one of them wins.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter as Tally

from prometheus_client import Counter

from storage.db import Database
from valuestory.usecases.scheduler import queries
from valuestory.usecases.scheduler.model import TickReport

log = logging.getLogger(__name__)

IN_DOUBT = Counter("valuestory_sends_in_doubt",
                   "Scheduled sends marked on their way to Telegram whose outcome was never "
                   "recorded (the process stopped, or no answer came): they may have arrived.")
RESOLVED = Counter("valuestory_sends_in_doubt_resolved",
                   "Sends in doubt settled: the member asked once more, or known to have it.",
                   ["how"])
for _how in ("asked_again", "answered", "already_asked"):
    RESOLVED.labels(_how)  # shown as 0 before the first
RELEASED = Counter("valuestory_claims_released",
                   "Claims of a stopped process that had not left it, sent again.")

# How long a process's lease lasts unless renewed; the bot renews it well within this.
LEASE = dt.timedelta(seconds=90)
# Leases of processes long gone are forgotten after this.
FORGET_LEASES = dt.timedelta(days=1)
CLAIMED, SENDING, SKIPPED = "claimed", "sending", "skipped"


async def renew(db: Database, worker: str, at: dt.datetime) -> None:
    """Say this process is alive and its claims are its own until `at` + the lease."""
    async with db.session() as session:
        await queries.renew_lease(db, session, worker, at)


async def recover(db: Database, now: dt.datetime, worker: str, lease: dt.timedelta,
                  report: TickReport) -> None:
    """Release the claims of stopped processes that never left them; mark the rest in doubt.

    This process's own claims count as stopped: one tick runs at a time, so none is being sent.
    """
    alive = queries.leases_alive(now, lease, worker)
    async with db.session() as session:
        released = await queries.release_deliveries(session, alive, worker)
        doubt = await queries.deliveries_in_doubt(session, alive, worker)
        notices_released, notices_doubt = await queries.recover(session, alive, worker)
        await queries.forget_leases(session, now - FORGET_LEASES)
    if notices_released:
        RELEASED.inc(notices_released)
        report.released += notices_released
        log.info("%d notices claimed by a stopped process had not left it: they are due again",
                 notices_released)
    if notices_doubt:
        IN_DOUBT.inc(len(notices_doubt))
        report.uncertain += len(notices_doubt)
        kinds = Tally(notices_doubt)
        log.warning("%d notices were on their way to Telegram when their process stopped, their "
                    "outcome never recorded (%s): in doubt, each goes once more, 'in case' (an "
                    "'in case' in doubt is left)", len(notices_doubt),
                    ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    if released:
        RELEASED.inc(released)
        report.released += released
        log.info("%d scheduled messages claimed by a stopped process had not left it: "
                 "they are due again", released)
    if doubt:
        IN_DOUBT.inc(len(doubt))
        report.uncertain += len(doubt)
        kinds = Tally(doubt)
        if kinds["reminder"]:
            RESOLVED.labels("already_asked").inc(kinds["reminder"])
            report.resolved += kinds["reminder"]
        log.warning("%d scheduled messages were on their way to Telegram when their process "
                    "stopped, their outcome never recorded (%s): in doubt, each opening's member "
                    "gets one 'in case' message",
                    len(doubt), ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
