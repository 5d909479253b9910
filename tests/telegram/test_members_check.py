"""Members check the matrix: a convener shares the value indicators, each member who can be asked
gets them in their own language, says whether each rings true, and the counts follow.

Every test runs the scheduler on a clock it controls, against the real Application."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select, update

from flows import texts
from flows.i18n import Texts
from storage.models import Check, CheckAnswer, Community, Delivery, Member, Membership
from tests import seed
from tests.clock import tick
from tests.harness import Harness, Person
from tests.telegram.test_exports import read_csv, read_jsonl, read_xlsx
from valuestory.cli import main
from valuestory.usecases import checking, community_settings, exports, indicators
from valuestory.usecases.scheduler import allowed_time
from valuestory.usecases.times import utcnow

EN, ES = texts.In("en"), texts.In("es")
SAFE = "It's a safe space to ask questions"
CONFIDENT = "Members have more confidence in their practice"
ALEX_SAID = "I asked about insulin doses there for the first time."
ROSA_SAID = "Yo no pregunté nada: había demasiada gente."


async def _community(h: Harness, name: str = "Frailty Network", quiet: str = "off") -> Community:
    """A community with two indicators, one under immediate value and one under potential."""
    c = await seed.community(h.db, name)
    async with h.db.session() as s:
        found = await s.get(Community, c.id)
        assert found is not None
        community_settings.apply(found, community_settings.Change(quiet=quiet))
    await indicators.add(h.db, indicators.COMMAND_LINE, c.name, "potential", CONFIDENT,
                         capital="human")
    await indicators.add(h.db, indicators.COMMAND_LINE, c.name, "immediate", SAFE)
    return c


async def _checks(h: Harness, community: Community) -> dict[str, dict[str, int]]:
    """Each indicator's check, as `indicator list --json` prints it."""
    return {v.statement: v.to_dict()["check"] for v in await indicators.listing(h.db, community.name)}


def _statement(t: Texts, cycle: str, index: int, statement: str) -> str:
    return t.CHECK_STATEMENT.format(cycle=t.CYCLE_NAMES[cycle], index=index, total=2,
                                    statement=statement)


