"""Tuning: SQLite run on the event loop's own thread, in place of aiosqlite's thread.

The stock async driver sends every call (open a cursor, run a statement, fetch, commit, close)
to a thread of its own and waits for the loop to be woken with the answer. On a local file in
WAL mode a statement of this bot takes tens of microseconds; each of those round trips costs
hundreds, and a unit of work has a dozen of them. Measured with `python -m bench.flow`, they
were most of an answer's time. So the connection below answers those same calls at once, on the
loop's thread, in the shape SQLAlchemy's aiosqlite dialect expects: nothing above it changes.
It is handed to SQLAlchemy through its public `async_creator` and touches no library object; it
does answer to the names SQLAlchemy's aiosqlite dialect reads of an aiosqlite connection
(`_conn`, `_tx`, `_connection`), so should a SQLAlchemy upgrade read others, CI's tuned run
shows it. The stock path, aiosqlite as it ships, is one setting away (VALUESTORY_STOCK_IO=1, see
`storage.db`), and CI runs the Telegram tests on both.

Only short statements belong here: a long read (an export, a year's matrix, a page at a million
narratives) would hold the loop for its whole length, so `Database.long_read` runs those on a
thread whatever the driver.

Waiting is the one thing that must not happen on the loop's thread. A statement here never
waits for another process: `busy_timeout` is short, and taking the write lock (every
transaction begins with it, see `storage.db`) is retried by `begin_immediate` with the loop free
in between, for as long as the stock driver's `busy_timeout` would have waited.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.util import await_

# How long a statement may wait for a lock on the loop's thread (rare in WAL mode: only taking
# the write lock waits, and that wait is done by begin_immediate with the loop free).
STATEMENT_BUSY_MS = 20
# How long taking the write lock may take in all, as the stock driver's busy_timeout allowed.
LOCK_WAIT_SECONDS = 10.0


class _Cursor:
    """An aiosqlite-shaped cursor whose coroutines finish without suspending."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> _Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _AtOnce:
    """Stands in for the driver's queue to its thread: runs what is put at once."""

    __slots__ = ()

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # handed to whoever awaits, as the thread would
            if future is None:
                raise
            future.set_exception(error)
        else:
            if future is not None:
                future.set_result(result)


class InlineConnection:
    """An aiosqlite-shaped connection to a SQLite file, answering on the caller's thread."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # the dialect checks it
        self._tx = _AtOnce()  # the dialect's isolation_level setter puts its work here

    @classmethod
    async def open(cls, path: str, uri: bool = False) -> InlineConnection:
        connection = sqlite3.connect(path, uri=uri, isolation_level=None,
                                     check_same_thread=False,
                                     timeout=STATEMENT_BUSY_MS / 1000)
        return cls(connection)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> _Cursor:
        return _Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> _Cursor:
        return await self.cursor().execute(sql, parameters)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._connection = None
        self._conn.close()

    def stop(self) -> None:
        """Close at once (the dialect's terminate)."""
        self._connection = None
        self._conn.close()


def _locked(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) \
        or "locked" in str(error)


def begin_immediate(connection: Connection) -> None:
    """Open a transaction holding the write lock, waiting for another process to let go of it
    with the loop free (a `begin` listener: it runs inside SQLAlchemy's greenlet)."""
    raw = connection.connection.driver_connection
    assert isinstance(raw, InlineConnection)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.002
    while True:
        try:
            raw._conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if not _locked(error) or time.monotonic() >= deadline:
                raise
        await_(asyncio.sleep(pause))
        pause = min(pause * 2, 0.1)
