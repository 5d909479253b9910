"""The matrix tells the truth: one hand-counted community, told through the real bot, and every
number checked where a convener reads it: /matrix, `valuestory matrix --json`, the weekly digest
and the words on the picture. Each count means what the matrix glossary says."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from click.testing import CliRunner
from sqlalchemy import select

from bot.scheduling import TelegramSender
from flows import texts
from flows.questions import PromptKind
from storage.models import Community, Event, Member, Membership, Narrative, utcnow
from tests import matrix_words, seed
from tests.botapi import TOKEN
from tests.clock import tick
from tests.harness import Harness, Person
from valuestory.cli import main
from valuestory.usecases import digest, matrix
from valuestory.usecases.events import checkin

CONVENER = 990


async def pseudonym(h: Harness, person: Person, community: Community) -> str:
    async with h.db.session() as session:
        return (await session.scalar(
            select(Membership.pseudonym).join(Member)
            .where(Member.telegram_user_id == person.user_id,
                   Membership.community_id == community.id)))  # type: ignore[return-value]


async def follow_up(h: Harness, person: Person, event: Event) -> None:
    """Open the applied follow-up for a member, as the scheduler would weeks later."""
    await seed.open_prompt(h.db, person, event, PromptKind.FOLLOWUP_APPLIED)


async def scenario(h: Harness) -> dict[str, object]:
    """Two communities; in the first, one event that ended an hour ago and nine members."""
    a = await seed.community(h.db, "Diabetes in Pregnancy")
    b = await seed.community(h.db, "Frailty Network")
    now = utcnow()
    async with h.db.session() as session:
        ca = await session.get(Community, a.id)
        cb = await session.get(Community, b.id)
        assert ca is not None and cb is not None
        # No quiet hours in either: what the scheduler does must not depend on the time of day.
        for c in (ca, cb):
            c.prompt_delay_minutes, c.quiet_start, c.quiet_end = 0, "00:00", "00:00"
    e = await seed.event(h.db, ca, "Case review", now - dt.timedelta(hours=2),
                         now - dt.timedelta(minutes=50))
    f = await seed.event(h.db, cb, "Frailty huddle", now - dt.timedelta(hours=5),
                         now - dt.timedelta(hours=4))
    await seed.grant(h.db, CONVENER, "convener", ca)
    names = ("stu", "sam", "lou", "rev", "nia", "cid", "wes", "tam")
    people = {n: h.person(1000 + i, n.capitalize()) for i, n in enumerate(names)}
    for n, p in people.items():
        await seed.join(p, *((a, b) if n == "tam" else (a,)))

    # Stu presses Stop at the first question, having said nothing.
    stu = people["stu"]
    await seed.open_prompt(h.db, stu, e)
    await stu.say("/continue")
    await stu.tap(texts.BTN_STOP)

    # Sam was there and skips every question to the end.
    sam = people["sam"]
    await seed.open_prompt(h.db, sam, e)
    await sam.say("/continue")
    await sam.tap(seed.THERE)
    # Done with nothing chosen skips the choice.
    for button in (texts.BTN_SKIP, texts.BTN_SKIP, texts.BTN_DONE, texts.BTN_SKIP):
        await sam.tap(button)

    # Lou gives one answer, says Later, and never comes back.
    lou = people["lou"]
    await seed.open_prompt(h.db, lou, e)
    await lou.say("/continue")
    await lou.tap(seed.THERE)
    await lou.say("Lou: the case of the late scan.")
    await lou.tap(texts.BTN_LATER)

    # Rev revises the first answer twice, gives the second in three messages, finishes, and
    # answers the applied follow-up: one story of six narratives.
    rev = people["rev"]
    await seed.open_prompt(h.db, rev, e)
    await rev.say("/continue")
    await rev.tap(seed.THERE)
    await rev.say("Rev first thought.")
    await rev.tap(texts.BTN_NEXT)
    for better in ("Rev second thought.", "Rev: the timing of insulin matters."):
        await rev.tap(texts.BTN_BACK)
        await rev.say(better)
        await rev.tap(texts.BTN_NEXT)
    for part in ("Heard.", "Challenged.", "Energised."):
        await rev.say(part)
    await rev.tap(texts.BTN_NEXT)
    await rev.tap(seed.INSIGHT)
    await rev.tap(texts.BTN_DONE)
    await rev.say("Rev: reading CGM traces with patients.")
    await rev.tap(texts.BTN_NEXT)
    await rev.say("Rev: try the shared template.")
    await rev.tap(texts.BTN_NEXT)
    await follow_up(h, rev, e)
    await rev.say("/continue")
    await rev.say("Rev: I used the template in clinic.")
    await rev.tap(texts.BTN_NEXT)
    await rev.say("Rev: fewer missed appointments.")
    await rev.tap(texts.BTN_NEXT)

    # Nia missed it.
    nia = people["nia"]
    await seed.open_prompt(h.db, nia, e)
    await nia.say("/continue")
    await nia.tap(seed.MISSED)

    # Cid checked in at the event; the scheduler asks afterwards; Cid never answers.
    cid = people["cid"]
    async with h.db.session() as session:
        event = await session.get(Event, e.id)
        assert event is not None
        event.checkin_code = "matrixtruth1"
    await checkin.check_in(h.db, cid.user_id, cid.user_id, "ci_matrixtruth1",
                           now=e.starts_at + dt.timedelta(minutes=5))
    await tick(h, utcnow())
    assert seed.asked("attended", "Case review") in " ".join(cid.texts_since(0))

    # Wes tells a story and then withdraws: in no count.
    wes = people["wes"]
    await seed.open_prompt(h.db, wes, e)
    await seed.tell(wes, "Wes: a moment.", {seed.INSIGHT: "Wes: an insight."})
    await wes.say("/withdraw")
    await wes.tap(texts.BTN_WITHDRAW_YES)

    # Tam belongs to both communities and tells a little in each.
    tam = people["tam"]
    await seed.open_prompt(h.db, tam, e)
    await seed.tell(tam, "Tam: the diabetes moment.")
    await seed.open_prompt(h.db, tam, f)
    await seed.tell(tam, "Tam: the frailty moment.", {seed.INSIGHT: "Tam: the frailty insight."})

    async with h.db.session() as session:
        assert (await session.scalar(select(Narrative.version).where(
            Narrative.text == "Rev: the timing of insulin matters."))) == 3
    return {"a": a, "b": b, "e": e, "people": people}


async def built(h: Harness, community: Community) -> matrix.Matrix:
    async with h.db.session() as session:
        c = await session.get(Community, community.id)
        assert c is not None
        return await matrix.build_matrix(h.db, c)


async def test_every_count_is_the_hand_count_in_text_json_digest_and_picture(
    harness: Harness, database_url: str,
) -> None:
    s = await scenario(harness)
    a, b, e = s["a"], s["b"], s["e"]
    assert isinstance(a, Community) and isinstance(b, Community) and isinstance(e, Event)
    people = s["people"]
    assert isinstance(people, dict)
    lou, rev, tam = [await pseudonym(harness, people[n], a) for n in ("lou", "rev", "tam")]

    # Hand count for Diabetes in Pregnancy (Wes withdrew: in no count; Tam's frailty story is
    # the other community's):
    # asked 7: Stu, Sam, Lou, Rev, Nia, Cid, Tam each had the post-event questions delivered
    #          (Rev's follow-up continues his story; it is not another ask).
    # attended 5: Sam, Lou, Rev, Tam said yes; Cid checked in. Stu said nothing; Nia missed it.
    # answered 3: Lou, Rev, Tam gave at least one narrative. Sam skipped everything.
    # completed 2: Sam and Rev reached the end. Lou is mid-story, Stu and Tam stopped.
    # response rate 3 / 7 = 43%.
    # narratives 8: Lou 1 (immediate); Rev 6 (moment revised twice and experience in three
    #          messages count once each: immediate 2, potential 1, a plan, applied 1 done,
    #          realised 1); Tam 1 (immediate). By cycle: 4, 1, 1, 1, 0, and 1 plan apart.
    # stories 3 (Lou's, Rev's, Tam's), from 3 members; by cycle 3, 1, 1, 1, 0; plans 1.
    m = await built(harness, a)
    assert [(c.cycle, c.narratives, c.stories, c.members) for c in m.columns] == [
        ("immediate", 4, 3, 3), ("potential", 1, 1, 1), ("applied", 1, 1, 1),
        ("realised", 1, 1, 1), ("reframing", 0, 0, 0)]
    assert (m.intended.narratives, m.intended.stories, m.intended.members) == (1, 1, 1)
    assert m.plans == matrix.Plans(made=1, followed_up=1, done=1, difference=1)
    assert (m.total, m.stories_count, m.contributors, m.followup_stories) == (8, 3, 3, 1)
    p = m.participation
    assert (p.events, p.sent, p.attended, p.answered, p.completed, p.unreachable) == (
        1, 7, 5, 3, 2, 0)
    assert p.response_rate == 3 / 7
    assert [(r.title, r.cells, r.intended, r.participation) for r in m.events] == [
        ("Case review", (4, 1, 1, 1, 0), 1, matrix.Participation(1, 7, 5, 3, 2, 0))]
    # Three excerpts of immediate value, from three different members (Rev told two).
    assert sorted(x.pseudonym for x in m.columns[0].excerpts) == sorted([lou, rev, tam])
    # The newest story that reached applied value, traced answer by answer.
    assert m.traced is not None and m.traced.pseudonym == rev
    assert [(st.cycle, st.intended) for st in m.traced.steps] == [
        ("immediate", False), ("immediate", False), ("potential", False), ("applied", True),
        ("applied", False), ("realised", False)]
    # A period that covers it all reads the narratives and prompts, not the tallies: same numbers.
    async with harness.db.session() as session:
        c = await session.get(Community, a.id)
        assert c is not None
        since = await matrix.build_matrix(harness.db, c, matrix.parse_period(
            "30d", c.timezone, utcnow()))
    assert (since.columns, since.participation, since.events, since.stories_count,
            since.contributors, since.traced, since.intended, since.plans) == (
        m.columns, m.participation, m.events, m.stories_count, m.contributors, m.traced,
        m.intended, m.plans)

    # The other community: Tam alone, asked 1, attended 1, answered 1, completed 0 (stopped);
    # narratives 2 (immediate 1, potential 1) in 1 story.
    other = await built(harness, b)
    assert [c.narratives for c in other.columns] == [1, 1, 0, 0, 0]
    assert (other.total, other.stories_count, other.contributors) == (2, 1, 1)
    op = other.participation
    assert (op.events, op.sent, op.attended, op.answered, op.completed) == (1, 1, 1, 1, 0)

    # /matrix, as the convener reads it.
    convener = harness.person(CONVENER)
    replies = await convener.say("/matrix")
    text = replies[0]
    assert matrix_words.summary(8, 3, 3) in text
    assert matrix_words.column("immediate", 4, 3, 3) in text
    assert matrix_words.column("potential", 1, 1, 1) in text
    assert matrix_words.column("applied", 1, 1, 1) in text
    assert matrix_words.column("intended", 1, 1, 1) in text
    assert matrix_words.column("realised", 1, 1, 1) in text
    assert matrix_words.gap("reframing") in text
    assert matrix_words.stories(1) in text
    assert matrix_words.participation(1, 7, 5, 3, "43%", 2, 0) in text
    assert "Wes" not in text and "frailty" not in text

    # /events: the same response rate for the event.
    replies = await convener.say("/events")
    assert "Case review, 3 of 7 answered (43%)" in replies[0]

    # valuestory matrix --json: the same numbers, under the names the JSON has always had.
    runner = CliRunner()
    result = await asyncio.to_thread(
        runner.invoke, main, ["matrix", "--community", "Diabetes in Pregnancy", "--json"],
        env={"DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(c["cycle"], c["narratives"], c["stories"], c["members"]) for c in data["columns"]] == [
        ("immediate", 4, 3, 3), ("potential", 1, 1, 1), ("applied", 1, 1, 1),
        ("realised", 1, 1, 1), ("reframing", 0, 0, 0)]
    assert (data["stories_count"], data["contributors"]) == (3, 3)
    assert data["participation"] == {"events": 1, "sent": 7, "attended": 5, "answered": 3,
                                     "completed": 2, "unreachable": 0,
                                     "response_rate": 3 / 7}
    assert [(r["title"], r["cells"], r["intended"]) for r in data["events"]] == [
        ("Case review", [4, 1, 1, 1, 0], 1)]
    result = await asyncio.to_thread(
        runner.invoke, main, ["matrix", "--community", "Diabetes in Pregnancy"],
        env={"DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN})
    assert matrix_words.summary(8, 3, 3) in result.output
    assert "7 asked, 5 attended, 3 answered (43%), 2 completed" in result.output

    # The weekly digest says what was new this week, counted as the matrix counts, and carries
    # the same picture.
    mark = len(convener.inbox)
    sender = TelegramSender(harness.app.bot, rate=0, backoff=0)
    assert await digest.send_weekly(harness.db, sender, a.id, utcnow()) == 1
    sent = convener.inbox[mark:]
    assert texts.DIGEST_NEW.format(narratives="8 narratives", members="3 members") in (
        sent[0].text or "")
    assert sent[-1].photo is not None and sent[-1].photo.startswith(b"\x89PNG")

    # The words on the picture.
    words = [t.get_text() for ax in matrix.picture(m).axes for t in ax.texts]
    assert matrix_words.subtitle(texts.PERIOD_ALL_TIME, 8, 3, 3) in words
    assert "1 event · 7 asked · 5 attended · 3 answered (43%) · 2 completed" in words
    assert "Case review" in words
    grid = words[words.index("Case review") + 2:][:6]  # after the title and its date
    assert grid == ["4", "1", "1", "1", "1", "0"]  # plans in their own column, after potential
    totals = words[words.index(texts.MATRIX_PNG_TOTAL) + 1:][:12]
    assert totals == ["4", "3 members", "1", "1 member", "1", "1 member", "1", "1 member",
                      "1", "1 member", "0", "0 members"]
    assert sum(w.startswith("“") and w.endswith(f"({x})") for w in words for x in (lou, rev, tam)
               ) >= 2
    traced = texts.MATRIX_PNG_TRACED.partition("{event}")[0].format(pseudonym=rev)
    assert any(w.startswith(traced) for w in words)
