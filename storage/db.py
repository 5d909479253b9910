"""Engines, sessions and migrations for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, TextClause, event, text
from sqlalchemy.engine import AdaptedConnection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState

if TYPE_CHECKING:
    from alembic.config import Config

POSTGRES_POOL_SIZE = 16
POSTGRES_OVERFLOW = 4
# The newest migration; tests/storage checks it is Alembic's head.
HEAD = "0020_email_invitations"
MIGRATIONS = Path(__file__).parent / "migrations"
# How long a SQLite statement waits for another process's write lock (on aiosqlite's thread, so
# the event loop goes on meanwhile).
BUSY_TIMEOUT_MS = 10_000
AUTOCOMMIT_POOL_SIZE = 4
# Where our own way to the driver is faster than SQLAlchemy's (`driver_rows`, `driver_execute`,
# `sqlite_driver_execute`), VALUESTORY_STOCK_IO=1 sends the same statements through SQLAlchemy's
# stock `execute` instead: the library's path, one setting away. Carried to every connection of
# a `Database` as this execution option.
STOCK_IO = "valuestory_stock_io"
STOCK_IO_VARIABLE = "VALUESTORY_STOCK_IO"


def stock_io_from_environment() -> bool:
    """Whether VALUESTORY_STOCK_IO asks for SQLAlchemy's stock path (1, true, yes or on)."""
    return os.environ.get(STOCK_IO_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


def describe_url(url: str) -> str:
    """The URL with any password hidden, fit for an error message."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module opens transactions on its own and lets a SAVEPOINT commit on release
    # when it was the outermost statement, which would split one unit of work in two. Take
    # transaction control away from it; _sqlite_begin opens each transaction instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    # A long read's connection (Database.long_read) may only read: a write there would take
    # the write lock outside the writers' turn, for as long as the read lasts.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_begin_deferred(connection: Connection) -> None:
    # A reader's snapshot: WAL lets writers go on beside it.
    connection.exec_driver_sql("BEGIN")


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE: take the write lock up front, so two writers queue (busy_timeout) rather than
    # one failing when its snapshot turns stale mid-transaction. Said through the driver's own
    # `execute` (SQLAlchemy's public way to reach it, `run_async`): one trip to aiosqlite's
    # thread, where a statement through SQLAlchemy's cursor takes three (open, run, close).
    adapted = cast(AdaptedConnection, connection.connection.dbapi_connection)
    try:
        adapted.run_async(lambda driver: driver.execute("BEGIN IMMEDIATE"))
    except sqlite3.Error as error:  # as SQLAlchemy would have said it (storage.availability)
        raise DBAPIError.instance("BEGIN IMMEDIATE", (), error, sqlite3.Error) from error


def _sqlite_reset(dbapi_connection: Any, record: ConnectionPoolEntry,
                  state: PoolResetState) -> None:
    # A connection back in the pool is rolled back only if a transaction is still open on it:
    # a unit of work has committed or rolled back its own already, and the pool's unconditional
    # rollback was one more trip to aiosqlite's thread for each of them.
    if state.asyncio_safe and not state.terminate_only and record.driver_connection is not None \
            and record.driver_connection.in_transaction:
        dbapi_connection.rollback()


def _sqlite_file(url: str, kwargs: dict[str, Any]) -> bool:
    """Whether the URL names a SQLite file (not a database in memory, which only the engine's
    one connection sees)."""
    parsed = make_url(url)
    return (parsed.get_backend_name() == "sqlite"
            and parsed.database not in (None, "", ":memory:") and "async_creator" not in kwargs)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for the URL: SQLite through aiosqlite, PostgreSQL through asyncpg."""
    # Statement parameters are members' answers: keep them out of error messages and logs.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and "poolclass" not in kwargs:
        # Members' updates are handled side by side (up to 32 at once), each unit of work a
        # few milliseconds: 16 connections keep two cores busy, and the rest wait their turn
        # for one. Connections beyond the pool's are opened and closed again for each unit of
        # work, each starting with an empty prepared-statement cache: a few for a moment's
        # need (an export streaming on one while it reads recordings on another), no more.
        kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
        kwargs.setdefault("max_overflow", POSTGRES_OVERFLOW)
    sqlite = parsed.get_backend_name() == "sqlite"
    autocommit = kwargs.get("isolation_level") == "AUTOCOMMIT"
    if sqlite and not autocommit:
        kwargs.setdefault("pool_reset_on_return", None)  # _sqlite_reset does it
    engine = create_async_engine(url, **kwargs)
    if sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if autocommit:
            return engine  # each statement commits as it runs: no BEGIN
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine.pool, "reset", _sqlite_reset)
    return engine


