"""The schema protects the data: migrations match the models, and uniqueness lives in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    Base,
    Community,
    Consent,
    Event,
    Member,
    Membership,
    Narrative,
    Prompt,
    PromptStatus,
)
from valuestory.usecases import communities, errors
from valuestory.usecases.events import planning

NOW = dt.datetime(2026, 12, 3, 18, 0, tzinfo=dt.UTC)


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_create_exactly_the_schema_the_models_describe(db: Database) -> None:
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
    assert await db.is_current()


async def _member_and_event(db: Database) -> tuple[int, int, int]:
    async with db.session() as s:
        community = await communities.queries.create_community(s, "C", "Europe/London")
        event = await planning.create_event(s, community, "E", "2026-12-03 14:00", "2026-12-03 16:00")
        member = Member(telegram_user_id=10_000_000_001, chat_id=10_000_000_001)
        s.add(member)
        await s.flush()
        consent = Consent(member_id=member.id, version="v1")
        s.add(consent)
        await s.flush()
        s.add(Membership(member_id=member.id, community_id=community.id, pseudonym="P-AAAA",
                         consent_id=consent.id))
        return community.id, event.id, member.id


async def test_one_prompt_per_member_per_event_and_kind_is_enforced_by_the_schema(
    db: Database,
) -> None:
    community_id, event_id, member_id = await _member_and_event(db)

    def prompt() -> Prompt:
        return Prompt(member_id=member_id, community_id=community_id, event_id=event_id,
                      kind="post_event", story_id="s", status=PromptStatus.OPEN, due_at=NOW)

    async with db.session() as s:
        s.add(prompt())
    with pytest.raises(IntegrityError):
        async with db.session() as s:
            s.add(prompt())


async def test_one_current_answer_per_question_per_prompt_is_enforced_by_the_schema(
    db: Database,
) -> None:
    community_id, event_id, member_id = await _member_and_event(db)
    async with db.session() as s:
        p = Prompt(member_id=member_id, community_id=community_id, event_id=event_id,
                   kind="post_event", story_id="s", status=PromptStatus.OPEN, due_at=NOW)
        s.add(p)
        await s.flush()
        prompt_id = p.id

    def narrative() -> Narrative:
        return Narrative(prompt_id=prompt_id, member_id=member_id, community_id=community_id,
                         event_id=event_id, story_id="s", question_id="immediate.moment",
                         question_text="?", cycle="immediate", text="x", answered_at=NOW,
                         updated_at=NOW)

    async with db.session() as s:
        s.add(narrative())
    with pytest.raises(IntegrityError):
        async with db.session() as s:
            s.add(narrative())


async def test_invite_codes_are_unique_and_unguessable(db: Database) -> None:
    codes = [(await communities.create(db, f"C{i}", "UTC")).invite_code for i in range(50)]
    assert len(set(codes)) == 50 and all(len(c) >= 16 for c in codes)
    with pytest.raises(IntegrityError):
        async with db.session() as s:
            s.add(Community(name="Copy", timezone="UTC", invite_code=codes[0]))


async def test_telegram_ids_beyond_32_bits_and_times_come_back_aware_in_utc(db: Database) -> None:
    _, event_id, member_id = await _member_and_event(db)
    async with db.session() as s:
        member = await s.get(Member, member_id)
        event = await s.scalar(select(Event).where(Event.id == event_id))
    assert member is not None and member.telegram_user_id == 10_000_000_001
    assert event is not None and event.starts_at == dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC)
    assert event.starts_at.tzinfo is not None


async def test_a_time_written_in_any_zone_is_read_back_as_the_same_moment_in_utc(
        db: Database) -> None:
    from zoneinfo import ZoneInfo

    _, event_id, _ = await _member_and_event(db)
    written = dt.datetime(2026, 7, 3, 9, 30, 15, 123456, tzinfo=ZoneInfo("Europe/London"))
    async with db.session() as s:
        event = await s.get(Event, event_id)
        assert event is not None
        event.starts_at = written
    async with db.connection() as conn:
        read = (await conn.execute(select(Event.starts_at).where(Event.id == event_id))).scalar()
    assert read == written and read.utcoffset() == dt.timedelta(0)
    if db.dialect != "sqlite":
        return
    # Text in SQLite that another hand wrote (no fraction, a T, a zone) reads as the same moment.
    utc = dt.UTC
    for stored, moment in (
            ("2026-07-03 08:30:15", dt.datetime(2026, 7, 3, 8, 30, 15, tzinfo=utc)),
            ("2026-07-03T08:30:15.5", dt.datetime(2026, 7, 3, 8, 30, 15, 500000, tzinfo=utc)),
            ("2026-07-03 08:30:15+00:00", dt.datetime(2026, 7, 3, 8, 30, 15, tzinfo=utc))):
        async with db.connection() as conn:
            await conn.exec_driver_sql("UPDATE events SET starts_at = ? WHERE id = ?",
                                       (stored, event_id))
            read = (await conn.execute(select(Event.starts_at).where(Event.id == event_id))
                    ).scalar()
        assert read == moment, stored
        assert read.utcoffset() == dt.timedelta(0)


async def test_an_event_must_end_after_it_starts(db: Database) -> None:
    community = await communities.create(db, "C", "Europe/London")
    with pytest.raises(errors.AdminError, match="end after"):
        async with db.session() as s:
            c = await s.get(Community, community.id)
            assert c is not None
            await planning.create_event(s, c, "E", "2026-12-03 16:00", "2026-12-03 14:00")


async def test_a_unit_of_work_is_all_or_nothing_even_with_a_savepoint_inside(db: Database) -> None:
    from storage import repositories as repo
    from storage.models import HandledUpdate

    class Crash(Exception):
        pass

    with pytest.raises(Crash):
        async with db.session() as s:
            assert await repo.mark_handled(s, "m|1|1")  # runs in a savepoint
            raise Crash  # e.g. storing the answer failed
    async with db.session() as s:
        assert await s.get(HandledUpdate, "m|1|1") is None


def test_the_newest_migration_the_bot_checks_for_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from storage.db import HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


async def test_a_bot_starting_on_a_current_schema_does_not_load_alembic(db: Database) -> None:
    import subprocess
    import sys

    await db.upgrade()
    program = ("import asyncio, sys\n"
               "from storage.db import Database\n"
               "async def main():\n"
               f"    db = Database({db.url!r})\n"
               "    await db.upgrade()\n"
               "    await db.dispose()\n"
               "asyncio.run(main())\n"
               "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n")
    loaded = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"
    assert await db.is_current()


async def test_a_batch_of_updates_is_kept_once_and_never_one_handled_already(db: Database) -> None:
    from storage.models import InboxUpdate
    from valuestory.usecases import inbox

    await inbox.finish(db, 11)  # handled before (and cleared)
    assert await inbox.keep(db, 12, '{"n": 12}')  # kept before, not yet handled
    fresh = await inbox.keep_all(db, [(10, '{"n": 10}'), (11, '{"n": 11}'), (12, '{"again": 1}'),
                                      (13, '{"n": 13}')])
    assert fresh == {10, 13}
    async with db.session() as s:
        kept = {u.update_id: u.payload for u in (await s.scalars(select(InboxUpdate))).all()}
    assert kept == {10: '{"n": 10}', 12: '{"n": 12}', 13: '{"n": 13}'}
    assert await inbox.keep_all(db, [(10, "{}"), (11, "{}")]) == set()


async def test_settling_an_update_clears_it_and_marks_it_with_its_keys_in_one_commit(
    db: Database,
) -> None:
    from storage.models import HandledUpdate, InboxUpdate
    from valuestory.usecases import inbox
    from valuestory.usecases.inbox import queries as inbox_queries

    assert await inbox.keep_all(db, [(20, '{"n": 20}'), (21, '{"n": 21}')]) == {20, 21}
    with pytest.raises(RuntimeError), inbox.handling(20):
        async with db.session() as s:
            assert await inbox_queries.claim(s, "m|1|5")  # marks "u|20" too, and clears 20
            raise RuntimeError("the handler failed after settling")
    async with db.session() as s:  # rolled back with it: still kept, nothing marked
        assert set((await s.scalars(select(InboxUpdate.update_id))).all()) == {20, 21}
        assert (await s.scalars(select(HandledUpdate.key))).all() == []

    with inbox.handling(20):
        async with db.session() as s:
            assert await inbox_queries.claim(s, "m|1|5")
    async with db.session() as s:
        assert set((await s.scalars(select(InboxUpdate.update_id))).all()) == {21}
        assert set((await s.scalars(select(HandledUpdate.key))).all()) == {"m|1|5", "u|20"}
        # The same message again, in another update: it was handled, and says so.
        with inbox.handling(21):
            assert not await inbox_queries.claim(s, "m|1|5")
    async with db.session() as s:
        assert (await s.scalars(select(InboxUpdate.update_id))).all() == []
