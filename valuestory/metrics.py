"""Process-wide counters and health marks, shown at /metrics and /healthz.

Counters only count; they never hold a member's words or identity.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

HELP = {
    "valuestory_updates_handled_total": "Telegram updates handled.",
    "valuestory_answers_stored_total": "Answer messages committed to the database.",
    "valuestory_prompts_sent_total": "Prompts, reminders and follow-ups sent.",
    "valuestory_prompts_failed_total": "Scheduled sends that failed after retries.",
    "valuestory_prompts_unreachable_total": "Sends refused because the member blocked the bot.",
    "valuestory_handler_errors_total": "Handlers that raised.",
    "valuestory_job_lag_seconds": "How late the last scheduler run started, in seconds.",
    "valuestory_webhook_rejected_total": "Webhook calls refused for a missing or wrong secret.",
}


@dataclass
class Metrics:
    counters: dict[str, float] = field(default_factory=dict)
    gauges: dict[str, float] = field(default_factory=dict)
    # Health marks: when the scheduler last looked for due work, and Telegram last answered.
    last_tick_at: dt.datetime | None = None
    last_api_ok_at: dt.datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def inc(self, name: str, by: float = 1) -> None:
        with self._lock:
            self.counters[name] = self.counters.get(name, 0) + by

    def set(self, name: str, value: float) -> None:
        with self._lock:
            self.gauges[name] = value

    def value(self, name: str) -> float:
        return self.counters.get(name, self.gauges.get(name, 0))

    def render(self) -> str:
        """Prometheus text exposition format."""
        lines: list[str] = []
        with self._lock:
            for name in HELP:
                kind = "gauge" if name in self.gauges or not name.endswith("_total") else "counter"
                lines.append(f"# HELP {name} {HELP[name]}")
                lines.append(f"# TYPE {name} {kind}")
                lines.append(f"{name} {self.counters.get(name, self.gauges.get(name, 0)):g}")
        return "\n".join(lines) + "\n"


METRICS = Metrics()
