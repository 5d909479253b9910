"""What one long poll brings is safe in the inbox before Telegram is told it arrived."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import select
from telegram.request import RequestData

from bot.app import build_application
from storage.db import Database
from storage.models import HandledUpdate, InboxUpdate
from tests.botapi import BotApiDouble, DoubleRequest
from tests.harness import Harness
from valuestory.process.settings import Settings


class WatchingRequest(DoubleRequest):
    """The double, noting what the inbox and the handled marks held at each getUpdates."""

    def __init__(self, double: BotApiDouble, db: Database) -> None:
        super().__init__(double)
        self.db = db
        self.at_poll: list[tuple[int, set[int]]] = []  # (offset asked for, ids safe by then)
        self.payloads: dict[int, dict[str, Any]] = {}  # what the inbox held, as kept

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if url.endswith("/getUpdates"):
            offset = int((request_data.parameters if request_data else {}).get("offset") or 0)
            async with self.db.session() as s:
                rows = (await s.scalars(select(InboxUpdate))).all()
                self.payloads.update({u.update_id: json.loads(u.payload) for u in rows})
                kept = {u.update_id for u in rows}
                handled = {int(k.split("|")[1]) for k in
                           (await s.scalars(select(HandledUpdate.key))).all()
                           if k.startswith("u|")}
            self.at_poll.append((offset, kept | handled))
        return await super().do_request(url, method, request_data, *args, **kwargs)


async def test_updates_fetched_together_are_kept_before_the_next_poll_confirms_them(
    settings: Settings, db: Database,
) -> None:
    double = BotApiDouble()
    people = Harness(settings, db, double)
    askers = [people.person(71_000 + i, username=f"asker{i}") for i in range(3)]
    watching = WatchingRequest(double, db)
    app = build_application(settings, db, request=watching)
    double.send_delay = 0.3  # replies are slow: the next poll goes out while they are handled
    ids = [double.push_update({"message": person.message(
        text="/help", entities=[{"type": "bot_command", "offset": 0, "length": 5}])})
        for person in askers]
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        for _ in range(200):
            if all(len(double.chat(p.user_id)) == 2 for p in askers):
                break
            await asyncio.sleep(0.05)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    # Each was answered, once.
    assert [sum("How this works" in t for t in double.texts(p.user_id)) for p in askers] \
        == [1, 1, 1]
    # The poll that confirmed the three (its offset past the last) went out only once all three
    # were kept in the inbox (or already handled).
    confirming = [safe for offset, safe in watching.at_poll if offset > max(ids)]
    assert confirming and set(ids) <= confirming[0]
    # What was kept carries no names: not the username, not the first name.
    assert set(watching.payloads) == set(ids)  # slow to answer, so all still kept at that poll
    for payload in watching.payloads.values():
        sender = payload["message"]["from"]
        assert "username" not in sender and sender["first_name"] == ""
