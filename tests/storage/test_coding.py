"""Coding on SQLite and PostgreSQL: a codebook, codings by labelled coders on whole narratives or
passages, blind sets, agreement over what every coder has seen, withdrawal erasing codings, and a
code becoming an indicator backed by its narratives."""

from __future__ import annotations

import datetime as dt

import pytest

from storage import repositories as repo
from storage.db import Database
from storage.models import Community, Event, utcnow
from tests import seed
from valuestory.usecases import coding, indicators, rights
from valuestory.usecases.coding import COMMAND_LINE, Caller

ANN = 901  # researcher
BEN = 902  # researcher
CONVENER = 903
STRANGER = 904


async def _say(db: Database, user_id: int, event: Event, texts: list[str]) -> list[int]:
    """A member's answers to one prompt, each an immediate-value narrative; their ids."""
    ids = []
    prompt = await seed.open_prompt(db, user_id, event)
    async with db.session() as session:
        for i, text in enumerate(texts):
            n = await repo.save_answer(session, prompt, question_id=f"q{i}",
                                       question_text="What happened?", cycle="immediate",
                                       capital=None, intended=False, text=text, append=False,
                                       now=utcnow())
            await session.flush()
            ids.append(n.id)
    return ids


async def _community(db: Database) -> tuple[Community, list[int]]:
    """Ten narratives from five members (Telegram ids 601-605, two each)."""
    c = await seed.community(db, "Coding")
    e = await seed.event(db, c, "Ward round")
    await seed.grant(db, ANN, "researcher", c)
    await seed.grant(db, BEN, "researcher", c)
    await seed.grant(db, CONVENER, "convener", c)
    ids: list[int] = []
    for uid in range(601, 606):
        await seed.member(db, c, uid, joined=utcnow() - dt.timedelta(days=9))
        ids += await _say(db, uid, e, [f"{uid} felt safe to ask a silly question",
                                       f"{uid} left with energy for the week"])
    return c, ids


async def test_a_codebook_starts_blank_or_from_the_frameworks_themes(db: Database) -> None:
    c, _ = await _community(db)
    assert await coding.codebook(db, COMMAND_LINE, c.name) == []
    book = await coding.start_from_framework(db, COMMAND_LINE, c.name)
    names = {code.name: code for code in book}
    assert names["A safe space"].cycle == "immediate"
    assert names["Confidence"].capital == "human"
    # Starting again adds nothing twice.
    assert len(await coding.start_from_framework(db, COMMAND_LINE, c.name)) == len(book)
    with pytest.raises(coding.CodingError, match="already has a code called"):
        await coding.add_code(db, COMMAND_LINE, c.name, "a safe SPACE")
    with pytest.raises(coding.CodingError, match="#RRGGBB"):
        await coding.add_code(db, COMMAND_LINE, c.name, "Humour", colour="red")
    child = await coding.add_code(db, COMMAND_LINE, c.name, "Asking freely",
                                  parent="A safe space", description="Asked without fear")
    assert child.parent_id == names["A safe space"].id


async def test_a_passage_is_coded_by_its_characters_and_counts_per_code_and_cycle(
        db: Database) -> None:
    c, ids = await _community(db)
    safe = await coding.add_code(db, COMMAND_LINE, c.name, "A safe space", cycle="immediate")
    ann = Caller(ANN)
    with pytest.raises(coding.NeedLabel):
        await coding.apply(db, ann, c.id, ids[0], safe.id)
    with pytest.raises(coding.CodingError, match="not a Telegram id"):
        await coding.choose_label(db, ann, c.id, "901")
    assert await coding.choose_label(db, ann, c.id, "AK") == "AK"
    made = await coding.apply(db, ann, c.id, ids[0], safe.id, 4, 13)
    assert (made.coder, made.passage) == ("AK", "felt safe")
    whole = await coding.apply(db, ann, c.id, ids[2], "a safe space")
    assert whole.start is None and whole.passage is None
    # The same coding again is the same coding, not a second one.
    assert (await coding.apply(db, ann, c.id, ids[2], safe.id)).id == whole.id
    with pytest.raises(coding.CodingError, match="inside the narrative"):
        await coding.apply(db, ann, c.id, ids[0], safe.id, 5, 500)
    [view] = await coding.codebook(db, ann, c.id)
    assert (view.narratives, view.codings, view.by_cycle) == (2, 2, {"immediate": 2})
    await coding.unapply(db, ann, c.id, made.id)
    assert (await coding.codebook(db, ann, c.id))[0].narratives == 1


