"""Property: any sequence of member actions (answer, several messages, skip, back, later, stop,
restart) never loses a committed answer."""

from __future__ import annotations

import asyncio
import itertools
import uuid

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from flows import engine
from storage import repositories as repo
from storage.db import Database
from storage.models import Narrative, NarrativeRevision, Prompt
from valuestory import admin, conversation

_users = itertools.count(800_000)
_words = itertools.count(1)

ACTIONS = st.sampled_from([
    "answer", "answer", "answer", "answer", "next", "next", "back", "back", "skip", "later",
    "continue", "restart", "done", "tap_first_option", "stop",
])


async def _stored_parts(db: Database, user_id: int) -> set[str]:
    async with db.session() as s:
        member = await repo.member_by_telegram_id(s, user_id)
        assert member is not None
        current = (await s.scalars(select(Narrative.text).where(
            Narrative.member_id == member.id))).all()
        older = (await s.scalars(select(NarrativeRevision.text).join(Narrative).where(
            Narrative.member_id == member.id))).all()
    return {part for text in [*current, *older] for part in text.split("\n\n")}


async def _scenario(url: str, actions: list[str]) -> None:
    user = next(_users)
    db = Database(url)
    async with db.session() as s:
        community = await admin.create_community(s, f"C {uuid.uuid4().hex[:8]}", "Europe/London")
        event = await admin.create_event(s, community, "Session", "2026-12-03 14:00",
                                         "2026-12-03 16:00")
        code = community.invite_code
    await conversation.answer_consent(db, user, user, f"j|{code}|{conversation.CONSENT_VERSION}")
    async with db.session() as s:
        member = await repo.member_by_telegram_id(s, user)
        assert member is not None
        await admin.open_prompt(s, member, event)
    await conversation.act(db, user, user, engine.Begin())
    last = await conversation.act(db, user, user, engine.Choose("attended", "yes"))
    committed: set[str] = set()
    for name in actions:
        if name == "restart":
            await db.dispose()
            db = Database(url)  # a new process: nothing carried over but the database
            continue
        if name == "answer":
            text = f"word{next(_words)}"
            last = await conversation.act(db, user, user, engine.Text(text))
            said_kept = any(o.text.startswith(("Got it", "Added", "Welcome back")) for o in last)
            stored = await _stored_parts(db, user)
            # What the member was told was kept is really kept.
            assert not said_kept or text in stored
        elif name in ("tap_first_option", "done"):
            buttons = [t for o in last for row in o.buttons for _, t in row]
            wanted = "|o|" if name == "tap_first_option" else "|d|"
            token = next((t for t in buttons if wanted in t), None)
            if token:
                last = await conversation.press(db, user, user, token) or last
        else:
            last = await conversation.act(db, user, user, engine.COMMANDS[name]) or last
        stored = await _stored_parts(db, user)
        assert committed <= stored, f"lost {committed - stored} after {name}"
        committed = stored
    async with db.session() as s:
        prompt = await s.scalar(select(Prompt).where(Prompt.event_id == event.id))
        assert prompt is not None
    await db.dispose()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTIONS, min_size=1, max_size=25))
@example(actions=["answer", "next", "back", "answer"])
@example(actions=["answer", "answer", "restart", "later", "answer", "next", "back", "back", "answer"])
@example(actions=["answer", "stop", "restart", "answer", "back"])
def test_any_sequence_of_member_actions_never_loses_a_committed_answer(
    database_url: str, actions: list[str]
) -> None:
    asyncio.run(_scenario(database_url, actions))
