"""Two bot processes in webhook mode behind one address, sharing one PostgreSQL database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from flows import texts
from storage.db import Database
from storage.models import Member, Narrative, Prompt
from tests import seed
from tests.botapi import BotApiDouble, BotApiServer
from tests.conftest import BACKENDS, _empty_postgres
from tests.remote import BotProcess, Remote

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if "postgres" not in BACKENDS:
        pytest.skip("two replicas share a PostgreSQL database")
    url = request.getfixturevalue("postgres_database")
    yield url
    asyncio.run(_empty_postgres(url))


async def test_member_whose_answers_alternate_between_two_replicas_tells_one_intact_story(
    pg_url: str, tmp_path: Path,
) -> None:
    double = BotApiDouble()
    db = Database(pg_url)
    with BotApiServer(double) as api:
        first = BotProcess(tmp_path, pg_url, api, "first")
        second = BotProcess(tmp_path, pg_url, api, "second")
        try:
            await asyncio.gather(first.start(), second.start())
            telegram = Remote(double, [first, second])
            community = await seed.community(db)
            event = await seed.event(db, community)
            people = [telegram.person(700 + i, first_name=f"Nurse{i}") for i in range(6)]
            for person in people:
                await seed.join(person, community)
                await seed.open_prompt(db, person, event)

            def answers(i: int) -> tuple[str, dict[str, str], str]:
                return (f"Moment {i}: the case review",
                        {seed.INSIGHT: f"Insight {i}: reading a CGM trace",
                         seed.CONNECTION: f"Connection {i}: the dietitian"},
                        f"Intention {i}: the clinic template")

            telegram.everywhere.add(people[0].user_id)
            recaps = await asyncio.gather(*(
                seed.tell(p, *answers(i)) for i, p in enumerate(people)))
            await telegram.close()
            assert await first.terminate() == 0
            assert await second.terminate() == 0
        finally:
            first.kill()
            second.kill()

    assert set(telegram.sent_to) == {0, 1}  # both replicas took updates
    webhook_calls = [p for name, p in double.calls if name == "setWebhook"]
    assert len(webhook_calls) == 2
    assert {c["secret_token"] for c in webhook_calls} == {webhook_calls[0]["secret_token"]}
    # The member whose every update reached both replicas saw exactly what the others saw.
    assert len(double.texts(people[0].user_id)) == len(double.texts(people[1].user_id))
    for i, (person, recap) in enumerate(zip(people, recaps, strict=True)):
        moment, capitals, intention = answers(i)
        assert texts.THANKS in recap[-1]
        for text in (moment, *capitals.values(), intention):
            assert text in recap[-1]
            # Each answer reached the member's chat once, in the recap, never someone else's.
            assert sum(text in t for t in double.texts(person.user_id)) == 1
        async with db.session() as s:
            member = await s.scalar(select(Member).where(Member.telegram_user_id == person.user_id))
            assert member is not None
            stored = (await s.scalars(select(Narrative).where(Narrative.member_id == member.id)
                                      .order_by(Narrative.id))).all()
            prompt = await s.scalar(select(Prompt).where(Prompt.member_id == member.id))
        assert [n.text for n in stored] == [moment, *capitals.values(), intention]
        assert all(n.version == 1 for n in stored)
        assert prompt is not None and prompt.status == "completed"
    await db.dispose()
