"""The scheduler: what is due lives in the database; `tick` looks at it and does the due work.

`tick` is a plain function of the database and a clock, so any process can run it, at any
interval, and tests run it with an explicit `now`. Sending is at most once: a `Delivery` row is
claimed and committed before Telegram is called, so a crash or a second process never sends the
same prompt or reminder twice. A claim whose outcome was never recorded is marked uncertain and
never retried: a lost message is better than a duplicate for people who get many messages.

`rules` holds the time rules, `plan` creates and closes prompts, `fanout` sends, `tick` runs
them in order; `model` has the `Sender` protocol a front end implements.
"""

from valuestory.usecases.scheduler.fanout import IN_FLIGHT, WORKERS
from valuestory.usecases.scheduler.model import (
    DigestHook,
    Outcome,
    Sender,
    SendResult,
    TickReport,
    worker_name,
)
from valuestory.usecases.scheduler.plan import plan, sweep
from valuestory.usecases.scheduler.rules import (
    allowed_time,
    askable,
    closes_for,
    due_for,
    in_quiet_hours,
    last_slot,
    remind_for,
)
from valuestory.usecases.scheduler.tick import tick

__all__ = [
    "IN_FLIGHT", "WORKERS", "DigestHook", "Outcome", "SendResult", "Sender", "TickReport",
    "allowed_time", "askable", "closes_for", "due_for", "in_quiet_hours", "last_slot", "plan",
    "remind_for", "sweep", "tick", "worker_name",
]