async def test_only_researchers_or_conveners_the_community_allows_may_code(db: Database) -> None:
    c, _ = await _community(db)
    for who in (Caller(CONVENER), Caller(STRANGER)):
        assert not await coding.may_code(db, who, c.id)
        with pytest.raises(coding.Unknown):
            await coding.codebook(db, who, c.id)
    async with db.session() as session:
        found = await session.get(Community, c.id)
        assert found is not None
        found.conveners_code = True
    assert await coding.may_code(db, Caller(CONVENER), c.id)
    assert not await coding.may_code(db, Caller(STRANGER), c.id)


async def test_in_a_blind_set_a_coder_sees_only_their_own_codings_until_done(db: Database) -> None:
    c, ids = await _community(db)
    safe = await coding.add_code(db, COMMAND_LINE, c.name, "A safe space", cycle="immediate")
    ann, ben = Caller(ANN), Caller(BEN)
    await coding.choose_label(db, ann, c.id, "AK")
    await coding.choose_label(db, ben, c.id, "BL")
    await coding.new_set(db, COMMAND_LINE, c.name, "First ten", ids, blind=True)
    await coding.apply(db, ann, c.id, ids[0], safe.id)
    await coding.apply(db, ben, c.id, ids[0], safe.id, 4, 9)
    seen_by_ben = await coding.codings(db, ben, c.id, ids[:1])
    assert [v.coder for v in seen_by_ben[ids[0]]] == ["BL"]
    done = await coding.mark_done(db, ben, c.id, "First ten")
    assert done.done == ("BL",)
    assert sorted(v.coder for v in (await coding.codings(db, ben, c.id, ids[:1]))[ids[0]]) \
        == ["AK", "BL"]
    # Ann has not finished: she still sees only hers.
    assert [v.coder for v in (await coding.codings(db, ann, c.id, ids[:1]))[ids[0]]] == ["AK"]


async def test_agreement_counts_only_narratives_every_coder_has_seen(db: Database) -> None:
    c, ids = await _community(db)
    safe = await coding.add_code(db, COMMAND_LINE, c.name, "A safe space", cycle="immediate")
    # Krippendorff's binary example: Ann codes units 2 and 9, Ben units 1, 2, 3 and 6.
    for i in (1, 8):
        await coding.apply(db, COMMAND_LINE, c.name, ids[i], safe.id, coder="AK")
    for i in (0, 1, 2, 5):
        await coding.apply(db, COMMAND_LINE, c.name, ids[i], safe.id, coder="BL")
    await coding.new_set(db, COMMAND_LINE, c.name, "All", ids)
    # Ben has seen all ten; Ann only what she coded until she marks the set done.
    await coding.mark_done(db, COMMAND_LINE, c.name, "All", coder="BL")
    [early] = await coding.agreement(db, COMMAND_LINE, c.name)
    assert early.units == 2
    await coding.mark_done(db, COMMAND_LINE, c.name, "All", coder="AK")
    [result] = await coding.agreement(db, COMMAND_LINE, c.name)
    assert result.to_dict() == {"code": "A safe space", "coders": ["AK", "BL"], "units": 10,
                                "percent": 60.0, "kappa": 0.091, "alpha": 0.095}
    with pytest.raises(coding.Unknown, match="no coder 'ZZ'"):
        await coding.agreement(db, COMMAND_LINE, c.name, coders=["AK", "ZZ"])


async def test_withdrawal_erases_a_members_codings_and_the_counts_follow(db: Database) -> None:
    c, ids = await _community(db)
    safe = await coding.add_code(db, COMMAND_LINE, c.name, "A safe space", cycle="immediate")
    for i in (0, 1, 2):  # member 601's two narratives, and 602's first
        await coding.apply(db, COMMAND_LINE, c.name, ids[i], safe.id, coder="AK")
    assert (await coding.codebook(db, COMMAND_LINE, c.name))[0].narratives == 3
    assert await rights.withdraw(db, 601, c.id) is not None
    assert (await coding.codebook(db, COMMAND_LINE, c.name))[0].narratives == 1


async def test_a_code_becomes_an_indicator_backed_by_its_narratives(db: Database) -> None:
    c, ids = await _community(db)
    loose = await coding.add_code(db, COMMAND_LINE, c.name, "Humour")
    safe = await coding.add_code(db, COMMAND_LINE, c.name, "A safe space", cycle="immediate")
    for i in (0, 2, 3):
        await coding.apply(db, COMMAND_LINE, c.name, ids[i], safe.id, coder="AK")
    with pytest.raises(coding.CodingError, match="which cycle"):
        await coding.to_indicator(db, COMMAND_LINE, c.name, loose.id)
    made = await coding.to_indicator(db, COMMAND_LINE, c.name, safe.id,
                                     "It's a safe space to ask questions")
    assert (made.cycle, made.statement) == ("immediate", "It's a safe space to ask questions")
    assert (made.narratives, made.members) == (3, 2)
    [listed] = await indicators.listing(db, c.name)
    assert listed.id == made.id
