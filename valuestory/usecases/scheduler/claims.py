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
from typing import Any

from prometheus_client import Counter
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    Check,
    CheckStatus,
    Delivery,
    Narrative,
    Prompt,
    PromptStatus,
    SchedulerState,
)
from valuestory.usecases.scheduler import queries
from valuestory.usecases.scheduler.model import Outcome, TickReport
from valuestory.usecases.scheduler.rules import insert_new

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
LEASE_PREFIX = "lease:"
# Leases of processes long gone are forgotten after this.
FORGET_LEASES = dt.timedelta(days=1)
CLAIMED, SENDING, SKIPPED = "claimed", "sending", "skipped"


async def renew(db: Database, worker: str, at: dt.datetime) -> None:
    """Say this process is alive and its claims are its own until `at` + the lease."""
    key = LEASE_PREFIX + worker
    async with db.session() as session:
        await session.execute(insert_new(db, SchedulerState).values(key=key, value=worker, at=at))
        await session.execute(update(SchedulerState)
                              .where(SchedulerState.key == key, SchedulerState.at < at)
                              .values(at=at))


async def recover(db: Database, now: dt.datetime, worker: str, lease: dt.timedelta,
                  report: TickReport) -> None:
    """Release the claims of stopped processes that never left them; mark the rest in doubt.

    This process's own claims count as stopped: one tick runs at a time, so none is being sent.
    """
    alive = select(SchedulerState.value).where(
        SchedulerState.key.startswith(LEASE_PREFIX), SchedulerState.at > now - lease,
        SchedulerState.value.is_not(None), SchedulerState.value != worker)
    orphan = or_(Delivery.claimed_by == worker, Delivery.claimed_by.not_in(alive))
    async with db.session() as session:
        released = (await session.execute(
            delete(Delivery).where(Delivery.status == CLAIMED, orphan)
            .returning(Delivery.prompt_id, Delivery.purpose, Delivery.claimed_at,
                       Delivery.check_id)
            .execution_options(synchronize_session=False)
        )).all()
        await due_again_as_before(session, [(row[0], row[1], row[2], row[3]) for row in released])
        doubt = (await session.execute(
            update(Delivery).where(Delivery.status == SENDING, orphan)
            .values(status=Outcome.UNCERTAIN, error="on the wire when its process stopped")
            .returning(Delivery.purpose)
            .execution_options(synchronize_session=False)
        )).scalars().all()
        notices_released, notices_doubt = await queries.recover(session, alive, worker)
        await session.execute(
            delete(SchedulerState).where(SchedulerState.key.startswith(LEASE_PREFIX),
                                         SchedulerState.at < now - FORGET_LEASES)
            .execution_options(synchronize_session=False))
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
        RELEASED.inc(len(released))
        report.released += len(released)
        log.info("%d scheduled messages claimed by a stopped process had not left it: "
                 "they are due again", len(released))
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


async def due_again_as_before(
        session: AsyncSession,
        released: list[tuple[int | None, str, dt.datetime, int | None]]) -> None:
    """Claims (prompt id, purpose, claimed at, check id) given back unsent: due again as before."""
    openings = [prompt for prompt, purpose, _, _ in released if purpose == "prompt"]
    if openings:
        # Nothing reached the member: the prompt is as it was before it was claimed.
        await session.execute(
            update(Prompt).where(Prompt.id.in_(openings), Prompt.status == PromptStatus.OPEN)
            .values(status=PromptStatus.SCHEDULED, opened_at=None, remind_at=None,
                    question_id=None, fresh=True, held=False, held_message=None, attended=None)
            .execution_options(synchronize_session=False))
    for prompt, purpose, claimed_at, _ in released:
        if purpose == "reminder":
            await session.execute(
                update(Prompt).where(Prompt.id == prompt, Prompt.status == PromptStatus.OPEN)
                .values(remind_at=claimed_at).execution_options(synchronize_session=False))
    checks = [check for _, purpose, _, check in released if purpose == "check"]
    if checks:
        # A members' check that never left is to be sent as it was planned.
        await session.execute(
            update(Check).where(Check.id.in_(checks), Check.status == CheckStatus.OPEN)
            .values(status=CheckStatus.SCHEDULED, opened_at=None, waiting_id=None)
            .execution_options(synchronize_session=False))
    # An "again" given back needs nothing: its opening is still in doubt, so it is due again.


def answered() -> Any:
    """Whether the member has already acted on the prompt: then its opening surely arrived."""
    return or_(Prompt.attended.is_not(None),
               exists().where(Narrative.prompt_id == Prompt.id))


def in_doubt() -> Any:
    """A prompt whose opening may not have arrived, and whose "in case" message is not yet sent."""
    return (exists().where(Delivery.prompt_id == Prompt.id, Delivery.purpose == "prompt",
                           Delivery.status == Outcome.UNCERTAIN)
            & ~exists().where(Delivery.prompt_id == Prompt.id, Delivery.purpose == "again"))
