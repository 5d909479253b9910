"""Process-wide counters and health marks, shown at /metrics and /healthz.

Counters are prometheus_client's, in its default registry: a use case that counts something
declares its own counter (see `valuestory.usecases.conversation`), so nothing below the front ends
imports this module. Counters only count; they never hold a member's words or identity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prometheus_client import REGISTRY, Counter, Gauge, generate_latest

# The classic text format: every Prometheus server reads it.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

UPDATES_HANDLED = Counter("valuestory_updates_handled", "Telegram updates handled.")
HANDLER_ERRORS = Counter("valuestory_handler_errors", "Handlers that raised.")
WEBHOOK_REJECTED = Counter("valuestory_webhook_rejected",
                           "Webhook calls refused for a missing or wrong secret.")
JOB_LAG = Gauge("valuestory_job_lag_seconds", "How late the last scheduler run started, in seconds.")


@dataclass
class Metrics:
    """The health marks: when the scheduler last looked for due work, and Telegram last answered."""

    last_tick_at: dt.datetime | None = None
    last_api_ok_at: dt.datetime | None = None

    @staticmethod
    def value(name: str) -> float:
        """A sample's current value, by its exposed name (0 if it has none yet)."""
        return REGISTRY.get_sample_value(name) or 0.0

    @staticmethod
    def render() -> bytes:
        """Every counter and gauge in Prometheus text format."""
        return generate_latest(REGISTRY)


METRICS = Metrics()
