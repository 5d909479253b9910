"""Plans are not actions: one hand-counted community whose members say what they might do, are
followed up weeks later, and report what they did (or not), told through the real bot. Every
number is checked where a convener reads it: /matrix, `valuestory matrix --json`, the picture's
words, and the same numbers for a period; applied value never counts, nor quotes, a plan. Its
value indicators, and the members' check of them, are counted by hand too and read the same in
/matrix, the JSON, the picture, the dashboard's matrix page (from the real server) and the
report (the PDF's text and the DOCX's table)."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import httpx
import lxml.html
import pytest
from click.testing import CliRunner

from bot.scheduling import TelegramSender
from flows import texts
from flows.questions import PromptKind
from storage.models import Community, Event, utcnow
from tests import matrix_words, seed
from tests.botapi import TOKEN
from tests.browser.conftest import DashboardServer
from tests.clock import tick
from tests.harness import Harness, Person
from tests.telegram.test_exports import QDA, read_csv, read_jsonl, read_qdpx, read_xlsx
from valuestory.cli import main
from valuestory.usecases import digest, exports, indicators, matrix

CONVENER = 880
INSIGHT = "A new insight or skill"
# Each member's plan, in their own words: none of them may ever show under applied value.
PLANS = {"ana": "Ana plans: try the shared template.",
         "ben": "Ben plans: call the dietitian.",
         "cal": "Cal plans: write to the trust.",
         "dee": "Dee plans: start a reading group.",
         "wes": "Wes plans: share the slides."}
DONE = {"ana": "Ana did: used the template in clinic.",
        "ben": "Ben did: called the dietitian twice.",
        "wes": "Wes did: shared the slides."}
DIFFERENCE = {"ana": "Ana: fewer missed appointments.", "wes": "Wes: the team changed rota."}


async def follow_up(h: Harness, person: Person, event: Event) -> None:
    """Open the applied follow-up for a member, as the scheduler would weeks later."""
    await seed.open_prompt(h.db, person, event, PromptKind.FOLLOWUP_APPLIED)


async def scenario(h: Harness, *, withdraw: bool = True
                   ) -> tuple[Community, Event, dict[str, Person]]:
    """Six members of one community tell their story about one event; five make a plan (Wes
    withdraws at the end, unless `withdraw` is False)."""
    c = await seed.community(h.db, "Plans Apart")
    now = utcnow()
    async with h.db.session() as session:
        found = await session.get(Community, c.id)
        assert found is not None
        found.prompt_delay_minutes, found.quiet_start, found.quiet_end = 0, "00:00", "00:00"
    e = await seed.event(h.db, found, "Clinic huddle", now - dt.timedelta(hours=3),
                         now - dt.timedelta(hours=2))
    await seed.grant(h.db, CONVENER, "convener", found)
    names = ("ana", "ben", "cal", "dee", "eve", "wes")
    people = {n: h.person(2000 + i, n.capitalize()) for i, n in enumerate(names)}
    for n, person in people.items():
        await seed.join(person, c)
        await seed.open_prompt(h.db, person, e)
        if n == "eve":  # Eve tells what happened and what she learnt, and skips the plan
            await seed.tell(person, "Eve: the moment.", {INSIGHT: "Eve: the insight."}, stop=False)
        else:
            await seed.tell(person, f"{n.capitalize()}: the moment.",
                            {INSIGHT: f"{n.capitalize()}: the insight."}, PLANS[n])

    # Weeks later: Ana did it and it made a difference; Ben did it and skips the difference;
    # Cal is asked and stops at once; Dee is not asked yet. Wes did it, then withdraws.
    for n in ("ana", "ben", "cal", "wes"):
        person = people[n]
        await follow_up(h, person, e)
        await person.say("/continue")
        if n == "cal":
            await person.tap(texts.BTN_STOP)
            continue
        await person.say(DONE[n])
        await person.tap(texts.BTN_NEXT)
        if n in DIFFERENCE:
            await person.say(DIFFERENCE[n])
            await person.tap(texts.BTN_NEXT)
        else:
            await person.tap(texts.BTN_SKIP)
    if withdraw:
        await withdraw_member(people["wes"])
    return c, e, people


async def withdraw_member(person: Person) -> None:
    await person.say("/withdraw")
    await person.tap(texts.BTN_WITHDRAW_YES)


# The hand count (Wes withdrew: in no count; Eve made no plan):
# narratives 17: the moment (immediate) and the insight (potential) from Ana, Ben, Cal, Dee, Eve:
#   5 and 5; plans from Ana, Ben, Cal, Dee: 4; done (applied) from Ana and Ben: 2; the difference
#   (realised) from Ana: 1. Reframing: 0.
# stories 5 (one per member), from 5 members; by cycle 5, 5, 2, 1, 0; plans in 4 stories.
# plans pipeline: made 4 (Ana, Ben, Cal, Dee); followed up 3 (Ana, Ben, Cal: each was asked
#   the applied follow-up); reported done 2 (Ana, Ben); made a difference 1 (Ana).
# participation: 1 event, 5 asked, 5 attended, 5 answered (100%), 5 completed.
COLUMNS = [("immediate", 5, 5, 5), ("potential", 5, 5, 5), ("applied", 2, 2, 2),
           ("realised", 1, 1, 1), ("reframing", 0, 0, 0)]
PIPELINE = matrix.Plans(made=4, followed_up=3, done=2, difference=1)


def _section(text: str, heading: str) -> str:
    """The lines of /matrix under one heading, up to the next blank line."""
    start = text.index(heading)
    end = text.find("\n\n", start)
    return text[start:end if end >= 0 else None]


async def test_plans_are_counted_apart_from_actions_and_followed_to_what_was_done(
    harness: Harness, database_url: str,
) -> None:
    c, _, _ = await scenario(harness)
    async with harness.db.session() as session:
        found = await session.get(Community, c.id)
        assert found is not None
        m = await matrix.build_matrix(harness.db, found)
        period = await matrix.build_matrix(harness.db, found, matrix.parse_period(
            "30d", found.timezone, utcnow()))

    assert [(col.cycle, col.narratives, col.stories, col.members) for col in m.columns] == COLUMNS
    assert (m.intended.cycle, m.intended.narratives, m.intended.stories,
            m.intended.members) == ("intended", 4, 4, 4)
    assert m.plans == PIPELINE
    assert (m.total, m.stories_count, m.contributors, m.followup_stories) == (17, 5, 5, 1)
    assert [(r.cells, r.intended) for r in m.events] == [((5, 5, 2, 1, 0), 4)]
    p = m.participation
    assert (p.events, p.sent, p.attended, p.answered, p.completed) == (1, 5, 5, 5, 5)
    applied = m.columns[2]
    assert sorted(x.text for x in applied.excerpts) == sorted([DONE["ana"], DONE["ben"]])
    assert {x.text for x in m.intended.excerpts} <= set(PLANS.values())
    # A period that covers it all reads the narratives, not the tallies: the same numbers.
    assert (period.columns, period.intended, period.plans, period.events) == (
        m.columns, m.intended, m.plans, m.events)

    # /matrix, as the convener reads it.
    convener = harness.person(CONVENER)
    text = (await convener.say("/matrix"))[0]
    assert matrix_words.summary(17, 5, 5) in text
    assert matrix_words.column("applied", 2, 2, 2) in text
    assert matrix_words.column("intended", 4, 4, 4) in text
    assert matrix_words.pipeline(4, 3, 2, 1) in text
    under_applied = _section(text, matrix_words.heading("applied"))
    assert DONE["ana"] in under_applied and DONE["ben"] in under_applied
    assert not any(plan in under_applied for plan in PLANS.values())
    assert "Wes" not in text
    # Ana's story, the one that reached realised value, with her plan in its place.
    assert "Clinic huddle: immediate → potential → planned → applied → realised" in text

    # valuestory matrix --json: the five cycles as before, plans beside them.
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["matrix", "--community", "Plans Apart", "--json"],
        env={"DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(col["cycle"], col["narratives"], col["stories"], col["members"])
            for col in data["columns"]] == COLUMNS
    assert (data["intended"]["narratives"], data["intended"]["stories"],
            data["intended"]["members"]) == (4, 4, 4)
    assert data["plans"] == {"made": 4, "followed_up": 3, "done": 2, "difference": 1}
    assert [(r["cells"], r["intended"]) for r in data["events"]] == [([5, 5, 2, 1, 0], 4)]
    assert not any(x["text"] in PLANS.values() for x in data["columns"][2]["excerpts"])

    # The words on the picture: plans have their own column, between potential and applied.
    words = [t.get_text() for ax in matrix.picture(m).axes for t in ax.texts]
    headings = words[words.index(texts.MATRIX_PNG_EVENTS_HEADING) + 1:][:6]
    assert headings == [texts.MATRIX_PNG_PLANS if stage == "intended"
                        else texts.CYCLE_SHORT[stage].capitalize()
                        for stage in ("immediate", "potential", "intended", "applied", "realised",
                                      "reframing")]
    grid = words[words.index("Clinic huddle") + 2:][:6]  # after the title and its date
    assert grid == ["5", "5", "4", "2", "1", "0"]
    totals = words[words.index(texts.MATRIX_PNG_TOTAL) + 1:][:12]
    assert totals == ["5", "5 members", "5", "5 members", "4", "4 members", "2", "2 members",
                      "1", "1 member", "0", "0 members"]
    assert texts.MATRIX_PNG_PIPELINE.format(made=4, followed=3, done=2, difference=1) in words
    quotes = words[words.index(texts.CYCLE_NAMES["applied"]) + 1:words.index(texts.CYCLE_NAMES["realised"])]
    assert quotes and not any(plan in q for q in quotes for plan in PLANS.values())
    plans_quoted = words[words.index(texts.MATRIX_PLANS) + 1:words.index(texts.CYCLE_NAMES["applied"])]
    assert plans_quoted and all(any(plan in q for plan in PLANS.values()) for q in plans_quoted)
    # In Spanish, the same numbers in the convener's language.
    spanish = [t.get_text() for ax in matrix.picture(m, "es").axes for t in ax.texts]
    assert texts.In("es").MATRIX_PNG_PIPELINE.format(
        made=4, followed=3, done=2, difference=1) in spanish
    assert "Planes" in spanish

    # The weekly digest says what was new this week: applied value is what was done, plans apart.
    mark = len(convener.inbox)
    sender = TelegramSender(harness.app.bot, rate=0, backoff=0)
    assert await digest.send_weekly(harness.db, sender, c.id, utcnow()) == 1
    sent = convener.inbox[mark].text or ""
    assert texts.DIGEST_NEW_STAGE.format(stage=texts.CYCLE_NAMES["applied"], count=2) in sent
    assert texts.DIGEST_NEW_STAGE.format(stage=texts.MATRIX_PLANS, count=4) in sent


async def test_exports_say_which_applied_answers_are_plans_and_which_were_done(
    harness: Harness, tmp_path: Path,
) -> None:
    await scenario(harness)

    async def export(fmt: exports.ExportFormat) -> Path:
        path = tmp_path / f"plans{exports.SUFFIX[fmt]}"
        await exports.export(harness.db, "test", fmt, path, exports.ExportFilter())
        return path

    # The hand count: 17 narratives; 4 plans (Ana, Ben, Cal, Dee), 2 done (Ana, Ben), 11 others.
    for rows, nothing in ((read_csv(await export(exports.ExportFormat.CSV)), ""),
                          (read_jsonl(await export(exports.ExportFormat.JSONL)), None),
                          (read_xlsx(await export(exports.ExportFormat.XLSX)), "")):
        assert len(rows) == 17
        plans = sorted(r["answer"] for r in rows if r["applied"] == "intended")
        done = sorted(r["answer"] for r in rows if r["applied"] == "done")
        assert plans == sorted(PLANS[n] for n in ("ana", "ben", "cal", "dee"))
        assert done == sorted([DONE["ana"], DONE["ben"]])
        assert {r["cycle"] for r in rows if r["applied"] == nothing} == {
            "immediate", "potential", "realised"}
        assert {r["cycle"] for r in rows if r["applied"] == "intended"} == {"applied"}

    project, sources = read_qdpx(await export(exports.ExportFormat.QDPX))
    names = {c.get("guid"): c.get("name") for c in project.iter(f"{QDA}Code")}
    coded: dict[str, list[str]] = {}
    for source in project.findall(f"{QDA}Sources/{QDA}TextSource"):
        selection = source.find(f"{QDA}PlainTextSelection")
        assert isinstance(selection, ElementTree.Element)
        for ref in selection.iter(f"{QDA}CodeRef"):
            coded.setdefault(names[ref.get("targetGUID")], []).append(sources[source.get("guid")])
    assert sorted(coded["plans (intended, not yet done)"]) == sorted(
        PLANS[n] for n in ("ana", "ben", "cal", "dee"))
    assert sorted(coded["applied value"]) == sorted([DONE["ana"], DONE["ben"]])


async def test_a_members_own_data_names_their_plan_as_a_plan(harness: Harness) -> None:
    _, _, people = await scenario(harness)
    ana = people["ana"]
    await ana.say("/mydata")
    assert ana.last.document is not None
    text = ana.last.document[1].decode("utf-8")
    assert "Question (planned): Looking ahead: what might you do with this" in text
    assert "Question (applied): After Clinic huddle you said" in text
    assert "Question (applied): Looking ahead" not in text


# Two indicators on the same community, backed by narratives counted by hand:
# "It's a safe space" (immediate): the moments of Ana, Ben and Wes: 3 narratives in 3 stories
#   from 3 members; after Wes withdraws, 2, 2, 2.
# "Members have new ideas to try" (potential): Ana's insight, Ana's plan and Cal's insight:
#   3 narratives in 2 stories from 2 members, before and after.
SAFE = "It's a safe space"
IDEAS = "Members have new ideas to try"


async def _matrix_json(database_url: str) -> dict[str, object]:
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["matrix", "--community", "Plans Apart", "--json"],
        env={"DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    found: dict[str, object] = json.loads(result.output)
    return found


async def test_the_matrix_leads_with_its_indicators_counted_from_their_evidence(
    harness: Harness, database_url: str,
) -> None:
    c, _, people = await scenario(harness, withdraw=False)
    async with harness.db.session() as session:
        said = {n.text: n.narrative_id for n in await matrix.narratives(harness.db, c.id)}
    safe = await indicators.add(harness.db, indicators.COMMAND_LINE, c.id, "immediate", SAFE,
                                evidence=[said["Ana: the moment."], said["Ben: the moment."],
                                          said["Wes: the moment."]])
    ideas = await indicators.add(harness.db, indicators.COMMAND_LINE, c.id, "potential", IDEAS,
                                 evidence=[said["Ana: the insight."], said[PLANS["ana"]],
                                           said["Cal: the insight."]])
    nothing = {"asked": 0, "agreed": 0, "disagreed": 0}

    convener = harness.person(CONVENER)
    for safe_counts in ((3, 3, 3), (2, 2, 2)):
        members, stories = safe_counts[2], safe_counts[1]
        # /matrix leads with them, cycle by cycle, before the counts.
        text = (await convener.say("/matrix"))[0]
        safe_line = texts.MATRIX_INDICATOR.format(
            statement="It&#x27;s a safe space", members=texts.plural(members, "member"),
            stories=texts.plural(stories, "story"))
        ideas_line = texts.MATRIX_INDICATOR.format(
            statement=IDEAS, members="2 members", stories="2 stories")
        assert safe_line in text and ideas_line in text
        assert (text.index(texts.MATRIX_INDICATORS) < text.index(safe_line)
                < text.index(texts.MATRIX_INDICATOR_CYCLE.format(
                    cycle=texts.CYCLE_NAMES["potential"]))
                < text.index(ideas_line) < text.index(matrix_words.heading("immediate") + ":"))
        assert "Members' check" not in text  # nobody was asked yet

        # The picture: each statement in its cycle's column, with what backs it.
        async with harness.db.session() as session:
            found = await session.get(Community, c.id)
            assert found is not None
            m = await matrix.build_matrix(harness.db, found)
        # A statement wraps to its column: its lines read as one.
        words = [t.get_text().replace("\n", " ") for ax in matrix.picture(m).axes
                 for t in ax.texts]
        shown_at = words.index(texts.MATRIX_PNG_INDICATORS)
        assert words[shown_at + 1:shown_at + 4] == [
            "Immediate", SAFE, texts.MATRIX_PNG_INDICATOR.format(
                members=texts.plural(members, "member"), stories=texts.plural(stories, "story"))]
        assert words[words.index(IDEAS, shown_at) + 1] == "2 members · 2 stories"
        assert words.index(IDEAS) < words.index(texts.MATRIX_PNG_EVENTS_HEADING)

        data = await _matrix_json(database_url)
        shown = data["indicators"]
        assert isinstance(shown, dict)
        assert list(shown) == ["immediate", "potential", "applied", "realised", "reframing"]
        assert shown["immediate"] == [{
            "id": safe.id, "statement": SAFE, "capital": None,
            **dict(zip(("narratives", "stories", "members"), safe_counts, strict=True)),
            "check": nothing}]
        assert shown["potential"] == [{
            "id": ideas.id, "statement": IDEAS, "capital": None, "narratives": 3, "stories": 2,
            "members": 2, "check": nothing}]
        assert shown["applied"] == shown["realised"] == shown["reframing"] == []
        if safe_counts == (3, 3, 3):
            await withdraw_member(people["wes"])


# One hand count, read everywhere a convener or a board reads it. After Wes withdrew, three
# indicators backed by narratives of the scenario:
# SAFE (immediate): the moments of Ana, Ben and Cal: 3 narratives, 3 stories, 3 members.
# IDEAS (potential): Ana's insight, Ana's plan and Cal's insight: 3 narratives in 2 stories from
#   2 members (a plan may back potential value: it is an idea taken away, not value applied).
# USED (applied): what Ana and Ben did: 2, 2, 2; a plan may not back it.
# The members' check, shared with the five members who can be asked (Wes is gone), each sent it:
#   Ana: rings true, rings true, rings true; Ben: not for me, skip, rings true;
#   Cal: rings true, not for me, skip; Dee and Eve do not answer.
#   SAFE: 5 asked, 2 agreed, 1 disagreed; IDEAS: 5, 1, 1; USED: 5, 2, 0.
USED = "Members used what they learnt in clinic"
HAND_COUNT = {SAFE: ("immediate", (3, 3, 3), (5, 2, 1)),
              IDEAS: ("potential", (3, 2, 2), (5, 1, 1)),
              USED: ("applied", (2, 2, 2), (5, 2, 0))}
ANSWERS = {"ana": (texts.BTN_RINGS_TRUE, texts.BTN_RINGS_TRUE, texts.BTN_RINGS_TRUE),
           "ben": (texts.BTN_NOT_FOR_ME, texts.BTN_SKIP, texts.BTN_RINGS_TRUE),
           "cal": (texts.BTN_RINGS_TRUE, texts.BTN_NOT_FOR_ME, texts.BTN_SKIP)}


async def _checked_scenario(h: Harness) -> tuple[Community, dict[str, Person]]:
    """The scenario with the three indicators above, checked by its members as above."""
    c, _, people = await scenario(h)
    said = {n.text: n.narrative_id for n in await matrix.narratives(h.db, c.id)}
    await indicators.add(h.db, indicators.COMMAND_LINE, c.id, "immediate", SAFE, evidence=[
        said[f"{n}: the moment."] for n in ("Ana", "Ben", "Cal")])
    await indicators.add(h.db, indicators.COMMAND_LINE, c.id, "potential", IDEAS, evidence=[
        said["Ana: the insight."], said[PLANS["ana"]], said["Cal: the insight."]])
    used = await indicators.add(h.db, indicators.COMMAND_LINE, c.id, "applied", USED,
                                evidence=[said[DONE["ana"]], said[DONE["ben"]]])
    # A plan is not applied value: it cannot back an applied indicator.
    with pytest.raises(indicators.IndicatorError):
        await indicators.link(h.db, indicators.COMMAND_LINE, c.id, used.id, [said[PLANS["cal"]]])

    convener = h.person(CONVENER)
    assert await convener.say("/matrix share") == [texts.CHECK_SHARED.format(
        members=texts.plural(5, "member"), statements=texts.plural(3, "statement"),
        days=texts.plural(7, "day"))]
    assert (await tick(h, utcnow())).checks_sent == 5
    for name, answers in ANSWERS.items():
        for answer in answers:
            await people[name].tap(answer)
            if answer != texts.BTN_SKIP:
                await people[name].tap(texts.BTN_NEXT)
        assert people[name].last.text == texts.CHECK_THANKS
    return c, people


async def _dashboard_cards(h: Harness, community: Community) -> dict[str, tuple[str, str, str]]:
    """The matrix page as the real dashboard server sends it to the signed-in convener: each
    indicator's card, by statement: (its cycle's section, what backs it, its members' check)."""
    server = DashboardServer(h.settings.database_url, h.settings)
    server.start()
    try:
        said = await h.person(CONVENER).say("/dashboard")
        token = re.search(r"/dashboard/signin/([A-Za-z0-9_-]+)", said[0])
        assert token is not None
        async with httpx.AsyncClient(base_url=server.base, follow_redirects=True) as client:
            page = lxml.html.fromstring((await client.get(
                f"/dashboard/signin/{token.group(1)}")).text)
            form = {i.name: i.value for i in page.xpath("//form//input[@type='hidden']")}
            signed = await client.post("/dashboard/signin", data=form)
            assert signed.status_code == 200
            found = await client.get(f"/dashboard/c/{community.id}/")
            assert found.status_code == 200
    finally:
        server.stop()
    cards = {}

    def one(card: lxml.html.HtmlElement, kind: str, inside: str = "") -> str:
        return str(card.xpath(f".//*[contains(@class, '{kind}')]{inside}")[0].text_content())

    for card in lxml.html.fromstring(found.text).xpath(
            "//li[contains(concat(' ', @class, ' '), ' indicator ')]"):
        section = next(a for a in card.iterancestors("section"))
        cards[one(card, "statement", "/a")] = (
            section.get("aria-labelledby", ""), one(card, "backing"),
            one(card, "members-check").strip())
    return cards