def alembic_config(url: str | None = None) -> Config:
    # Alembic is only for upgrades: a running bot need not carry it in memory.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


class MigrationBroke(RuntimeError):
    """A migration left rows referring to rows that are not there; nothing of it was kept."""


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    # Through the driver: a statement through SQLAlchemy would begin a transaction first, and
    # SQLite ignores this pragma inside one.
    adapted = cast(AdaptedConnection, connection.connection.dbapi_connection)
    adapted.run_async(lambda driver: driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}"))


@contextmanager
def migrating(connection: Connection) -> Iterator[None]:
    """One transaction for migrations on a connection that has not begun one.

    On SQLite, foreign keys are off while it runs (set outside the transaction, as SQLite's
    procedure for changing a table's schema says): rebuilding a table others refer to drops the
    old one, and with them on that drop deletes every row referring to it. Before committing,
    `PRAGMA foreign_key_check` must find nothing, else it all rolls back."""
    if connection.dialect.name != "sqlite":
        with connection.begin():
            yield
        return
    _sqlite_foreign_keys(connection, on=False)
    try:
        with connection.begin():
            yield
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                tables = sorted({str(row[0]) for row in broken})
                raise MigrationBroke(f"{len(broken)} rows of {', '.join(tables)} would refer to "
                                     "rows not there; the schema was left as it was")
    finally:
        _sqlite_foreign_keys(connection, on=True)


def _migrate(connection: Connection, revision: str, down: bool = False) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    with migrating(connection):
        (command.downgrade if down else command.upgrade)(cfg, revision)


# Set while a task is inside a unit of work: a unit opened within it does not queue behind it.
_in_unit_of_work: ContextVar[bool] = ContextVar("in_unit_of_work", default=False)


