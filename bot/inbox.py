"""A durable inbox for updates: kept in the database from arrival until handled.

PTB's long polling confirms a batch to Telegram as soon as it is queued, and drops whatever is
still queued at shutdown. Keeping each update in the database before it is queued, and removing it
only once handled, means a crash or a stop at any moment loses nothing; replays are harmless
because answers are deduplicated by message id.

When the database is away, nothing is confirmed that was not kept: the long poll waits for the
database before it asks Telegram for more, an update whose handling met the outage is handled
again once the database is back (each member's in order), and a webhook call is answered 503 so
Telegram delivers it again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.ops import WrappedRequest
from storage.availability import outage, unavailable, wait_out
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


# Updates taken from Telegram and not yet handled, at most: twice what is handled at once keeps
# every place busy. Past it, the long poll waits before taking more, and the rest wait at Telegram
# (which keeps them for a day), so a backlog after an outage never floods the process's memory.
IN_HAND = 64


class DatabaseAway(Exception):
    """An update could not be handled because the database is away: it is not acknowledged."""


# The outage a handler met while handling the update of the running task, noted by the error
# handler (PTB gives handler exceptions to it, not to whoever called process_update).
_met: ContextVar[list[BaseException] | None] = ContextVar("inbox_outage", default=None)


def note_outage(error: object) -> bool:
    """For the error handler: True if `error` is the database being away while an update is
    handled here, so it is handled again once the database is back (say nothing to the member)."""
    met = _met.get()
    if met is None or not isinstance(error, BaseException) or not unavailable(error):
        return False
    met.append(error)
    return True


class DurableUpdateQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The Application's update queue, writing each update to the inbox before queueing it.

    It holds at most `in_hand` updates from the moment they are queued until they are handled:
    `put` waits for room, so PTB's long poll asks Telegram for more only once there is some.
    """

    def __init__(self, db: Database, in_hand: int = IN_HAND) -> None:
        super().__init__()
        self.db = db
        self.in_hand = in_hand
        self.holding: set[int] = set()  # queued or being handled, not yet done
        self._room = asyncio.Event()
        self._room.set()
        # Updates this queue kept for the first time: none of them can have been handled yet.
        self.fresh: set[int] = set()
        # Updates a whole getUpdates answer kept before they got here (see KeepingRequest):
        # whether each was new.
        self.kept: dict[int, bool] = {}

    async def put(self, item: Any) -> None:
        if isinstance(item, Update):
            while len(self.holding) >= self.in_hand:
                await self._room.wait()
            await self._hold(item)
        await super().put(item)

    async def replay(self, update: Update) -> None:
        """Queue an update kept before the last stop, without waiting for room: replays are
        queued before handling starts."""
        await self._hold(update)
        await super().put(update)

    async def _hold(self, item: Update) -> None:
        kept = self.kept.pop(item.update_id, None)
        if kept is None:  # not from a long poll (a replay, a test's): kept one at a time
            kept = await inbox.keep(self.db, item.update_id,
                                    json.dumps(_without_names(item.to_dict())))
        if kept:
            self.fresh.add(item.update_id)
        # Held only once safely kept: an update the database refused takes no room for good.
        self.holding.add(item.update_id)
        if len(self.holding) >= self.in_hand:
            self._room.clear()

    def done(self, update_id: int) -> None:
        """An update is handled (or given up): room for another."""
        self.holding.discard(update_id)
        if len(self.holding) < self.in_hand:
            self._room.set()

    def take_fresh(self, update_id: int) -> bool:
        """Whether this update was new when kept (asked once, as it is handled)."""
        if update_id in self.fresh:
            self.fresh.discard(update_id)
            return True
        return False


class KeepingRequest(WrappedRequest):
    """The long poll's request, keeping each answer's updates in the inbox before PTB sees them.

    All the updates one getUpdates brings are kept in one unit of work, as Telegram sent them
    (less names), rather than one unit of work each once parsed: the next getUpdates, which
    confirms them to Telegram, goes out through here only after they are safe.
    """

    def __init__(self, inner: BaseRequest, queue: DurableUpdateQueue) -> None:
        super().__init__(inner)
        self.queue = queue

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, body = await super().do_request(url, method, request_data, *args, **kwargs)
        if status == 200 and url.endswith("/getUpdates"):
            try:
                updates = json.loads(body)["result"]
                batch = [(int(u["update_id"]), json.dumps(_without_names(u))) for u in updates]
            except (ValueError, KeyError, TypeError):
                return status, body  # not what Telegram sends: PTB will say so, nothing is kept
            if batch:
                while True:
                    try:
                        fresh = await inbox.keep_all(self.queue.db, batch)
                        break
                    except Exception as exc:
                        if not unavailable(exc):
                            raise
                        # Not kept, so not confirmed: the next poll waits until they are.
                        await wait_out(self.queue.db, exc)
                self.queue.kept.update({update_id: update_id in fresh for update_id, _ in batch})
        return status, body


class DurableApplication(Application):  # type: ignore[type-arg]
    """An Application that handles each update once, then clears it from the inbox.

    An update seen again (replayed after a restart, or redelivered by Telegram after a slow
    answer) is only cleared: a second /start or /export would otherwise answer twice. An update
    new when kept needs no such look. A use case that claims the update (`inbox.queries.claim`)
    marks it handled and clears it in the same commit as its effects; any other is finished
    here after.
    """

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        db: Database = self.bot_data.db
        queue = self.update_queue
        durable = queue if isinstance(queue, DurableUpdateQueue) else None
        try:
            fresh = durable is not None and durable.take_fresh(update.update_id)
            # Kept and queued (a long poll's, or a replay): it can wait for the database. Posted
            # by a webhook call: Telegram keeps it and delivers it again.
            queued = durable is not None and update.update_id in durable.holding
            while True:
                met: list[BaseException] = []
                token = _met.set(met)
                try:
                    if not queued and outage(db).away:
                        raise DatabaseAway  # a webhook call: Telegram delivers it again later
                    await self._once(db, update, fresh)
                except Exception as exc:
                    if not unavailable(exc):
                        raise
                    met.append(exc)
                finally:
                    _met.reset(token)
                if not met:
                    return
                if not queued:
                    outage(db).report(met[0])
                    raise DatabaseAway from met[0]
                # Kept in the inbox and not handled: handled again, whole, once the database
                # is back; this member's next updates wait behind it.
                await wait_out(db, met[0])
                fresh = False
        finally:
            if durable is not None:
                durable.done(update.update_id)

    async def _once(self, db: Database, update: Update, fresh: bool) -> None:
        chat = update.effective_chat
        with inbox.handling(update.update_id, chat.id if chat is not None else None) as handling:
            if fresh or not await inbox.seen(db, update.update_id):
                await super().process_update(update)
        if not handling.settled:
            await inbox.finish(db, update.update_id)


async def replay_kept_updates(application: Application) -> int:  # type: ignore[type-arg]
    """Queue again whatever arrived but was not handled before the last stop."""
    db: Database = application.bot_data.db
    kept = await inbox.kept(db)
    queue = application.update_queue
    for _, payload in kept:
        update = Update.de_json(json.loads(payload), application.bot)
        if isinstance(queue, DurableUpdateQueue):
            await queue.replay(update)
        else:
            await queue.put(update)
    if kept:
        log.info("replaying %d update(s) kept from before the last stop", len(kept))
    return len(kept)
