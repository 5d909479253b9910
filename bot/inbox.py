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

from storage.db import Database
from valuestory.usecases import inbox

log = logging.getLogger(__name__)


def _without_names(value: Any) -> Any:
    """The update with people's names, usernames and shared contacts left out: we keep none."""
    if isinstance(value, dict):
        kept = {k: _without_names(v) for k, v in value.items()
                if k not in ("last_name", "username", "contact")}
        if "first_name" in kept:
            kept["first_name"] = ""  # required by the Bot API's shape, never needed by us
        return kept
    if isinstance(value, list):
        return [_without_names(v) for v in value]
    return value


class DurableUpdateQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The Application's update queue, writing each update to the inbox before queueing it."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def put(self, item: Any) -> None:
        if isinstance(item, Update):
            await inbox.keep(self.db, item.update_id, json.dumps(_without_names(item.to_dict())))
        await super().put(item)


class DurableApplication(Application):  # type: ignore[type-arg]
    """An Application that handles each update once, then clears it from the inbox.

    An update seen again (replayed after a restart, or redelivered by Telegram after a slow
    answer) is only cleared: a second /start or /export would otherwise answer twice.
    """

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        db: Database = self.bot_data["db"]
        if not await inbox.seen(db, update.update_id):
            await super().process_update(update)
        await inbox.finish(db, update.update_id)


async def replay_kept_updates(application: Application) -> int:  # type: ignore[type-arg]
    """Queue again whatever arrived but was not handled before the last stop."""
    db: Database = application.bot_data["db"]
    kept = await inbox.kept(db)
    for _, payload in kept:
        update = Update.de_json(json.loads(payload), application.bot)
        await application.update_queue.put(update)
    if kept:
        log.info("replaying %d update(s) kept from before the last stop", len(kept))
    return len(kept)
