"""The emails' setting on a member's own page, under Your data: whether they are stopped, and
Email me again, which starts them (a module apart: the scheduler, which sends the emails, needs
none of the members' pages).

Starting again undoes what stopping did (the member paused, the address stopped), and only from
a link that still opens the member's page.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from storage.db import Database
from storage.models import Channel
from valuestory.usecases import web_answers
from valuestory.usecases.emails import queries
from valuestory.usecases.times import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Setting:
    """The emails' setting on a member's page: whether they are stopped. A member asked in
    Telegram sees it only once they stopped the emails (which paused them there too)."""

    stopped: bool


async def setting(db: Database, token: str, now: dt.datetime | None = None) -> Setting | None:
    """For the member's page: their emails' setting, or None where there is none to show (no
    address, one refused for good, or asked in Telegram with emails not stopped)."""
    who = await web_answers.visitor(db, token, now)
    if isinstance(who, web_answers.Refused):
        return None
    async with db.session() as session:
        found = await queries.address_of(session, who.member_id)
    if found is None or found[1] is not None:
        return None
    stopped = found[0] is not None
    if not stopped and found[2] != Channel.EMAIL:
        return None
    return Setting(stopped)


async def start_again(db: Database, token: str, now: dt.datetime | None = None) -> bool:
    """Email me again, on the member's page: their emails are no longer stopped, and they are no
    longer paused. False for a link that opens no page, or nothing stopped to start."""
    who = await web_answers.visitor(db, token, now or utcnow())
    if isinstance(who, web_answers.Refused):
        return False
    async with db.session() as session:
        started = await queries.start_again(session, who.member_id)
    if started:
        log.info("a member started their emails again")
    return started
