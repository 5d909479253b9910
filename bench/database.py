"""The database a benchmark runs on: a SQLite file (a temporary one unless named), or a database
of its own on a PostgreSQL server, created with the schema, loaded, and dropped afterwards.

    async with database(url, load_sqlite, load_postgres) as url:
        ...  # measure against `url` (a SQLAlchemy URL: sqlite+aiosqlite or postgresql+asyncpg)

PostgreSQL is loaded by COPY with its triggers off (`copy_in`): the matrix's tallies, which
the triggers keep row by row (a million narratives took most of an hour that way), are copied
from a SQLite file loaded with the same rows, where the same triggers kept them.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import Database


def plain(url: str) -> str:
    """A PostgreSQL URL as asyncpg itself takes it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _on_server(url: str, statement: str) -> None:
    server = Database(url, isolation_level="AUTOCOMMIT")
    try:
        async with server.engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await server.dispose()


@asynccontextmanager
async def database(url: str | None, load_sqlite: Callable[[str], None],
                   load_postgres: Callable[[str], Awaitable[None]], *,
                   keep: bool = False) -> AsyncIterator[str]:
    """A database with the newest schema, loaded by `load_sqlite(path)` or
    `load_postgres(url)`; its URL. A PostgreSQL database made here is dropped on leaving,
    unless `keep` (to look at query plans)."""
    with tempfile.TemporaryDirectory() as tmp:
        created: str | None = None
        if url is None or url.startswith("sqlite"):
            path = url.split("///", 1)[1] if url else str(Path(tmp) / "bench.db")
            url = f"sqlite+aiosqlite:///{path}"
        else:
            url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
            created = f"valuestory_bench_{uuid.uuid4().hex[:8]}"
            await _on_server(url, f'CREATE DATABASE "{created}"')
            url = make_url(url).set(database=created).render_as_string(hide_password=False)
        try:
            db = Database(url)
            await db.upgrade()
            await db.dispose()
            t = time.perf_counter()
            if created:
                await load_postgres(url)
            else:
                load_sqlite(url.split("///", 1)[1])
            print(f"loaded into {make_url(url).get_backend_name()} "
                  f"in {time.perf_counter() - t:.1f}s")
            yield url
        finally:
            if created and keep:
                print(f"kept database {created}")
            elif created:
                server = make_url(url).set(database="postgres").render_as_string(
                    hide_password=False)
                await _on_server(server, f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')


# What the triggers on narratives and prompts keep (the matrix's tallies).
TALLIES = ("matrix_cells", "matrix_members", "matrix_followups", "matrix_communities",
           "matrix_stories", "matrix_story_cycles", "matrix_cycle_stories", "matrix_event_cells",
           "matrix_event_prompts", "matrix_prompt_narratives", "matrix_prompts", "matrix_plans",
           "matrix_plan_stories")


def _as_postgres(value: Any, kind: str) -> Any:
    """A value as SQLite keeps it, as asyncpg's COPY takes it for a column of `kind`."""
    if value is None:
        return None
    if kind.startswith("timestamp"):
        moment = dt.datetime.fromisoformat(str(value))
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    if kind == "boolean":
        return bool(value)
    return value


async def copy_in(url: str, data: Mapping[str, Sequence[tuple[Any, ...]]],
                  columns: Mapping[str, Sequence[str]],
                  load_sqlite: Callable[[str, Any], None]) -> None:
    """Load `data` (rows by table, in `columns`' order) into the PostgreSQL database at `url`:
    COPY with the triggers off (`session_replication_role`), the tallies copied from a SQLite
    file `load_sqlite(path, data)` filled with the same rows."""
    import asyncpg

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "tallies.db")
        lite_db = Database(f"sqlite+aiosqlite:///{path}")
        await lite_db.upgrade()
        await lite_db.dispose()
        load_sqlite(path, data)
        lite = sqlite3.connect(path)
        con = await asyncpg.connect(plain(url))
        try:
            await con.execute("SET session_replication_role = replica")
            for table, cols in columns.items():
                await con.copy_records_to_table(table, records=data[table], columns=list(cols))
            for table in TALLIES:
                kinds = dict(await con.fetch(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = $1", table))
                names = [r[1] for r in lite.execute(f"PRAGMA table_info({table})")]
                records = [tuple(_as_postgres(v, kinds[n]) for v, n in zip(row, names, strict=True))
                           for row in lite.execute(f"SELECT {', '.join(names)} FROM {table}")]
                await con.copy_records_to_table(table, records=records, columns=names)
            await con.execute("SET session_replication_role = DEFAULT")
            for table, cols in columns.items():
                if "id" in cols:
                    await con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT max(id) FROM {table}))")
            await con.execute("VACUUM ANALYZE")
        finally:
            await con.close()
            lite.close()