async def test_an_english_and_a_spanish_member_check_the_matrix_and_the_counts_follow(
    harness: Harness, database_url: str, tmp_path: Path,
) -> None:
    community = await _community(harness)
    carmen = harness.person(5101, "Carmen")
    await seed.grant(harness.db, carmen.user_id, "convener", community)
    alex = await seed.join(harness.person(5102, "Alex", language_code="en"), community)
    rosa = await seed.join(harness.person(5103, "Rosa", language_code="es"), community,
                           agree=ES.BTN_AGREE)

    # Only a convener may share; a member is refused kindly, in their language, and so is a
    # researcher, who may read the matrix but not ask its members anything.
    assert await rosa.say("/matrix share") == [ES.NOT_ALLOWED]
    rita = harness.person(5104, "Rita")
    await seed.grant(harness.db, rita.user_id, "researcher", community)
    assert await rita.say("/matrix share") == [EN.NOT_ALLOWED]
    assert await carmen.say("/matrix share") == [EN.CHECK_SHARED.format(
        members=EN.plural(2, "member"), statements=EN.plural(2, "statement"),
        days=EN.plural(7, "day"))]
    # A plan is not an action: nothing reaches a member before the scheduler sends it.
    marks = {p.user_id: len(p.inbox) for p in (alex, rosa)}
    assert all(p.texts_since(marks[p.user_id]) == [] for p in (alex, rosa))
    assert await carmen.say("/matrix share") == [EN.CHECK_UNDER_WAY.format(
        members=EN.plural(2, "member"))]

    report = await tick(harness, utcnow())
    assert report.checks_sent == 2 and report.sent == 0
    # The framing in each member's language, cycle by cycle; the statements as written.
    assert alex.texts_since(marks[alex.user_id]) == [
        EN.CHECK_INTRO.format(community="Frailty Network", statements=EN.plural(2, "statement")),
        _statement(EN, "immediate", 1, html.escape(SAFE))]
    assert alex.last.buttons() == [EN.BTN_RINGS_TRUE, EN.BTN_NOT_FOR_ME, EN.BTN_SKIP]
    assert rosa.texts_since(marks[rosa.user_id]) == [
        ES.CHECK_INTRO.format(community="\u2068Frailty Network\u2069",
                              statements=ES.plural(2, "statement")),
        _statement(ES, "immediate", 1, "\u2068" + html.escape(SAFE) + "\u2069")]
    assert rosa.last.buttons() == [ES.BTN_RINGS_TRUE, ES.BTN_NOT_FOR_ME, ES.BTN_SKIP]

    # Alex: rings true, with a sentence; then skips the second.
    assert await alex.tap(EN.BTN_RINGS_TRUE) == [EN.CHECK_NOTED_TRUE]
    assert await alex.say(ALEX_SAID) == [
        EN.CHECK_SENTENCE_KEPT, _statement(EN, "potential", 2, CONFIDENT)]
    assert await alex.tap(EN.BTN_SKIP) == [EN.CHECK_THANKS]
    # Rosa: not for her, with a sentence in Spanish; then the second rings true.
    assert await rosa.tap(ES.BTN_NOT_FOR_ME) == [ES.CHECK_NOTED_NOT]
    assert await rosa.say(ROSA_SAID) == [
        ES.CHECK_SENTENCE_KEPT, _statement(ES, "potential", 2, "\u2068" + CONFIDENT + "\u2069")]
    assert await rosa.tap(ES.BTN_RINGS_TRUE) == [ES.CHECK_NOTED_TRUE]
    assert await rosa.tap(ES.BTN_NEXT) == [ES.CHECK_THANKS]
    # Each answer was committed as it came; the sentences are kept with their statement.
    async with harness.db.session() as s:
        kept = (await s.scalars(select(CheckAnswer.sentence).where(
            CheckAnswer.sentence.is_not(None)).order_by(CheckAnswer.answered_at))).all()
    assert kept == [ALEX_SAID, ROSA_SAID]
    # After the check, what a member types is their own again: nothing waits for a sentence.
    assert await alex.say("hello") == [EN.NOTHING_OPEN]
    # What they said is theirs to see in /mydata, sentence and all.
    await alex.say("/mydata")
    assert alex.last.document is not None
    mine = alex.last.document[1].decode("utf-8")
    assert EN.MYDATA_CHECK_ANSWER.format(statement=SAFE, answer=EN.MYDATA_CHECK_ANSWERS["agreed"]) \
        in mine
    assert EN.MYDATA_CHECK_ANSWER.format(
        statement=CONFIDENT, answer=EN.MYDATA_CHECK_ANSWERS["skipped"]) in mine
    assert ALEX_SAID in mine

    expected = {SAFE: {"asked": 2, "agreed": 1, "disagreed": 1},
                CONFIDENT: {"asked": 2, "agreed": 1, "disagreed": 0}}
    assert await _checks(harness, community) == expected
    # The same counts on the command line, as a script reads them.
    listed = await asyncio.to_thread(
        CliRunner().invoke, main, ["indicator", "list", "--community", community.name, "--json"],
        env={"DATABASE_URL": database_url})
    assert listed.exit_code == 0, listed.output
    listed_json = json.loads(listed.output)["indicators"]
    assert {i["statement"]: i["check"] for i in listed_json} == expected
    # What they wrote is on the statement, under their pseudonyms, as members' words about it:
    # never its evidence, nor a narrative of the matrix.
    pseudonyms = {p.user_id: await _pseudonym(harness, p, community) for p in (alex, rosa)}
    comments = {i["statement"]: [(c["pseudonym"], c["said"], c["text"]) for c in i["comments"]]
                for i in listed_json}
    assert comments == {SAFE: [(pseudonyms[alex.user_id], "agreed", ALEX_SAID),
                               (pseudonyms[rosa.user_id], "disagreed", ROSA_SAID)],
                        CONFIDENT: []}
    assert {i["statement"]: (i["narratives"], i["stories"], i["members"])
            for i in listed_json} == {SAFE: (0, 0, 0), CONFIDENT: (0, 0, 0)}
    await _exports_mark_the_comments(harness, community, tmp_path, listed_json[0]["id"],
                                     pseudonyms[alex.user_id], pseudonyms[rosa.user_id])
    # Sent once: neither another run nor a restart sends it again.
    marks = {p.user_id: len(p.inbox) for p in (alex, rosa)}
    await harness.restart()
    report = await tick(harness, utcnow() + dt.timedelta(minutes=1))
    assert report.checks_sent == 0
    assert all(p.texts_since(marks[p.user_id]) == [] for p in (alex, rosa))
    # No participation figure counts a check: nobody was asked about an event.
    matrix = await _matrix(harness, community)
    assert matrix["participation"]["sent"] == 0
    # Nor does any count of the matrix hold what members wrote: it has no narrative at all.
    assert matrix["contributors"] == matrix["stories_count"] == 0
    assert all(c["narratives"] == 0 for c in matrix["columns"])