class Database:
    """One engine and its session factory. Sessions never outlive one unit of work.

    On SQLite, which has one writer and where every unit of work writes (BEGIN IMMEDIATE), this
    process's units of work take turns in the order they asked, rather than all trying at once
    and sleeping in busy_timeout's back-off; other processes still queue on busy_timeout.
    """

    def __init__(self, url: str, *, stock_io: bool | None = None, **engine_kwargs: Any) -> None:
        """`stock_io`: SQLAlchemy's stock path for the statements we say to the driver ourselves
        (None: as VALUESTORY_STOCK_IO says)."""
        self.url = url
        self.stock_io = stock_io_from_environment() if stock_io is None else stock_io
        self._options = {"execution_options": {STOCK_IO: True}} if self.stock_io else {}
        self.engine = create_engine(url, **engine_kwargs, **self._options)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Whether it is a SQLite file, asked for every read: the URL parsed once.
        self._file = _sqlite_file(url, {})
        self._reader: AsyncEngine | None = None
        self._autocommit: AsyncEngine | None = None
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _writers(self) -> asyncio.Lock:
        """The SQLite writers' turn, one per event loop (tests run several loops in turn)."""
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, asyncio.Lock())
        return self._turns[1]

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """A unit of work's turn among this process's SQLite writers (see the class); none on
        PostgreSQL, nor for a unit opened inside another, which already has it."""
        if self.dialect != "sqlite" or _in_unit_of_work.get():
            yield
            return
        async with self._writers():
            token = _in_unit_of_work.set(True)
            try:
                yield
            finally:
                _in_unit_of_work.reset(token)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits if the block succeeds, rolls back if it raises."""
        async with self._turn(), self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A unit of work on a plain connection, for work that needs no ORM objects (a page of
        narratives): a session's own machinery costs about as much as a page's statements.
        Commits if the block succeeds, rolls back if it raises, in turn with `session`'s."""
        async with self._turn(), self.engine.begin() as conn:
            yield conn

    def _autocommitting(self) -> AsyncEngine:
        """SQLite: connections of their own on which each statement commits as it runs, with
        no BEGIN, COMMIT or ROLLBACK (each one a trip to aiosqlite's thread)."""
        if self._autocommit is None:
            # A few connections, kept: one opened for a moment's need (a connection is a
            # thread of its own, and its opening a dozen trips to it) cost more than waiting
            # for one of these, whose statements take a millisecond.
            self._autocommit = create_engine(self.url, isolation_level="AUTOCOMMIT",
                                             skip_autocommit_rollback=True,
                                             pool_size=AUTOCOMMIT_POOL_SIZE, max_overflow=0,
                                             **self._options)
        return self._autocommit

    @asynccontextmanager
    async def _statements(self, *, writes: bool) -> AsyncIterator[AsyncConnection]:
        if self.dialect == "postgresql":
            async with self.engine.connect() as conn:
                yield await conn.execution_options(isolation_level="AUTOCOMMIT")
        elif not self._file:
            async with self.connection() as conn:  # in memory: the engine's one connection
                yield conn
        elif writes:
            async with self._turn(), self._autocommitting().connect() as conn:
                yield conn
        else:
            async with self._autocommitting().connect() as conn:
                yield conn

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """For reads that need no transaction around them, each statement seeing what is
        committed: no BEGIN and COMMIT (on PostgreSQL one round trip instead of three), and on
        SQLite no turn among the writers (in WAL a reader never waits for one). Never write
        here: `one_statement` is for that."""
        async with self._statements(writes=False) as conn:
            yield conn

    @asynccontextmanager
    async def one_statement(self) -> AsyncIterator[AsyncConnection]:
        """For a statement that writes and is a whole unit of work by itself, committed as it
        runs, with no BEGIN and COMMIT around it; on SQLite in turn among the writers."""
        async with self._statements(writes=True) as conn:
            yield conn

    @asynccontextmanager
    async def driver_work(self) -> AsyncIterator[AsyncConnection]:
        """A unit of work for statements said to the driver (`driver_rows`, `driver_execute`),
        committed if the block succeeds, rolled back if it raises. On PostgreSQL it is asyncpg's
        own transaction on a connection that otherwise commits each statement, so that
        `driver_rows` reads through asyncpg's fetch in it too (in `connection`'s, SQLAlchemy's
        cursor says its BEGIN before the first statement, and every read goes through it);
        what SQLAlchemy runs on the connection meanwhile (an ORM session bound to it) runs in
        the same transaction. On SQLite, and with the stock path, `connection`."""
        if self.dialect != "postgresql" or self.stock_io:
            async with self.connection() as conn:
                yield conn
            return
        async with self._statements(writes=True) as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            async with driver.transaction():
                yield conn

    @asynccontextmanager
    async def long_read(self) -> AsyncIterator[AsyncSession]:
        """A unit of work for reads that may take more than a few milliseconds (an export's
        rows, a year's matrix, a page filtered over a million narratives): its statements never
        run on the event loop's thread, so members are answered meanwhile.

        On SQLite it is a read-only connection of its own: each statement and fetch runs on
        aiosqlite's thread, in a read transaction that takes no turn among the writers (WAL
        lets them go on beside it), and that may not write. On PostgreSQL the server runs the
        statements; the loop only waits.
        """
        if self.dialect == "sqlite" and not self._file:
            # SQLite in memory, which a second engine would not see (and small): a unit of work.
            async with self.session() as session:
                yield session
            return
        engine = self.engine
        if self.dialect == "sqlite":
            if self._reader is None:
                self._reader = create_engine(self.url, **self._options)
                event.listen(self._reader.sync_engine, "connect", _sqlite_read_only)
                # It begins a read, not a write: the writers' listener would take the write lock.
                event.remove(self._reader.sync_engine, "begin", _sqlite_begin)
                event.listen(self._reader.sync_engine, "begin", _sqlite_begin_deferred)
            engine = self._reader
        async with engine.connect() as conn, conn.begin():
            session = AsyncSession(bind=conn, expire_on_commit=False)
            try:
                yield session
            finally:
                await session.close()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def upgrade(self) -> None:
        """Create or upgrade the schema to the newest migration.

        A schema already at the newest is only looked at, without loading Alembic (6 MB that a
        running bot would otherwise keep for nothing)."""
        if await self._revision() == HEAD:
            return
        await self.migrate("head")

    async def migrate(self, revision: str, *, down: bool = False) -> None:
        """Upgrade (or, `down`, downgrade) the schema to `revision`, in one transaction."""
        async with self.engine.connect() as conn:
            await conn.run_sync(_migrate, revision, down)

    async def _revision(self) -> str | None:
        """The schema's migration, read plainly; None for an empty database."""
        async with self.engine.connect() as conn:
            try:
                return (await conn.execute(text("SELECT version_num FROM alembic_version"))
                        ).scalar_one_or_none()
            except DBAPIError:
                return None

    async def is_current(self) -> bool:
        return await self._revision() == HEAD

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._reader is not None:
            await self._reader.dispose()
            self._reader = None
        if self._autocommit is not None:
            await self._autocommit.dispose()
            self._autocommit = None


def _stock(conn: AsyncConnection) -> bool:
    """Whether this connection's statements take SQLAlchemy's stock path (`STOCK_IO`)."""
    return bool(conn.engine.get_execution_options().get(STOCK_IO))


