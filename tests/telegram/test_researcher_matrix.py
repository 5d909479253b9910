"""What a role may see is the same in chat and on the web: a researcher reads the matrix of the
communities they study with /matrix, as on the dashboard, and nothing a convener does."""

from __future__ import annotations

from flows import texts
from tests import seed
from tests.harness import Harness


async def test_a_researcher_reads_the_matrix_in_chat_and_may_not_run_a_conveners_commands(
        harness: Harness) -> None:
    studied = await seed.community(harness.db, "Studied Network")
    await seed.community(harness.db, "Not Theirs")
    await seed.grant(harness.db, 8810, "researcher", studied)
    researcher = harness.person(8810)

    said = await researcher.say("/matrix")
    assert said and said[0].startswith("<b>Studied Network")
    assert researcher.last.photo is not None  # the picture follows the text
    assert await researcher.say("/newevent") == [texts.NOT_ALLOWED]
    assert await researcher.say("/members") == [texts.NOT_ALLOWED]

    # A researcher of every community picks one, as a convener of several does.
    await seed.grant(harness.db, 8811, "researcher")
    everyone = harness.person(8811)
    assert await everyone.say("/matrix") == [texts.PICK_COMMUNITY]
    await everyone.tap("Not Theirs")
    assert everyone.last.photo is not None

    stranger = harness.person(8812)
    assert await stranger.say("/matrix") == [texts.NOT_ALLOWED]
