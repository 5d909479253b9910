"""A durable inbox for updates: kept in the database from arrival until handled.

PTB's long polling confirms a batch to Telegram as soon as it is queued, and drops whatever is
still queued at shutdown. Keeping each update in the database before it is queued, and removing it
only once handled, means a crash or a stop at any moment loses nothing; replays are harmless
because answers are deduplicated by message id.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from telegram import Update
from telegram.ext import Application

from storage import repositories as repo
from storage.db import Database

log = logging.getLogger("valuestory.inbox")


class DurableUpdateQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The Application's update queue, writing each update to the inbox before queueing it."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def put(self, item: Any) -> None:
        if isinstance(item, Update):
            async with self.db.session() as session:
                await repo.keep_update(session, item.update_id, json.dumps(item.to_dict()))
        await super().put(item)


class DurableApplication(Application):  # type: ignore[type-arg]
    """An Application that clears each update from the inbox once its handlers are done."""

    async def process_update(self, update: object) -> None:
        await super().process_update(update)
        if isinstance(update, Update):
            db: Database = self.bot_data["db"]
            async with db.session() as session:
                await repo.update_handled(session, update.update_id)


async def replay_kept_updates(application: Application) -> int:  # type: ignore[type-arg]
    """Queue again whatever arrived but was not handled before the last stop."""
    db: Database = application.bot_data["db"]
    async with db.session() as session:
        kept = await repo.kept_updates(session)
    for row in kept:
        update = Update.de_json(json.loads(row.payload), application.bot)
        await application.update_queue.put(update)
    if kept:
        log.info("replaying %d update(s) kept from before the last stop", len(kept))
    return len(kept)
