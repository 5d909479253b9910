"""Conveners, researchers and admins who are not members get /start and /help for their role."""

from __future__ import annotations

from flows import texts
from tests import seed
from tests.harness import Harness

ADMIN = 9001  # in the test settings' ADMIN_TELEGRAM_IDS


async def test_a_convener_who_is_not_a_member_is_greeted_and_helped_as_a_convener(
    harness: Harness,
) -> None:
    c = await seed.community(harness.db)
    await seed.grant(harness.db, 8801, "convener", c)
    convener = harness.person(8801)
    started = " ".join(await convener.say("/start"))
    assert texts.START_STRANGER not in started
    assert "/matrix" in started and "/newevent" in started and "/export" not in started
    helped = " ".join(await convener.say("/help"))
    assert "/matrix" in helped and "/dashboard" in helped
    assert "/skip" not in helped and "/withdraw" not in helped  # a member's, not theirs


async def test_a_researcher_and_an_admin_get_their_own_commands(harness: Harness) -> None:
    await seed.grant(harness.db, 8802, "researcher")
    helped = " ".join(await harness.person(8802).say("/help"))
    # What a researcher sees on the dashboard they may ask for in chat: the matrix.
    assert "/export" in helped and "/matrix" in helped and "/newevent" not in helped
    admin = " ".join(await harness.person(ADMIN).say("/start"))
    assert "/newcommunity" in admin and "/grant" in admin


async def test_a_convener_who_is_also_a_member_gets_both_helps(harness: Harness) -> None:
    c = await seed.community(harness.db)
    both = harness.person(8803)
    await seed.join(both, c)
    await seed.grant(harness.db, 8803, "convener", c)
    helped = " ".join(await both.say("/help"))
    assert "/skip" in helped and "/matrix" in helped


async def test_a_stranger_and_a_member_read_as_before(harness: Harness) -> None:
    stranger = " ".join(await harness.person(8804).say("/start"))
    assert texts.START_STRANGER in stranger
    helped = " ".join(await harness.person(8804).say("/help"))
    assert "/matrix" not in helped
