"""Property: any sequence of member actions (answer, several messages, skip, back, later, stop,
restart) never loses a committed answer. Driven through the real Application."""

from __future__ import annotations

import asyncio
import itertools
import uuid

from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from flows import texts
from storage import repositories as repo
from storage.db import Database
from storage.models import Narrative, NarrativeRevision
from tests import seed
from tests.harness import Harness
from valuestory.process.settings import Settings

_users = itertools.count(800_000)
_words = itertools.count(1)

ACTIONS = st.sampled_from([
    "answer", "answer", "answer", "answer", "/next", "/next", "/back", "/back", "/skip",
    "/later", "/continue", "restart", "Done", "first option", "/stop", "Keep", "No",
])
KEPT = (texts.ACK_FIRST, texts.ACK_MORE)
HELD = texts.KEEP_HELD.rpartition("}")[2]  # what follows the held message: the question


async def _stored_parts(db: Database, user_id: int) -> set[str]:
    async with db.session() as s:
        member = await repo.member_by_telegram_id(s, user_id)
        assert member is not None
        current = (await s.scalars(select(Narrative.text).where(
            Narrative.member_id == member.id))).all()
        older = (await s.scalars(select(NarrativeRevision.text).join(Narrative).where(
            Narrative.member_id == member.id))).all()
    return {part for text in [*current, *older] for part in text.split("\n\n")}


async def _scenario(app_settings: Settings, actions: list[str]) -> None:
    db = Database(app_settings.database_url)
    harness = Harness(app_settings, db)
    await harness.start()
    community = await seed.community(db, f"C {uuid.uuid4().hex[:8]}")
    event = await seed.event(db, community)
    member = harness.person(next(_users))
    await seed.join(member, community)
    await seed.open_prompt(db, member, event)
    await member.say("/continue")
    await member.tap(seed.THERE)
    committed: set[str] = set()
    held: list[str] = []  # sent after /later; kept only once the member taps Keep
    for action in actions:
        if action == "restart":
            await harness.restart()  # a new process: nothing carried over but the database
        elif action == "answer":
            text = f"word{next(_words)}"
            replies = await member.say(text)
            # What the member was told was kept is really kept.
            if any(r.startswith(KEPT) for r in replies):
                assert text in await _stored_parts(db, member.user_id)
            elif any(HELD in r for r in replies):
                held.append(text)
                assert text not in await _stored_parts(db, member.user_id)
        elif action in ("Done", "first option", "Keep", "No"):
            buttons = [b for row in member.last.keyboard for b in row]
            wanted = {"Done": "|d|", "first option": "|o|", "Keep": "|hk|", "No": "|hn|"}[action]
            found = next((b for b in buttons if wanted in b["callback_data"]), None)
            if found:
                replies = await member.press_data(member.last, found["callback_data"])
                if action == "Keep" and any(r.startswith(KEPT) for r in replies):
                    assert set(held) <= await _stored_parts(db, member.user_id)
                held = []
        else:
            await member.say(action)
            if action != "/continue":
                held = []  # moving on leaves a held message out
        stored = await _stored_parts(db, member.user_id)
        assert committed <= stored, f"lost {committed - stored} after {action}"
        committed = stored
    await harness.stop()
    await db.dispose()


@hypothesis_settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTIONS, min_size=1, max_size=25))
@example(actions=["answer", "/next", "/back", "answer"])
@example(actions=["answer", "answer", "restart", "/later", "answer", "/next", "/back", "/back",
                  "answer"])
@example(actions=["answer", "/stop", "restart", "answer", "/back"])
@example(actions=["/later", "answer", "restart", "answer", "Keep", "answer", "/later", "answer",
                  "No", "answer"])
def test_any_sequence_of_member_actions_never_loses_a_committed_answer(
    settings: Settings, actions: list[str]
) -> None:
    asyncio.run(_scenario(settings, actions))
