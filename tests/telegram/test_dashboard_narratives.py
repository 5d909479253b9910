"""The dashboard's narratives by page: every narrative once, newest first, however many share a time."""

from __future__ import annotations

import datetime as dt

from storage import repositories as repo
from tests import seed
from tests.harness import Harness
from valuestory.usecases import narratives

AT = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC)


async def test_pages_of_fifty_show_every_narrative_once_newest_first_and_say_what_was_revised(
        harness: Harness) -> None:
    c = await seed.community(harness.db)
    e = await seed.event(harness.db, c, starts="2026-09-01 14:00", ends="2026-09-01 16:00")
    people = [harness.person(9300 + i) for i in range(3)]
    for person in people:
        await seed.join(person, c)
    prompts = [await seed.open_prompt(harness.db, person, e) for person in people]
    async with harness.db.session() as session:
        for i, prompt in enumerate(prompts):
            for q in range(40):
                # Ten answers share each moment, so a page can end inside a tie.
                await repo.save_answer(
                    session, prompt, question_id=f"q{q}", question_text=f"Question {q}?",
                    cycle="potential" if q % 2 else "immediate",
                    capital="social" if q % 4 == 1 else None, intended=False,
                    text=f"answer {i}-{q}", append=False,
                    now=AT + dt.timedelta(minutes=(i * 40 + q) // 10))
        revised = await repo.save_answer(
            session, prompt, question_id="q0", question_text="Question 0?", cycle="immediate",
            capital=None, intended=False, text="answer 2-0, thought over", append=False,
            now=AT + dt.timedelta(days=1))

    seen: list[narratives.Item] = []
    cursor = None
    pages = 0
    async with harness.db.session() as session:
        while True:
            page = await narratives.page_of(harness.db, c.id, narratives.NarrativeFilter(), cursor)
            pages += 1
            assert len(page.items) == (50 if page.next else 20)
            seen.extend(page.items)
            if page.next is None:
                break
            cursor = narratives.Cursor.decode(page.next.encode())
        assert pages == 3
        assert len({n.id for n in seen}) == len(seen) == 120
        keys = [(n.answered_at, n.id) for n in seen]
        assert keys == sorted(keys, reverse=True)
        assert [n.id for n in seen if n.revised] == [revised.id]
        assert all(n.pseudonym.startswith("P-") and n.event == "Winter Learning Session" for n in seen)

        social = await narratives.page_of(harness.db, c.id, narratives.NarrativeFilter(
            cycle="potential", capital="social", words="answer 1-"))
        assert sorted(n.answer for n in social.items) == sorted(
            f"answer 1-{q}" for q in range(1, 40, 4))
        one = seen[0].pseudonym
        theirs = await narratives.page_of(harness.db, c.id, narratives.NarrativeFilter(pseudonym=one))
        assert {n.pseudonym for n in theirs.items} == {one} and len(theirs.items) == 40
        # Typed characters that mean something to LIKE are only characters.
        assert (await narratives.page_of(harness.db, c.id, narratives.NarrativeFilter(words="%"))).items == ()
    assert narratives.Cursor.decode("nonsense") is None
