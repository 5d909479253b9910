"""The scheduler: what is due lives in the database; `tick` looks at it and does the due work.

`tick` is a plain function of the database and a clock, so any process can run it, at any
interval, and tests run it with an explicit `now`. Nothing is sent twice and nothing is lost in
a crash: a `Delivery` row (a `Notice` row for a digest or a retention notice) is claimed and
committed before Telegram is called, and marked on the wire in its own commit just before its
request is written. A stopped process's claims that
never left it are sent again; what was on the wire may have arrived, and is never sent again as
it was: its person gets one "in case" message instead, which reads well either way.

`rules` holds the time rules, `plan` creates and closes prompts, `fanout` sends them, `notices`
sends the digest and retention notices, `claims` recovers after a crash, `tick` runs them in
order; `emails` sends to members asked by email, beside the tick; `model` has the `Sender`
protocol a front end implements.
"""

from valuestory.usecases.scheduler.emails import LetterSender, send_emails
from valuestory.usecases.scheduler.fanout import IN_FLIGHT, WORKERS
from valuestory.usecases.scheduler.model import (
    DigestHook,
    Outcome,
    Sender,
    SendResult,
    TickReport,
    worker_name,
)
from valuestory.usecases.scheduler.notices import Compose, Notice, by_community, deliver, plan_notices
from valuestory.usecases.scheduler.plan import plan, sweep
from valuestory.usecases.scheduler.rules import (
    allowed_time,
    closes_for,
    due_for,
    in_quiet_hours,
    last_slot,
    remind_for,
)
from valuestory.usecases.scheduler.tick import tick

__all__ = [
    "IN_FLIGHT",
    "WORKERS",
    "Compose",
    "DigestHook",
    "LetterSender",
    "Notice",
    "Outcome",
    "SendResult",
    "Sender",
    "TickReport",
    "allowed_time",
    "by_community",
    "closes_for",
    "deliver",
    "due_for",
    "in_quiet_hours",
    "last_slot",
    "plan",
    "plan_notices",
    "remind_for",
    "send_emails",
    "sweep",
    "tick",
    "worker_name",
]
