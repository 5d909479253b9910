"""Alembic environment: runs on a connection handed in by storage.db, or on sqlalchemy.url."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from storage.db import create_engine, migrating
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrating(connection: Connection) -> None:
    with migrating(connection):  # SQLite's foreign keys off around it, checked before commit
        run_on(connection)


async def run_with_url(url: str) -> None:
    engine = create_engine(url)
    async with engine.connect() as conn:
        await conn.run_sync(run_migrating)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run_on(connection)
elif context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_with_url(str(config.get_main_option("sqlalchemy.url"))))