async def _pseudonym(h: Harness, person: Person, community: Community) -> str:
    async with h.db.session() as s:
        found = await s.scalar(select(Membership.pseudonym).join(
            Member, Member.id == Membership.member_id).where(
            Member.telegram_user_id == person.user_id, Membership.community_id == community.id))
    assert found is not None
    return found


async def _exports_mark_the_comments(h: Harness, community: Community, folder: Path,
                                     indicator_id: int, alex: str, rosa: str) -> None:
    """Every export but a REFI-QDA project holds the sentences after the narratives (there are
    none here), each marked as a members' check comment on its indicator, pseudonyms only."""
    for fmt, read in ((exports.ExportFormat.CSV, read_csv), (exports.ExportFormat.JSONL, read_jsonl),
                      (exports.ExportFormat.XLSX, read_xlsx)):
        path = folder / f"check{exports.SUFFIX[fmt]}"
        result = await exports.export(h.db, "test", fmt, path, exports.ExportFilter())
        assert result.rows == 0  # no narrative: the sentences are not counted as narratives
        rows = read(path)
        assert [(r["pseudonym"], r["prompt_kind"], r["question_id"], r["cycle"], r["answer"])
                for r in rows] == [
            (alex, "members_check", f"indicator:{indicator_id}", "immediate", ALEX_SAID),
            (rosa, "members_check", f"indicator:{indicator_id}", "immediate", ROSA_SAID)]
        assert [r["question"] for r in rows] == [
            f"Members' check comment on indicator {indicator_id} ({said}): {SAFE}"
            for said in ("rings true", "not for me")]
        assert not any(str(r["narrative_id"] or "") for r in rows)
        # A filter on another cycle leaves them out, as it would a narrative.
        path.unlink()
        await exports.export(h.db, "test", fmt, path, exports.ExportFilter(cycle="potential"))
        assert read(path) == []


async def _matrix(h: Harness, community: Community) -> dict[str, object]:
    from valuestory.usecases import matrix

    built = await matrix.for_community(h.db, community.name, "", utcnow())
    return built.to_dict()


async def test_paused_and_withdrawn_members_are_left_alone_and_their_answers_erased(
    harness: Harness,
) -> None:
    community = await _community(harness)
    early, late, gone = [await seed.join(harness.person(i), community)
                         for i in (5201, 5202, 5203)]
    await early.say("/pause")  # before the share: not asked at all
    now = utcnow()
    shared = await checking.share_from_command_line(harness.db, community.name, "test", now)
    assert shared.members == 2
    marks = {p.user_id: len(p.inbox) for p in (early, late, gone)}
    await late.say("/pause")  # after the share, before it is sent: it is never sent
    report = await tick(harness, now)
    assert report.checks_sent == 1 and report.cancelled == 1
    assert early.texts_since(marks[early.user_id]) == []
    assert [t for t in late.texts_since(marks[late.user_id])
            if t.startswith(EN.CHECK_INTRO[:20])] == []
    await gone.tap(EN.BTN_RINGS_TRUE)
    await gone.say("Gone's own words.")
    await gone.tap(EN.BTN_NOT_FOR_ME)
    assert [[c.text for c in v.comments] for v in await indicators.listing(
        harness.db, community.name)] == [["Gone's own words."], []]
    assert await _checks(harness, community) == {
        SAFE: {"asked": 1, "agreed": 1, "disagreed": 0},
        CONFIDENT: {"asked": 1, "agreed": 0, "disagreed": 1},
    }
    await gone.say("/withdraw")
    await gone.tap(EN.BTN_WITHDRAW_YES)
    assert await _checks(harness, community) == {
        SAFE: {"asked": 0, "agreed": 0, "disagreed": 0},
        CONFIDENT: {"asked": 0, "agreed": 0, "disagreed": 0},
    }
    # What they wrote went with them.
    assert [v.comments for v in await indicators.listing(harness.db, community.name)] == [(), ()]
    async with harness.db.session() as s:
        left = (await s.scalars(select(Check.status))).all()
    assert left == ["cancelled"]  # the member paused after the share; the withdrawn one's went


