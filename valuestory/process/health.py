"""Is this process fit to serve? The answer behind GET /healthz, as a function of the clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from storage.availability import outage
from storage.db import Database
from valuestory.process.metrics import Metrics

# The scheduler looks for due work at least once a minute; two minutes allows one missed tick.
TICK_WITHIN = dt.timedelta(minutes=2)
# Telegram is asked getMe when nothing else has reached it for a minute (see bot.web), so five
# minutes of silence means several probes went unanswered.
API_WITHIN = dt.timedelta(minutes=5)
DATABASE_TIMEOUT = 5.0


@dataclass(frozen=True)
class Health:
    ok: bool
    reason: str


def _ago(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} seconds ago"
    return f"{seconds // 60} minutes ago"


async def check(db: Database, metrics: Metrics, now: dt.datetime) -> Health:
    """200-worthy only if the database answers, the scheduler ticked and Telegram answered."""
    away = outage(db)
    if away.away:
        return Health(False, f"database does not answer: {away.error}, for {int(away.seconds())} "
                             "seconds; updates and scheduled sends wait for it")
    try:
        await asyncio.wait_for(db.ping(), DATABASE_TIMEOUT)
    except Exception as exc:  # any failure to answer means unhealthy; say which kind
        return Health(False, f"database does not answer: {type(exc).__name__}")
    if metrics.last_tick_at is None:
        return Health(False, "scheduler has not looked for due work since start")
    if now - metrics.last_tick_at > TICK_WITHIN:
        return Health(False, f"scheduler last looked for due work {_ago(now - metrics.last_tick_at)}")
    if metrics.last_api_ok_at is None:
        return Health(False, "Telegram's Bot API has not answered since start")
    if now - metrics.last_api_ok_at > API_WITHIN:
        return Health(False, f"Telegram's Bot API last answered {_ago(now - metrics.last_api_ok_at)}")
    if metrics.api_away_since is not None:
        return Health(False, f"Telegram's Bot API does not answer: {metrics.api_error}, for "
                             f"{int((now - metrics.api_away_since).total_seconds())} seconds; "
                             "sends wait for it")
    return Health(True, "ok")
