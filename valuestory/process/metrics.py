"""Process-wide counters and health marks, shown at /metrics and /healthz.

Counters are prometheus_client's, in its default registry: a use case that counts something
declares its own counter (see `valuestory.usecases.conversation`), so nothing below the front ends
imports this module. Counters only count; they never hold a member's words or identity.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from prometheus_client import REGISTRY, Counter, Gauge, generate_latest

# The classic text format: every Prometheus server reads it.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

UPDATES_HANDLED = Counter("valuestory_updates_handled", "Telegram updates handled.")
HANDLER_ERRORS = Counter("valuestory_handler_errors", "Handlers that raised.")
WEBHOOK_REJECTED = Counter("valuestory_webhook_rejected",
                           "Webhook calls refused for a missing or wrong secret.")
JOB_LAG = Gauge("valuestory_job_lag_seconds", "How late the last scheduler run started, in seconds.")

log = logging.getLogger(__name__)

# While Telegram's Bot API stays away, the log says so this often, not once a request.
SAY_EVERY = dt.timedelta(minutes=1)


@dataclass
class Metrics:
    """The health marks: when the scheduler last looked for due work, and Telegram last answered."""

    last_tick_at: dt.datetime | None = None
    last_api_ok_at: dt.datetime | None = None
    # Since when Telegram's Bot API has refused or failed every request (None: it answers).
    api_away_since: dt.datetime | None = None
    api_error: str = ""
    _api_said_at: dt.datetime | None = None
    _slowed_said_at: dt.datetime | None = None
    # When the last outage began and ended, and when the bot last said it was over: Telegram
    # answering some requests and failing others (polls answered, sends refused) is one outage,
    # said once a minute, not a line each time it turns.
    _outage_began: dt.datetime | None = None
    _back_at: dt.datetime | None = None
    _back_said_at: dt.datetime | None = None
    _failed_at: dt.datetime | None = None

    def api_failed(self, error: str, now: dt.datetime) -> None:
        """A request found no Bot API (refused, timed out before sending, 5xx, 429)."""
        self.api_error = error
        if self.api_away_since is None:
            self._failed_at = now
            if (self._outage_began is not None and self._back_at is not None
                    and now - self._back_at < SAY_EVERY):
                # Back for a moment only: the same outage goes on, said with the rest of it.
                self.api_away_since = self._outage_began
                if self._api_said_at is None or now - self._api_said_at >= SAY_EVERY:
                    self._api_said_at = now
                    log.warning("Telegram's Bot API still does not answer after %d s (%s)",
                                (now - self.api_away_since).total_seconds(), error)
                return
            self.api_away_since = self._outage_began = self._api_said_at = now
            log.warning("Telegram's Bot API does not answer (%s): sends wait and are tried "
                        "again", error)
        elif self._api_said_at is None or now - self._api_said_at >= SAY_EVERY:
            self._api_said_at = now
            log.warning("Telegram's Bot API still does not answer after %d s (%s)",
                        (now - self.api_away_since).total_seconds(), error)

    def api_slowed(self, now: dt.datetime) -> None:
        """Telegram answered 429: it is there, and asks us to wait."""
        if self._slowed_said_at is None or now - self._slowed_said_at >= SAY_EVERY:
            self._slowed_said_at = now
            log.warning("Telegram asks us to slow down (HTTP 429): sends wait as long as it asks")

    def api_answered(self, now: dt.datetime, asked_at: dt.datetime | None = None) -> None:
        """Telegram answered a request made at `asked_at`. One made before Telegram was found
        away says nothing of whether it is back: it was on its way before."""
        self.last_api_ok_at = now
        if self.api_away_since is not None and (asked_at is None or self._failed_at is None
                                                or asked_at >= self._failed_at):
            if self._back_said_at is None or now - self._back_said_at >= SAY_EVERY:
                self._back_said_at = now
                log.warning("Telegram's Bot API answers again after %d s; carrying on",
                            (now - self.api_away_since).total_seconds())
            self.api_away_since = None
            self._back_at = now

    @staticmethod
    def value(name: str) -> float:
        """A sample's current value, by its exposed name (0 if it has none yet)."""
        return REGISTRY.get_sample_value(name) or 0.0

    @staticmethod
    def render() -> bytes:
        """Every counter and gauge in Prometheus text format."""
        return generate_latest(REGISTRY)


METRICS = Metrics()