async def test_a_check_shared_in_quiet_hours_waits_for_the_morning_and_closes_after_its_window(
    harness: Harness,
) -> None:
    community = await _community(harness, quiet="20:00-08:00")
    ann = await seed.join(harness.person(5301), community)
    evening = utcnow().replace(hour=21, minute=30, second=0, microsecond=0)  # London in winter
    await checking.share_from_command_line(harness.db, community.name, "test", evening)
    morning = allowed_time(evening, "Europe/London", "20:00", "08:00")
    mark = len(ann.inbox)
    assert (await tick(harness, evening)).checks_sent == 0
    assert (await tick(harness, morning - dt.timedelta(minutes=1))).checks_sent == 0
    assert ann.texts_since(mark) == []
    assert (await tick(harness, morning)).checks_sent == 1
    await ann.tap(EN.BTN_RINGS_TRUE)
    report = await tick(harness, morning + dt.timedelta(days=7))
    assert report.checks_closed == 1
    assert await ann.tap(EN.BTN_NEXT) == [EN.CHECK_CLOSED]
    assert await _checks(harness, community) == {
        SAFE: {"asked": 1, "agreed": 1, "disagreed": 0},
        CONFIDENT: {"asked": 1, "agreed": 0, "disagreed": 0},
    }


async def test_a_claim_a_stopped_process_never_sent_is_sent_once_and_one_on_the_wire_never_again(
    harness: Harness,
) -> None:
    community = await _community(harness)
    ann, ben = [await seed.join(harness.person(i), community) for i in (5401, 5402)]
    now = utcnow()
    await checking.share_from_command_line(harness.db, community.name, "test", now)
    # As a stopped process left them, written straight to the database (no use case stops
    # mid-send): Ann's check claimed but never put on the wire, Ben's on the wire, unanswered.
    async with harness.db.session() as s:
        checks = {c.member_id: c for c in (await s.scalars(select(Check))).all()}
        for person, status in ((ann, "claimed"), (ben, "sending")):
            member = await _member_id(s, person)
            c = checks[member]
            await s.execute(update(Check).where(Check.id == c.id)
                            .values(status="open", opened_at=now))
            s.add(Delivery(check_id=c.id, purpose="check", status=status,
                           claimed_by="stopped-host:1:abc", claimed_at=now))
    marks = {p.user_id: len(p.inbox) for p in (ann, ben)}
    report = await tick(harness, now + dt.timedelta(minutes=5))
    assert report.released == 1 and report.uncertain == 1 and report.checks_sent == 1
    assert len([t for t in ann.texts_since(marks[ann.user_id]) if "Frailty Network" in t]) == 1
    assert ben.texts_since(marks[ben.user_id]) == []
    assert (await tick(harness, now + dt.timedelta(minutes=6))).checks_sent == 0
    # In doubt and unanswered, Ben is not counted as asked; Ann is.
    assert (await _checks(harness, community))[SAFE]["asked"] == 1


async def _member_id(s: object, person: Person) -> int:
    from storage import repositories as repo

    member = await repo.member_by_telegram_id(s, person.user_id)  # type: ignore[arg-type]
    assert member is not None
    return member.id
