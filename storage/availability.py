"""Whether the database is there: an outage told from a bug, and waited out.

An error that says the database cannot be reached (a refused or dropped connection, a SQLite file
that cannot be written) is an outage, not a bug in the code that met it: the caller waits for
the database to come back and tries again, rather than failing what it was doing. One watcher
per database pings it until it answers, and says so in the log once a minute however many
callers wait: an outage is a few lines in the log, not a traceback per update.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Iterator

import sqlalchemy.exc
from sqlalchemy import delete

from storage.db import Database
from storage.models import SchedulerState, utcnow

log = logging.getLogger(__name__)

# What SQLite says when its file cannot be written (read-only, full disk, gone).
_SQLITE_AWAY = ("readonly", "read-only", "disk i/o error", "database or disk is full",
                "unable to open database file")
SAY_EVERY = 60.0  # seconds between log lines while the database stays away
PING_TIMEOUT = 5.0
MAX_PAUSE = 5.0  # the longest wait between two pings
PING_KEY = "database:ping"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def unavailable(exc: BaseException) -> bool:
    """Whether this error means the database is not there (for now), rather than a bug."""
    for e in _chain(exc):
        if isinstance(e, sqlalchemy.exc.DBAPIError) and e.connection_invalidated:
            return True
        if isinstance(e, sqlalchemy.exc.TimeoutError | sqlalchemy.exc.InterfaceError):
            return True  # no connection free in time, or one that broke under us
        if isinstance(e, OSError | TimeoutError):
            return True  # refused, reset, unreachable (ConnectionError is an OSError)
        if isinstance(e, sqlalchemy.exc.OperationalError):
            message = str(e.orig if e.orig is not None else e).lower()
            if any(part in message for part in _SQLITE_AWAY):
                return True
        name = type(e).__name__
        if name in ("ConnectionDoesNotExistError", "ConnectionFailureError",
                    "CannotConnectNowError", "AdminShutdownError", "CrashShutdownError",
                    "InterfaceError", "ClientCannotConnectError"):
            return True  # asyncpg's words for a connection that is gone
    return False


class Outage:
    """One database's outage, if any: a watcher pings it while callers wait for it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.back = asyncio.Event()
        self.back.set()
        self.since = 0.0
        self.error = ""
        self._watcher: asyncio.Task[None] | None = None

    @property
    def away(self) -> bool:
        return not self.back.is_set()

    def seconds(self) -> float:
        return time.monotonic() - self.since if self.away else 0.0

    def report(self, exc: BaseException) -> None:
        """Someone could not reach the database: start watching, once."""
        if self.away:
            return
        self.back.clear()
        self.since = time.monotonic()
        self.error = type(exc).__name__
        log.warning("the database does not answer (%s): updates and scheduled sends wait "
                    "until it is back", self.error)
        self._watcher = asyncio.get_running_loop().create_task(self._watch(),
                                                               name="database-outage")

    async def _ping(self) -> None:
        """A write, committed: a full or read-only SQLite file still reads, and only a write tells."""
        async with self.db.session() as session:
            await session.execute(delete(SchedulerState).where(SchedulerState.key == PING_KEY))
            session.add(SchedulerState(key=PING_KEY, value=None, at=utcnow()))

    async def _watch(self) -> None:
        pause, said = 0.25, time.monotonic()
        while True:
            await asyncio.sleep(pause)
            try:
                await asyncio.wait_for(self._ping(), PING_TIMEOUT)
                break
            except Exception as exc:  # still away: say so once a minute, not once a ping
                self.error = type(exc).__name__
            if time.monotonic() - said >= SAY_EVERY:
                said = time.monotonic()
                log.warning("the database still does not answer after %d s (%s)",
                            self.seconds(), self.error)
            pause = min(pause * 2, MAX_PAUSE)
        log.warning("the database answers again after %d s; carrying on", self.seconds())
        self.back.set()

    async def wait(self) -> None:
        await self.back.wait()


_outages: weakref.WeakKeyDictionary[Database, Outage] = weakref.WeakKeyDictionary()


def outage(db: Database) -> Outage:
    """The one watcher for this database."""
    found = _outages.get(db)
    if found is None:
        found = _outages[db] = Outage(db)
    return found


async def wait_out(db: Database, exc: BaseException) -> None:
    """The database did not answer: wait until it does (say so in the log, once)."""
    watch = outage(db)
    watch.report(exc)
    await watch.wait()
