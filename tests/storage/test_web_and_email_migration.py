"""Migration 0017_web_and_email: a members table that others refer to is rebuilt on SQLite (its
Telegram columns made optional) and every row referring to a member is still there after, and
going back keeps every row too."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    Member,
    MemberEmail,
    MemberLink,
    Narrative,
    NarrativeRevision,
    Prompt,
    PromptStatus,
    RoleGrant,
    VoiceNote,
)
from tests.storage.test_storage import _member_and_event

NOW = dt.datetime(2026, 12, 3, 18, 0, tzinfo=dt.UTC)
BEFORE = "0016_featured_stories"
# Made since BEFORE: by this migration, 0019_owed_replies and 0020_email_invitations.
NEW_TABLES = {"member_links", "member_emails", "email_joins", "owed_replies", "invitations"}


async def _rows(db: Database) -> dict[str, int]:
    """How many rows each table holds (but Alembic's own)."""
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        return {t: int((await conn.execute(text(f'SELECT count(*) FROM "{t}"'))).scalar_one())
                for t in sorted(tables) if t != "alembic_version"}


async def _told(db: Database) -> int:
    """A member with a story told, a plan, a revision and a voice note: rows in most tables."""
    community_id, event_id, member_id = await _member_and_event(db)
    async with db.session() as s:
        prompt = Prompt(member_id=member_id, community_id=community_id, event_id=event_id,
                        kind="post_event", story_id="s", status=PromptStatus.COMPLETED,
                        due_at=NOW, opened_at=NOW)
        s.add(prompt)
        await s.flush()
        common = {"prompt_id": prompt.id, "member_id": member_id, "community_id": community_id,
                  "event_id": event_id, "story_id": "s", "question_text": "?",
                  "answered_at": NOW}
        moment = Narrative(question_id="immediate.moment", cycle="immediate", text="a moment",
                           version=2, **common)
        s.add_all([moment, Narrative(question_id="applied.intention", cycle="applied",
                                     intended=True, text="a plan", **common)])
        await s.flush()
        s.add(NarrativeRevision(narrative_id=moment.id, version=1, text="first", written_at=NOW))
        s.add(VoiceNote(update_key="u1", member_id=member_id, community_id=community_id,
                        prompt_id=prompt.id, question_id="immediate.moment", chat_id=1,
                        telegram_file_id="f"))
        s.add(RoleGrant(telegram_user_id=10_000_000_001, community_id=community_id,
                        role="convener"))
    return member_id


async def test_every_row_referring_to_a_member_survives_the_rebuild_and_the_way_back(
    db: Database,
) -> None:
    await _told(db)
    at_head = await _rows(db)
    assert at_head["narratives"] == 2 and at_head["matrix_cells"] > 0

    await db.migrate(BEFORE, down=True)
    before = await _rows(db)
    assert before == {t: n for t, n in at_head.items() if t not in NEW_TABLES}

    await db.migrate("head")
    assert await _rows(db) == at_head
    async with db.session() as s:
        assert set(await s.scalars(select(Narrative.channel))) == {"telegram"}
        assert set(await s.scalars(select(Member.channel))) == {"telegram"}


async def test_foreign_keys_still_hold_after_the_rebuild(db: Database) -> None:
    member_id = await _told(db)
    await db.migrate(BEFORE, down=True)
    await db.migrate("head")
    async with db.session() as s:
        await s.execute(delete(Member).where(Member.id == member_id))
    rows = await _rows(db)
    assert (rows["narratives"], rows["memberships"], rows["voice_notes"]) == (0, 0, 0)
    with pytest.raises(IntegrityError):
        async with db.session() as s:
            s.add(MemberLink(member_id=member_id + 1000, token_hash="0" * 64))


async def test_members_without_telegram_keep_their_rows_on_the_way_back(db: Database) -> None:
    await _told(db)
    async with db.session() as s:
        s.add_all([Member(channel="email"), Member(channel="email")])  # no Telegram, twice
        await s.flush()
        ids = list(await s.scalars(select(Member.id).where(Member.telegram_user_id.is_(None))))
        s.add(MemberLink(member_id=ids[0], token_hash="a" * 64))
        s.add(MemberEmail(member_id=ids[0], address="Ana@Example.org"))
    with pytest.raises(IntegrityError):
        async with db.session() as s:
            s.add(MemberEmail(member_id=ids[1], address="ana@example.ORG"))
    at_head = await _rows(db)
    assert at_head["members"] == 3

    await db.migrate(BEFORE, down=True)
    assert await _rows(db) == {t: n for t, n in at_head.items() if t not in NEW_TABLES}
    await db.migrate("head")
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Member)
                              .where(Member.telegram_user_id.is_(None))) == 2
