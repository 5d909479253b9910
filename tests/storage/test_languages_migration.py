"""Migration 0008_languages: what was there before reads English, and the matrix's triggers on
narratives survive the columns coming and going."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from storage.db import Database
from storage.models import MatrixCell, Member, Narrative, Prompt
from tests.storage.test_storage import _member_and_event

NOW = dt.datetime(2026, 12, 3, 18, 0, tzinfo=dt.UTC)


async def test_members_from_before_languages_read_english_and_triggers_still_count(
    db: Database,
) -> None:
    await db.migrate("0003_conveners", down=True)
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO members (telegram_user_id, chat_id, paused, created_at) "
            "VALUES (42, 42, false, CURRENT_TIMESTAMP)"))
    await db.migrate("head")
    async with db.session() as s:
        old = await s.scalar(select(Member).where(Member.telegram_user_id == 42))
        assert old is not None and old.language == "en"

    community_id, event_id, member_id = await _member_and_event(db)
    async with db.session() as s:
        prompt = Prompt(member_id=member_id, community_id=community_id, event_id=event_id,
                        kind="post_event", story_id="s", due_at=NOW)
        s.add(prompt)
        await s.flush()
        s.add(Narrative(prompt_id=prompt.id, member_id=member_id, community_id=community_id,
                        event_id=event_id, story_id="s", question_id="q", question_text="¿Q?",
                        language="es", cycle="immediate", text="a", answered_at=NOW))
    async with db.session() as s:
        cells = (await s.scalars(select(MatrixCell))).all()
        assert [(c.cycle, c.narratives) for c in cells] == [("immediate", 1)]
        assert (await s.scalar(select(Narrative.language))) == "es"
