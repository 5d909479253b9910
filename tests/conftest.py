"""Shared fixtures: a real database on SQLite and on PostgreSQL, and the real Application talking
to a Bot API double."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import Database
from storage.models import Base
from tests.botapi import TOKEN
from tests.harness import Harness
from valuestory.process.settings import Settings

POSTGRES_URL = os.environ.get(
    "VALUESTORY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = [b.strip() for b in os.environ.get("VALUESTORY_TEST_DATABASES", "sqlite,postgres")
            .split(",") if b.strip()]


async def _postgres_reachable() -> str | None:
    db = Database(POSTGRES_URL)
    try:
        await asyncio.wait_for(db.ping(), 5)
        return None
    except Exception as exc:  # any failure to connect means "not here"
        return f"{type(exc).__name__}: {exc}"
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test so migrations run once."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await db.upgrade()
        await db.dispose()

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of our own on the PostgreSQL server, migrated once, dropped at the end."""
    problem = asyncio.run(_postgres_reachable())
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI but not reachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {make_url(POSTGRES_URL).host}: {problem}")
    name = f"valuestory_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_url = POSTGRES_URL

    async def admin(sql: str) -> None:
        db = Database(admin_url, isolation_level="AUTOCOMMIT")
        async with db.engine.connect() as conn:
            await conn.execute(text(sql))
        await db.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    async def migrate() -> None:
        db = Database(url)
        await db.upgrade()
        await db.dispose()

    asyncio.run(migrate())
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_postgres(url: str) -> None:
    db = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await db.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "valuestory.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        yield url
        asyncio.run(_empty_postgres(url))


@pytest.fixture
async def db(database_url: str, settings: Settings) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        telegram_bot_token=TOKEN, database_url=database_url, admin_telegram_ids=frozenset({9001}),
        _env_file=None,
    )


@pytest.fixture
async def harness(settings: Settings, db: Database) -> AsyncIterator[Harness]:
    h = Harness(settings, db)
    await h.start()
    yield h
    await h.stop()
