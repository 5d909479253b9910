"""What one long poll brings is safe in the inbox before Telegram is told it arrived."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import select
from telegram.ext import Application
from telegram.request import RequestData

from bot.app import build_application
from flows import texts
from storage.db import Database
from storage.models import HandledUpdate, InboxUpdate
from tests.botapi import BotApiDouble, DoubleRequest
from tests.harness import Harness, Person
from tests.waiting import until
from valuestory.process.settings import Settings


class WatchingRequest(DoubleRequest):
    """The double, noting what the inbox and the handled marks held at each getUpdates."""

    def __init__(self, double: BotApiDouble, db: Database) -> None:
        super().__init__(double)
        self.db = db
        self.at_poll: list[tuple[int, set[int]]] = []  # (offset asked for, ids safe by then)

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if url.endswith("/getUpdates"):
            offset = int((request_data.parameters if request_data else {}).get("offset") or 0)
            # Read at the moment the poll goes out, not in turn behind the handlers' units of
            # work (which would see them handled and cleared by then).
            async with self.db.engine.connect() as c:
                kept = set((await c.scalars(select(InboxUpdate.update_id))).all())
                handled = {int(k.split("|")[1]) for k in
                           (await c.scalars(select(HandledUpdate.key))).all()
                           if k.startswith("u|")}
            self.at_poll.append((offset, kept | handled))
        return await super().do_request(url, method, request_data, *args, **kwargs)


def _ask_for_help(double: BotApiDouble, person: Person) -> int:
    """/help from this person, waiting at the double; its update id."""
    return double.push_update({"message": person.message(
        text="/help", entities=[{"type": "bot_command", "offset": 0, "length": 5}])})


async def _poll_until_answered(app: Application, double: BotApiDouble,  # type: ignore[type-arg]
                               askers: list[Person]) -> None:
    """Run the Application long polling until each asker has their answer, then stop it."""
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        await until(lambda: all(len(double.chat(p.user_id)) == 2 for p in askers),
                    "every asker's answer", every=0.05)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_updates_fetched_together_are_kept_before_the_next_poll_confirms_them(
    settings: Settings, db: Database,
) -> None:
    double = BotApiDouble()
    people = Harness(settings, db, double)
    askers = [people.person(71_000 + i, username=f"asker{i}") for i in range(3)]
    watching = WatchingRequest(double, db)
    app = build_application(settings, db, request=watching)
    double.send_delay = 0.3  # replies are slow: the next poll goes out while they are handled
    ids = [_ask_for_help(double, person) for person in askers]
    await _poll_until_answered(app, double, askers)

    # Each was answered, once.
    assert [sum(texts.HELP in t for t in double.texts(p.user_id)) for p in askers] \
        == [1, 1, 1]
    # The poll that confirmed the three (its offset past the last) went out only once all three
    # were kept in the inbox (or already handled).
    confirming = [safe for offset, safe in watching.at_poll if offset > max(ids)]
    assert confirming and set(ids) <= confirming[0]


async def test_what_the_inbox_keeps_carries_no_names(settings: Settings, db: Database) -> None:
    double = BotApiDouble()
    people = Harness(settings, db, double)
    askers = [people.person(72_000 + i, username=f"asker{i}") for i in range(3)]
    ids = [double.push_update({"message": person.message(text="I was there")})
           for person in askers]
    app = build_application(settings, db, request=DoubleRequest(double))
    # Polling, but the Application not started: updates are fetched and kept, never handled.
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    rows: list[Any] = []

    async def all_kept() -> bool:
        async with db.session() as s:
            rows[:] = (await s.execute(select(InboxUpdate.update_id, InboxUpdate.payload))).all()
        return len(rows) == len(ids)

    try:
        await until(all_kept, "every update to be kept", every=0.05)
    finally:
        await app.updater.stop()
        await app.shutdown()
    assert sorted(uid for uid, _ in rows) == ids
    for _, payload in rows:
        sender = json.loads(payload)["message"]["from"]
        assert "username" not in sender and sender["first_name"] == ""
        assert sender["id"] in {p.user_id for p in askers}


class CountingRequest(DoubleRequest):
    """The double, with slow replies, counting the replies on their way at any one moment."""

    def __init__(self, double: BotApiDouble) -> None:
        super().__init__(double)
        self.on_the_way = 0
        self.most = 0

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if not url.endswith("/sendMessage"):
            return await super().do_request(url, method, request_data, *args, **kwargs)
        self.on_the_way += 1
        self.most = max(self.most, self.on_the_way)
        try:
            await asyncio.sleep(0.2)
            return await super().do_request(url, method, request_data, *args, **kwargs)
        finally:
            self.on_the_way -= 1


async def test_the_long_poll_takes_no_more_updates_than_there_is_room_for(
    settings: Settings, db: Database,
) -> None:
    double = BotApiDouble()
    people = Harness(settings, db, double)
    askers = [people.person(73_000 + i, username=f"asker{i}") for i in range(6)]
    for person in askers:
        _ask_for_help(double, person)
    counting = CountingRequest(double)
    app = build_application(settings, db, request=counting)
    app.update_queue.in_hand = 2  # type: ignore[attr-defined]  # room for two, not 64
    await _poll_until_answered(app, double, askers)

    # All six were fetched in one poll and each answered once, but never more than two people's
    # replies were on their way at once (six could be: they are different people).
    assert [sum(texts.HELP in t for t in double.texts(p.user_id)) for p in askers] \
        == [1] * 6
    assert counting.most == 2
