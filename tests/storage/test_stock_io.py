"""VALUESTORY_STOCK_IO: the statements our own code says to the database driver itself (a
member's page, an answer sent on it) go through SQLAlchemy's stock `execute` instead, and what
is stored, and what the member sees, is the same either way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from flows import texts
from storage.db import Database
from storage.models import Choice, Narrative, NarrativeRevision, Prompt
from tests import seed
from valuestory.usecases import web_answers
from valuestory.usecases.conversation.page import Asking, Told
from valuestory.usecases.events import planning

REVISED = "Hearing how they triage, and trying it."
SENTENCES = ["Hearing how the other team triages at night.", "A handover checklist.",
             "We tried it on our ward the next week.", "Fewer calls at 3am."]


async def _tell_on_the_page(db: Database, community: str) -> tuple[Told, list[str]]:
    """A member invited by link agrees and tells a whole story on their page, going back to
    their first answer to write it again; the recap they see, and the statements SQLAlchemy's
    cursor ran while they told it."""
    c = await seed.community(db, community)
    e = await seed.event(db, c)
    made = await web_answers.make(db, c.name, None, "https://stories.example.org")
    token = made.url.rsplit("/", 1)[1]
    joining = await web_answers.page(db, token)
    assert isinstance(joining, web_answers.Page) and joining.joining is not None
    j = joining.joining
    await web_answers.agree(db, token, str(j.community_id), j.version, j.language)
    await planning.open_by_hand(db, e.id, None, "post_event", quietly=True)

    seen: list[str] = []

    def cursor_ran(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    # Every engine's cursor, the pages' reads on their own connections too.
    event.listen(Engine, "before_cursor_execute", cursor_ran)
    try:
        sentences, went_back, revised = list(SENTENCES), False, False
        for _ in range(30):
            page = await web_answers.page(db, token)
            assert isinstance(page, web_answers.Page)
            if isinstance(page.screen, Told):
                return page.screen, seen
            asking = page.screen
            assert isinstance(asking, Asking)
            text = None
            if asking.kind == "text" and asking.answer and not revised:
                # Back on their first answer: what they write now replaces it.
                do, text, revised = asking.controls[0].token, REVISED, True
            elif asking.kind == "text" and len(sentences) < len(SENTENCES) and not went_back:
                do, went_back = next(b.token for b in asking.controls
                                     if b.label == texts.BTN_BACK), True
            elif asking.kind == "text":
                do, text = asking.controls[0].token, sentences.pop(0)
            elif asking.options and not any(o.picked for o in asking.options):
                do = asking.options[0].token
            else:
                do = next(b.token for b in asking.controls if b.label == texts.BTN_DONE)
            sent = await web_answers.send(db, token, str(asking.prompt_id), do, text)
            assert sent.problem == ""
    finally:
        event.remove(Engine, "before_cursor_execute", cursor_ran)
    raise AssertionError("the story never finished")


async def _stored(db: Database, community: str) -> dict[str, Any]:
    async with db.session() as session:
        prompt = (await session.scalars(select(Prompt).join(Prompt.community).where(
            Prompt.community.has(name=community)))).one()
        narratives = (await session.scalars(select(Narrative).where(
            Narrative.prompt_id == prompt.id).order_by(Narrative.question_id))).all()
        revisions = (await session.scalars(select(NarrativeRevision).where(
            NarrativeRevision.narrative_id.in_([n.id for n in narratives])))).all()
        choices = (await session.scalars(select(Choice).where(
            Choice.prompt_id == prompt.id).order_by(Choice.question_id))).all()
        return {
            "prompt": (prompt.status, prompt.question_id, prompt.fresh, prompt.held,
                       prompt.attended, prompt.finished_at is not None),
            "narratives": [(n.question_id, n.question_text, n.language, n.cycle, n.capital,
                            n.intended, n.text, n.spoken, n.channel, n.version,
                            n.revised_at is not None) for n in narratives],
            "revisions": sorted((r.version, r.text) for r in revisions),
            "choices": [(ch.question_id, ch.values) for ch in choices],
        }


async def test_a_story_told_on_the_page_is_stored_the_same_through_sqlalchemys_stock_path(
        database_url: str) -> None:
    told: dict[bool, Told] = {}
    stored: dict[bool, dict[str, Any]] = {}
    for stock in (False, True):
        db = Database(database_url, stock_io=stock)
        community = "Stock Network" if stock else "Tuned Network"
        try:
            told[stock], seen = await _tell_on_the_page(db, community)
            stored[stock] = await _stored(db, community)
        finally:
            await db.dispose()
        # The page's own statements (its link and question, read in one) went through
        # SQLAlchemy's cursor with the stock path on, and only then.
        assert any("FROM member_links" in s for s in seen) is stock

    assert told[True] == told[False]
    assert told[True].recap and texts.THANKS in told[True].recap
    assert stored[True] == stored[False]
    kept = stored[True]
    assert sorted(n[6] for n in kept["narratives"]) == sorted([REVISED, *SENTENCES[1:]])
    assert kept["revisions"] == [(1, SENTENCES[0])]
    assert {n[8] for n in kept["narratives"]} == {"web"}
