"""The email side of the scheduler, in the bot's process: every SCHEDULER_INTERVAL_SECONDS it
sends what is due by email (`scheduler.send_emails`), under a worker name of its own.

The database says what is due; this loop is only the clock, as the JobQueue is Telegram's. It
never raises: a failed run is logged (the database being away is said by its watcher) and the
next one looks again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from storage.availability import outage, unavailable
from storage.db import Database
from valuestory.mail.sending import MailSender
from valuestory.mail.smtp import Mailer, MailServer
from valuestory.process.settings import Settings
from valuestory.usecases import scheduler
from valuestory.usecases.times import utcnow

log = logging.getLogger(__name__)


def sender_for(settings: Settings, base: str) -> MailSender | None:
    """The mail sender SMTP_URL and MAIL_FROM describe; None when email is not set up."""
    url = settings.mail_server()  # SettingsError, naming MAIL_FROM, if it is missing
    if url is None or settings.mail_from is None:
        return None
    return MailSender(Mailer(MailServer.from_url(url)), base=base, sender=settings.mail_from)


async def run(db: Database, settings: Settings, sender: MailSender, stop: asyncio.Event) -> None:
    """Send due emails every interval until `stop` is set."""
    interval = settings.scheduler_interval_seconds
    worker = scheduler.worker_name() + ":mail"
    lease = dt.timedelta(seconds=max(3 * interval, 10.0))
    while not stop.is_set():
        if not outage(db).away:
            try:
                report = await scheduler.send_emails(db, sender, utcnow(), worker=worker,
                                                     lease=lease, stop=stop)
                counts = {k: v for k, v in vars(report).items() if v and k != "errors"}
                if counts or report.errors:
                    log.info("emails: %s%s", counts,
                             f" errors={report.errors}" if report.errors else "")
            except Exception as exc:  # the next run looks again; the database says what is due
                if unavailable(exc):
                    outage(db).report(exc)
                else:
                    log.exception("sending emails failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