async def sqlite_driver_execute(conn: AsyncConnection, sql: str, parameters: Sequence[Any]) -> int:
    """Run one statement that returns no rows on a SQLite unit of work's connection, through
    the driver's own `execute`: one trip to aiosqlite's thread where SQLAlchemy's cursor takes
    three. For the few statements every update runs; `sql` in the driver's `?` style, the
    parameters as the driver takes them. The number of rows it changed."""
    if _stock(conn):
        return int((await conn.exec_driver_sql(sql, tuple(parameters))).rowcount)
    return await _sqlite_execute(conn, sql, parameters)


async def _sqlite_execute(conn: AsyncConnection, sql: str,
                          parameters: Sequence[Any] | dict[str, Any]) -> int:
    """One statement said to aiosqlite's own `execute`, its error as SQLAlchemy would have
    said it (storage.availability); the number of rows it changed."""
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    try:
        cursor = await driver.execute(sql, parameters)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, parameters, error, sqlite3.Error) from error
    return int(cursor.rowcount)


@functools.lru_cache(maxsize=64)
def _text(sql: str) -> TextClause:
    return text(sql)


async def driver_execute(conn: AsyncConnection, sql: str, parameters: dict[str, Any]) -> int:
    """Run one statement that returns no rows, as `driver_rows` runs a read: `sql` names its
    parameters `:name`, given as the driver takes them (on SQLite a time as `driver_stored`
    writes it). On SQLite one trip to aiosqlite's thread; on PostgreSQL one round trip, as any
    statement. The number of rows it changed."""
    if conn.dialect.name != "sqlite" or _stock(conn):
        return int((await conn.execute(_text(sql), parameters)).rowcount)  # type: ignore[attr-defined]
    return await _sqlite_execute(conn, sql, parameters)


async def driver_rows(conn: AsyncConnection, sql: str, parameters: dict[str, Any]
                      ) -> Sequence[Sequence[Any]]:
    """Every row of one read, as the driver gives its values (no ORM objects, no type
    processing: SQLite's times are its text), for the few reads a page or step runs each time.
    `sql` names its parameters `:name`, which both databases take. On SQLite through the
    driver's own `execute_fetchall`: one trip to aiosqlite's thread where SQLAlchemy's cursor
    takes four (open, run, fetch, close). On PostgreSQL one round trip, as any statement; on a
    connection that commits each statement (`Database.reading`) said to asyncpg's own `fetch`,
    which costs a page about a third less than SQLAlchemy's cursor and result. Inside a
    transaction it is SQLAlchemy's cursor: asyncpg's BEGIN is said before its first statement."""
    if _stock(conn) or (conn.dialect.name != "sqlite" and not _autocommit(conn)):
        return (await conn.execute(_text(sql), parameters)).all()
    if conn.dialect.name != "sqlite":
        return await _postgres_rows(conn, sql, parameters)
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    try:
        return list(await driver.execute_fetchall(sql, parameters))
    except sqlite3.Error as error:  # as SQLAlchemy would have said it (storage.availability)
        raise DBAPIError.instance(sql, parameters, error, sqlite3.Error) from error


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@functools.lru_cache(maxsize=64)
def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with its `:name` parameters numbered as asyncpg takes them ($1, $2...), and the
    names in that order."""
    names: list[str] = []

    def number(found: re.Match[str]) -> str:
        if found[1] not in names:
            names.append(found[1])
        return f"${names.index(found[1]) + 1}"

    return _NAMED.sub(number, sql), tuple(names)


def _autocommit(conn: AsyncConnection) -> bool:
    """Whether each statement on this connection commits as it runs (no transaction open)."""
    sync = conn.sync_connection
    return sync is not None and sync.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


async def _postgres_rows(conn: AsyncConnection, sql: str, parameters: dict[str, Any]
                         ) -> Sequence[Sequence[Any]]:
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    numbered, names = _numbered(sql)  # asyncpg keeps each prepared, as SQLAlchemy's cursor does
    try:
        return cast(Sequence[Sequence[Any]],
                    await driver.fetch(numbered, *(parameters[name] for name in names)))
    except Exception:
        if driver.is_closed():
            await conn.invalidate()
        raise


def driver_time(value: Any) -> Any:
    """A time as `driver_rows` read it, aware: SQLite's text (UTC, written without a zone) or
    PostgreSQL's own."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value + "+00:00")
    return value


def driver_stored(moment: dt.datetime, dialect: str) -> Any:
    """An aware time as `driver_execute` takes it: on SQLite the text SQLAlchemy writes (UTC,
    without a zone), on PostgreSQL the time itself."""
    if dialect != "sqlite":
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


# Either kind of unit of work: use cases that need only statements accept both.
Work = AsyncSession | AsyncConnection


async def connection_of(work: Work) -> AsyncConnection:
    """The plain connection of a unit of work, whichever kind it is."""
    return await work.connection() if isinstance(work, AsyncSession) else work
