"""One member, whatever the channel: a member in Telegram gets their own page with /link, tells
one event's story in the chat and another's on the page, and is one pseudonym in the export
(channel telegram and web) and one contributor in the matrix."""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path

from flows import texts
from storage.models import utcnow
from tests import seed
from tests.harness import Harness
from valuestory.usecases import exports, matrix, web_answers

LINK = re.compile(r"http://127\.0\.0\.1:\d+/answer/([A-Za-z0-9_-]+)")


async def test_a_telegram_member_answers_on_their_page_too_and_stays_one_member(
        harness: Harness) -> None:
    db = harness.db
    c = await seed.community(db)
    first = await seed.event(db, c, "Winter Learning Session")
    second = await seed.event(db, c, "Spring Huddle")
    sam = await seed.join(harness.person(701), c)

    # The first event's story in the chat.
    await seed.open_prompt(db, sam, first)
    await seed.tell(sam, "Hearing how the other team triages at night.")

    # Their own page, shown once; a second /link stops the first.
    said = await sam.say("/link")
    assert len(said) == 1 and said[0].startswith(texts.WEB_YOUR_LINK.partition("{link}")[0])
    old = LINK.search(said[0])
    assert old is not None
    said = await sam.say("/link")
    new = LINK.search(said[0])
    assert new is not None and new.group(1) != old.group(1)
    assert isinstance(await web_answers.page(db, old.group(1)), web_answers.Refused)

    # The second event's story on the page.
    await seed.open_prompt(db, sam, second)
    token = new.group(1)
    page = await web_answers.page(db, token)
    assert isinstance(page, web_answers.Page)
    asking = page.screen
    assert asking is not None and hasattr(asking, "options")
    there = next(o for o in asking.options if o.label == seed.THERE)
    assert (await web_answers.send(db, token, str(asking.prompt_id), there.token, None)).problem == ""
    page = await web_answers.page(db, token)
    assert isinstance(page, web_answers.Page)
    asking = page.screen
    assert asking is not None and hasattr(asking, "controls") and asking.kind == "text"
    sent = await web_answers.send(db, token, str(asking.prompt_id), asking.controls[0].token,
                                  "A handover checklist we tried the next day.")
    assert sent.problem == ""

    # One pseudonym, both channels; one contributor, each answer counted once.
    path = Path(tempfile.mkdtemp()) / "export.csv"
    await exports.export(db, "test", exports.ExportFormat.CSV, path,
                         await exports.choose(db, c.name))
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2
    assert len({r["pseudonym"] for r in rows}) == 1
    assert {r["event"]: r["channel"] for r in rows} == {
        "Winter Learning Session": "telegram", "Spring Huddle": "web"}
    built = await matrix.for_community(db, c.name, "", utcnow())
    assert built.contributors == 1
    assert {col.cycle: col.narratives for col in built.columns}["immediate"] == 2


async def test_someone_who_is_not_a_member_is_told_how_to_join(harness: Harness) -> None:
    stranger = harness.person(702)
    assert await stranger.say("/link") == [texts.START_STRANGER]


async def test_a_member_chooses_where_they_are_asked_email_only_with_a_confirmed_address(
        harness: Harness) -> None:
    from sqlalchemy import select

    from storage.models import Member, MemberEmail

    db = harness.db
    c = await seed.community(db)
    sam = await seed.join(harness.person(703), c)
    assert await sam.say("/channel") == [texts.CHANNEL_ONLY_TELEGRAM]

    async with db.session() as session:
        member = (await session.scalars(select(Member).where(
            Member.telegram_user_id == 703))).one()
        session.add(MemberEmail(member_id=member.id, address="sam@example.net",
                                confirmed_at=utcnow()))
    assert await sam.say("/channel") == [texts.CHANNEL_CHOOSE]
    assert sam.last.buttons() == [texts.CHANNEL_TELEGRAM, texts.CHANNEL_EMAIL]
    assert await sam.tap(texts.CHANNEL_EMAIL) == [texts.CHANNEL_SET_EMAIL]
    async with db.session() as session:
        assert (await session.scalars(select(Member.channel).where(
            Member.telegram_user_id == 703))).one() == "email"
    await sam.say("/channel")
    assert await sam.tap(texts.CHANNEL_TELEGRAM) == [texts.CHANNEL_SET_TELEGRAM]
    async with db.session() as session:
        assert (await session.scalars(select(Member.channel).where(
            Member.telegram_user_id == 703))).one() == "telegram"


async def test_their_data_in_the_chat_shows_their_ids_and_address_and_on_the_page_neither(
        harness: Harness) -> None:
    """The owner sees their Telegram ids and address in the chat; their page, reached by a
    link, says only that each is kept, in their language."""
    from sqlalchemy import select

    from storage.models import Member, MemberEmail

    db = harness.db
    c = await seed.community(db)
    es = texts.In("es")
    ana = await seed.join(harness.person(704, language_code="es"), c, agree=es.BTN_AGREE)
    async with db.session() as session:
        member = (await session.scalars(select(Member).where(
            Member.telegram_user_id == 704))).one()
        session.add(MemberEmail(member_id=member.id, address="ana.r@example.net",
                                confirmed_at=utcnow()))

    await ana.say("/mydata")
    doc = ana.last.document
    assert doc is not None
    in_chat = doc[1].decode("utf-8")
    assert es.MYDATA_EMAIL.format(address="ana.r@example.net") in in_chat
    assert es.MYDATA_TELEGRAM_ID.format(id=704) in in_chat

    link = LINK.search((await ana.say("/link"))[0])
    assert link is not None
    found = await web_answers.my_data(db, link.group(1))
    assert not isinstance(found, web_answers.Refused)
    language, document = found
    assert language == "es" and document is not None
    assert es.MYDATA_TELEGRAM_KEPT in document and es.MYDATA_EMAIL_KEPT in document
    assert "ana.r@example.net" not in document and "704" not in document
