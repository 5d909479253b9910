"""Members are answered side by side; one member's own updates are handled strictly in order."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from sqlalchemy import select
from telegram import Update

from flows import texts
from storage.models import Narrative
from tests import seed
from tests.harness import Harness
from tests.waiting import until

_ids = itertools.count(900_000)


async def test_two_messages_from_one_member_keep_their_order_while_another_member_is_answered(
    harness: Harness,
) -> None:
    community = await seed.community(harness.db)
    event = await seed.event(harness.db, community)
    a, b = harness.person(61_001), harness.person(61_002)
    for person in (a, b):
        await seed.join(person, community)
        await seed.open_prompt(harness.db, person, event)
        await person.say("/continue")
        await person.tap(seed.THERE)
    replies: list[tuple[int, str, str]] = []  # (chat, "sent" or "done", text), as they happen
    request = harness.app.bot.request
    plain = request.do_request

    async def slow_for_a(url: str, method: str, request_data: Any = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        params = request_data.parameters if request_data else {}
        if url.endswith("/sendMessage"):
            chat, text = int(params["chat_id"]), str(params["text"])
            replies.append((chat, "sent", text))
            if chat == a.user_id:
                await asyncio.sleep(0.5)  # Telegram slow for A: B must not wait for it
            answer = await plain(url, method, request_data, *args, **kwargs)
            replies.append((chat, "done", text))
            return answer
        return await plain(url, method, request_data, *args, **kwargs)

    request.do_request = slow_for_a  # type: ignore[method-assign]

    def text_update(person: Any, text: str) -> Update:
        return Update.de_json({"update_id": next(_ids), "message": person.message(text=text)},
                              harness.app.bot)

    await harness.app.start()
    try:
        for update in (text_update(a, "The case review changed my clinic."),
                       text_update(a, "And the dietitian's trace reading."),
                       text_update(b, "I met the team from the next trust.")):
            await harness.app.update_queue.put(update)
        await until(lambda: sum(1 for _, what, _ in replies if what == "done") >= 3,
                    "all three replies to reach Telegram", every=0.05)
    finally:
        await harness.app.stop()

    done_a = [text for chat, what, text in replies if chat == a.user_id and what == "done"]
    assert len(done_a) == 2
    assert done_a[0].startswith(texts.ACK_FIRST) and done_a[1].startswith(texts.ACK_MORE)
    # B was answered while A's first reply was still on its way.
    order = [(chat, what) for chat, what, _ in replies]
    assert order.index((b.user_id, "done")) < order.index((a.user_id, "done"))
    # A's second message went in after the first, as one answer, in the order A wrote it.
    async with harness.db.session() as s:
        stored = (await s.scalars(select(Narrative.text).order_by(Narrative.id))).all()
    assert ("The case review changed my clinic.\n\nAnd the dietitian's trace reading."
            in stored)
    assert "I met the team from the next trust." in stored