async def test_one_hand_count_of_indicators_and_their_check_reads_the_same_everywhere(
    harness: Harness, database_url: str, tmp_path: Path,
) -> None:
    c, _ = await _checked_scenario(harness)

    # /matrix, as the convener reads it: each statement with what backs it and its check.
    text = (await harness.person(CONVENER).say("/matrix"))[0]
    for statement, (_, (_, stories, members), (asked, agreed, disagreed)) in HAND_COUNT.items():
        line = texts.MATRIX_INDICATOR.format(
            statement=html.escape(statement), members=texts.plural(members, "member"),
            stories=texts.plural(stories, "story"))
        check = texts.MATRIX_INDICATOR_CHECK.format(asked=asked, agreed=agreed,
                                                    disagreed=disagreed)
        assert f"{line}\n{check}" in text, statement
    assert matrix_words.column("applied", 2, 2, 2) in text

    # valuestory matrix --json.
    data = await _matrix_json(database_url)
    shown = data["indicators"]
    assert isinstance(shown, dict)
    for statement, (cycle, counts, check) in HAND_COUNT.items():
        assert [(i["narratives"], i["stories"], i["members"], i["check"])
                for i in shown[cycle] if i["statement"] == statement] == [
            (*counts, dict(zip(("asked", "agreed", "disagreed"), check, strict=True)))]
    assert shown["realised"] == shown["reframing"] == []
    assert data["columns"][2]["narratives"] == 2 and data["intended"]["narratives"] == 4

    # The picture's words: each statement, what backs it, then its check.
    async with harness.db.session() as session:
        found = await session.get(Community, c.id)
        assert found is not None
    m = await matrix.build_matrix(harness.db, found)
    words = [t.get_text().replace("\n", " ") for ax in matrix.picture(m).axes for t in ax.texts]
    for statement, (_, (_, stories, members), (asked, agreed, _)) in HAND_COUNT.items():
        at = words.index(statement)
        assert words[at + 1:at + 3] == [
            texts.MATRIX_PNG_INDICATOR.format(members=texts.plural(members, "member"),
                                              stories=texts.plural(stories, "story")),
            texts.MATRIX_PNG_INDICATOR_CHECK.format(agreed=agreed, asked=asked)], statement

    # The dashboard's matrix page, from the real server: each card under its cycle.
    cards = await _dashboard_cards(harness, c)
    assert cards == {
        statement: (f"cycle-{cycle}", " · ".join((texts.plural(n, "narrative"),
                                                   texts.plural(st, "story"),
                                                   texts.plural(mb, "member"))),
                    texts.DASHBOARD_CHECK.format(asked=asked, agreed=agreed, disagreed=disagreed))
        for statement, (cycle, (n, st, mb), (asked, agreed, disagreed)) in HAND_COUNT.items()}

    # The report: the PDF's text, and the DOCX's table, each statement under its cycle with its
    # evidence and its check.
    pdf = tmp_path / "report.pdf"
    made = await asyncio.to_thread(
        CliRunner().invoke, main, ["report", "--community", "Plans Apart", "--format", "pdf",
                                   "--output", str(pdf)],
        env={"DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN})
    assert made.exit_code == 0, made.output
    # Here, not above: the report's tests read this module's scenario.
    from tests.cli.test_report import at, column_of, lines, pdf_text, words_on

    page = words_on(pdf, texts.REPORT_MATRIX)
    for statement, (cycle, (n, st, mb), (asked, agreed, disagreed)) in HAND_COUNT.items():
        told = texts.REPORT_INDICATOR_EVIDENCE.format(
            narratives=texts.plural(n, "narrative"), stories=texts.plural(st, "story"),
            members=texts.plural(mb, "member"))
        check = texts.REPORT_INDICATOR_CHECK.format(asked=asked, agreed=agreed,
                                                    disagreed=disagreed)
        # Each under its cycle's heading, in that order: the statement, its evidence, its check.
        places = [at(page, phrase) for phrase in (texts.CYCLE_NAMES[cycle], statement, told, check)]
        assert [column_of(page, x, texts.CYCLE_NAMES) for x, _ in places] == [cycle] * 4, statement
        assert [y for _, y in places] == sorted(y for _, y in places), statement
    in_order = " ".join(lines(pdf_text(pdf, layout=False)))
    assert "2 narratives from 2 members" in in_order  # applied: what was done, never a plan
    docx_file = tmp_path / "report.docx"
    made = await asyncio.to_thread(
        CliRunner().invoke, main, ["report", "--community", "Plans Apart", "--format", "docx",
                                   "--output", str(docx_file)],
        env={"DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN})
    assert made.exit_code == 0, made.output
    from docx import Document

    grid = Document(str(docx_file)).tables[2]
    assert grid.rows[1].cells[2].text == "2 narratives from 2 members"
    cells = dict(zip(matrix.glossary.CYCLES, grid.rows[2].cells, strict=True))
    for statement, (cycle, (n, st, mb), (asked, agreed, disagreed)) in HAND_COUNT.items():
        # Without the marks that isolate a person's words; a number and its noun kept together.
        said = re.sub("[\u2066-\u2069]", "", cells[cycle].text).replace("\xa0", " ")
        assert statement in said
        assert texts.REPORT_INDICATOR_EVIDENCE.format(
            narratives=texts.plural(n, "narrative"), stories=texts.plural(st, "story"),
            members=texts.plural(mb, "member")) in said
        assert texts.REPORT_INDICATOR_CHECK.format(asked=asked, agreed=agreed,
                                                   disagreed=disagreed) in said
