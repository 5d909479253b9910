"""The dashboard in a real browser: conveners, researchers, and everyone who must be refused."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select, update

from flows import texts
from flows.questions import PromptKind
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditEntry, Community, DashboardLink, Event, Prompt, PromptStatus, utcnow
from tests import seed
from tests.browser.conftest import DashboardServer
from tests.clock import tick
from tests.harness import Harness, Person
from tests.telegram.test_dashboard_signin import init_data
from tests.waiting import until
from valuestory.cli import main

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/dashboard/signin/[A-Za-z0-9_-]+)")
Browser = Any


async def past_event(db: Database, community: Community, title: str, days_ago: int) -> Event:
    starts = utcnow() - dt.timedelta(days=days_ago)
    return await seed.event(db, community, title, starts, starts + dt.timedelta(hours=2))


async def applied_later(db: Database, person: Person, event: Event, text: str) -> None:
    """The applied follow-up, answered: the story reaches applied value."""
    prompt = await seed.open_prompt(db, person, event, PromptKind.FOLLOWUP_APPLIED)
    async with db.session() as session:
        await repo.save_answer(session, prompt, question_id="applied.action",
                               question_text="What did you actually do with it?", cycle="applied",
                               capital=None, intended=False, text=text, append=False, now=utcnow())


async def community_with_stories(bot: Harness) -> tuple[Community, Event, list[Person]]:
    c = await seed.community(bot.db, "Maternity Network")
    async with bot.db.session() as session:
        found = await session.get(Community, c.id)
        assert found is not None
        found.quiet_start = found.quiet_end = "00:00"
    winter = await past_event(bot.db, c, "Winter session", 20)
    spring = await past_event(bot.db, c, "Spring session", 5)
    people = [bot.person(7100 + i) for i in range(3)]
    for person in people:
        await seed.join(person, c)
    await seed.open_prompt(bot.db, people[0], winter)
    await seed.tell(people[0], "The midwives' huddle <b>idea</b>",
                    {seed.INSIGHT: "How to run a debrief"}, "Try the debrief with my team")
    await seed.open_prompt(bot.db, people[1], winter)
    await seed.tell(people[1], "Meeting the diabetes nurse", {seed.INSIGHT: "Insulin timing"})
    await seed.open_prompt(bot.db, people[2], spring)
    await seed.tell(people[2], "The case study on triage")
    await seed.open_prompt(bot.db, people[0], spring)
    await seed.tell(people[0], "Hearing the parents' panel", {seed.INSIGHT: "Listening first"},
                    "Share the panel notes")
    await applied_later(bot.db, people[0], winter, "We ran three debriefs on the ward")
    return c, winter, people


async def link_for(person: Person) -> str:
    said = await person.say("/dashboard")
    found = LINK.search(said[0]) if said else None
    assert found is not None, said
    return found.group(1)


def click(browser: Browser, element: Any) -> None:
    """Click something that opens a page, and wait until the new page is there."""
    browser.execute_script("window.oldPage = true;")
    element.click()

    def arrived(driver: Browser) -> bool:
        try:
            return bool(driver.execute_script(
                "return window.oldPage === undefined && document.readyState === 'complete';"))
        except WebDriverException:
            return False  # between the two pages

    WebDriverWait(browser, 10).until(arrived)


def sign_in(browser: Browser, link: str) -> None:
    browser.get(link)
    click(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit].primary"))


async def downloaded(folder: Path, suffix: str) -> Path:
    """The file the browser finished downloading into `folder`."""
    def done() -> list[Path]:
        return [p for p in folder.iterdir() if p.suffix == suffix]

    await until(lambda: bool(done()), f"a {suffix} file to arrive", every=0.1)
    return done()[0]


def heading(browser: Browser) -> str:
    return str(browser.find_element(By.TAG_NAME, "h1").text)


def cli_json(*args: str, env: dict[str, str]) -> dict[str, Any]:
    result = CliRunner().invoke(main, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def matrix_table(browser: Browser) -> tuple[list[list[str]], list[str]]:
    """The counts of the matrix page's table: its event rows and its totals (without the mark
    that sends a reader to why a total is more than its rows)."""
    table = browser.find_element(By.CSS_SELECTOR, "table.matrix")
    assert table.find_element(By.TAG_NAME, "caption").text.startswith(
        texts.DASHBOARD_MATRIX_CAPTION.partition(",")[0])
    rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    totals = [td.text.removesuffix("*") for td in table.find_elements(By.CSS_SELECTOR, "tfoot td")]
    return rows, totals


def shown(p: dict[str, Any]) -> list[str]:
    rate = (p["sent"] and f"{p['answered'] / p['sent']:.0%}") or texts.RATE_NONE
    return [str(p["sent"]), str(p["attended"]), str(p["answered"]), str(p["completed"]), rate]


async def test_convener_signs_in_with_the_bots_link_and_reads_the_matrix_narratives_and_a_story(
        bot: Harness, server: DashboardServer, browser: Browser, database_url: str) -> None:
    c, _, people = await community_with_stories(bot)
    await seed.grant(bot.db, 7001, "convener", c)
    convener = bot.person(7001)

    sign_in(browser, await link_for(convener))
    assert heading(browser) == "Your communities"
    click(browser, browser.find_element(By.LINK_TEXT, "Maternity Network"))

    # The same numbers as `valuestory matrix --json`, from the same code.
    env = {"DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": bot.settings.bot_token()}
    for period in ("", "8d"):
        if period:
            box = browser.find_element(By.ID, "since")
            box.clear()
            box.send_keys(period)
            click(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button"))
        cli = await asyncio.to_thread(cli_json, "matrix", "--community", str(c.id),
                                      *(["--since", period] if period else []), env=env)
        rows, totals = matrix_table(browser)
        assert len(rows) == len(cli["events"]) > 0
        # Plans have their own column, between potential and applied value.
        for row, event in zip(rows, cli["events"], strict=True):
            cells = [*event["cells"][:2], event["intended"], *event["cells"][2:]]
            assert row == [str(n) for n in cells] + shown(event["participation"])
        columns = [*cli["columns"][:2], cli["intended"], *cli["columns"][2:]]
        assert totals == ([str(col["narratives"]) for col in columns]
                          + shown(cli["participation"]))
        assert len(rows) == (1 if period else 2)  # the last 8 days hold only the spring session
        # The totals add up to the rows, or the page says why: in the last 8 days, answers
        # about the winter session count in the Total but have no row of their own.
        why = browser.find_elements(By.CSS_SELECTOR, "p.totals-why")
        if period:
            assert texts.DASHBOARD_TOTAL_EARLIER.partition("{narratives} ")[2] in why[0].text
            assert texts.DASHBOARD_TOTAL_EARLIER.format(
                cycle=texts.CYCLE_NAMES["immediate"], narratives=texts.plural(2, "narrative"),
            ) in why[0].text
        else:
            assert why == []
            assert totals[:6] == [str(sum(int(r[i]) for r in rows)) for i in range(6)]

    # A cell opens exactly its narratives.
    browser.find_element(By.ID, "since").clear()
    click(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button"))
    cell = browser.find_element(By.CSS_SELECTOR,
                                "a[aria-label^='2 narratives, immediate value, about Winter']")
    click(browser, cell)
    answers = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".narrative .answer")]
    assert sorted(answers) == ["Meeting the diabetes nurse", "The midwives' huddle <b>idea</b>"]
    assert "Telegram" not in browser.page_source and "Alex" not in browser.page_source

    # Filters: cycle and words, together.
    Select(browser.find_element(By.ID, "event")).select_by_index(0)
    Select(browser.find_element(By.ID, "cycle")).select_by_value("potential")
    browser.find_element(By.ID, "q").send_keys("insulin")
    click(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
    answers = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".narrative .answer")]
    assert answers == ["Insulin timing"]
    meta = browser.find_element(By.CSS_SELECTOR, ".narrative .meta").text
    assert "Winter session" in meta and re.search(r"\bP-[A-Z0-9]{4}\b", meta)

    # From a narrative to its whole story, in the order it unfolded.
    browser.find_element(By.ID, "q").clear()
    Select(browser.find_element(By.ID, "cycle")).select_by_value("applied")
    click(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
    applied = "//li[.//blockquote[text()='We ran three debriefs on the ward']]"
    click(browser, browser.find_element(By.XPATH, applied + "//a[text()='Whole story']"))
    stages = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".step h2")]
    assert stages == [texts.STORY_STAGES[stage]
                      for stage in ("immediate", "potential", "intended", "applied")]
    assert "We ran three debriefs on the ward" in browser.page_source

    # And from the list of stories that reached applied value.
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["stories"]))
    listed = browser.find_elements(By.CSS_SELECTOR, ".stories li")
    assert len(listed) == 1 and "Winter session" in listed[0].text

    # Plan an event; the scheduler plans its prompts.
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["events"]))
    starts = (utcnow() + dt.timedelta(hours=1)).astimezone(dt.UTC)
    local = starts.astimezone(ZoneInfo(c.timezone)).strftime("%Y-%m-%d %H:%M")
    browser.find_element(By.ID, "title").send_keys("Evening huddle")
    browser.find_element(By.ID, "starts").send_keys(local)
    minutes = browser.find_element(By.ID, "minutes")
    minutes.clear()
    minutes.send_keys("45")
    click(browser, browser.find_element(By.CSS_SELECTOR, "section button.primary"))
    assert texts.DASHBOARD_EVENT_CREATED in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert "Evening huddle" in browser.find_element(By.ID, "upcoming").find_element(
        By.XPATH, "..").text
    async with bot.db.session() as session:
        created = await session.scalar(select(Event).where(Event.title == "Evening huddle"))
    assert created is not None and created.ends_at - created.starts_at == dt.timedelta(minutes=45)
    report = await tick(bot, utcnow())
    assert report.planned == len(people)
    async with bot.db.session() as session:
        planned = (await session.scalars(select(Prompt).where(Prompt.event_id == created.id))).all()
    assert {p.status for p in planned} == {PromptStatus.SCHEDULED} and len(planned) == 3


async def test_researcher_downloads_the_same_csv_as_the_command_line_and_it_is_audited(
        bot: Harness, server: DashboardServer, browser: Browser, database_url: str,
        downloads: Path, tmp_path: Path) -> None:
    c, _, _ = await community_with_stories(bot)
    await seed.grant(bot.db, 7002, "researcher", None)
    sign_in(browser, await link_for(bot.person(7002)))
    click(browser, browser.find_element(By.LINK_TEXT, "Maternity Network"))
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["narratives"]))
    Select(browser.find_element(By.ID, "cycle")).select_by_value("potential")
    click(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
    click(browser, browser.find_element(By.LINK_TEXT, "Export narratives like these"))
    chosen = Select(browser.find_element(By.ID, "cycle")).first_selected_option.text
    assert chosen == texts.CYCLE_NAMES["potential"]
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()  # a download: no new page

    got = await downloaded(downloads, ".csv")

    out = tmp_path / "cli.csv"
    env = {"DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": bot.settings.bot_token()}
    result = await asyncio.to_thread(CliRunner().invoke, main, [
        "export", "--format", "csv", "--output", str(out), "--community", str(c.id),
        "--cycle", "potential"], env=env)
    assert result.exit_code == 0, result.output
    assert got.read_bytes() == out.read_bytes()
    assert b"Insulin timing" in out.read_bytes()

    async with bot.db.session() as session:
        audit = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(a.action, a.details["filters"]["cycle"], a.details["rows"]) for a in audit] == [
        ("export", "potential", 3), ("export", "potential", 3)]
    assert audit[0].actor.startswith("researcher grant #")


async def test_members_strangers_spent_expired_and_forged_sign_ins_are_all_refused(
        bot: Harness, server: DashboardServer, browser: Browser) -> None:
    c, _, people = await community_with_stories(bot)
    other = await seed.community(bot.db, "Another Network")
    await seed.grant(bot.db, 7003, "convener", c)
    convener = bot.person(7003)

    # Members and strangers get the usual refusal, and no link.
    for person in (people[0], bot.person(7999)):
        assert await person.say("/dashboard") == [texts.NOT_ALLOWED]

    # A link works once.
    link = await link_for(convener)
    sign_in(browser, link)
    assert heading(browser) == "Your communities"
    # A community they may not see is not found, as if it did not exist.
    browser.get(f"{server.base}/dashboard/c/{other.id}/")
    assert heading(browser) == "Not found"
    browser.get(f"{server.base}/dashboard/c/999999/narratives")
    assert heading(browser) == "Not found"
    click(browser, browser.find_element(By.LINK_TEXT, "Back to your communities"))
    click(browser, browser.find_element(By.CSS_SELECTOR, ".signout button"))
    assert heading(browser) == "Signed out"
    sign_in(browser, link)
    assert heading(browser) == "That link can't be used"

    # An expired link.
    late = await link_for(convener)
    async with bot.db.session() as session:
        await session.execute(update(DashboardLink).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    sign_in(browser, late)
    assert heading(browser) == "That link can't be used"
    browser.get(f"{server.base}/dashboard/")
    assert heading(browser) == "Sign in"

    # initData from the Mini App: forged is refused, genuine signs in.
    browser.get(f"{server.base}/dashboard/app")
    post = ("return fetch('/dashboard/app/signin', {method: 'POST', body: new URLSearchParams("
            "{initData: arguments[0]})}).then(r => r.status);")
    forged = init_data(7003).replace("%22id%22%3A%207003", "%22id%22%3A%207004")
    assert browser.execute_script(post, forged) == 403
    assert browser.execute_script(post, init_data(7003, token="1:not-our-bot")) == 403
    browser.get(f"{server.base}/dashboard/")
    assert heading(browser) == "Sign in"
    browser.get(f"{server.base}/dashboard/app")
    assert browser.execute_script(post, init_data(7003)) == 200
    browser.get(f"{server.base}/dashboard/")
    assert heading(browser) == "Your communities"

    # A form without its CSRF token changes nothing.
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["events"]))
    browser.execute_script("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove());")
    browser.find_element(By.ID, "title").send_keys("Sneaky event")
    browser.find_element(By.ID, "starts").send_keys("2027-01-05 14:00")
    click(browser, browser.find_element(By.CSS_SELECTOR, "section button.primary"))
    assert texts.DASHBOARD_FORM_EXPIRED in browser.find_element(By.CSS_SELECTOR, ".problem").text
    async with bot.db.session() as session:
        assert await session.scalar(select(Event).where(Event.title == "Sneaky event")) is None

    # A revoked role loses access at the next click.
    browser.get(f"{server.base}/dashboard/c/{c.id}/")
    assert heading(browser) == "Maternity Network"
    await seed.revoke(bot.db, 7003)
    browser.refresh()
    assert heading(browser) == "Not found"
    browser.get(f"{server.base}/dashboard/")
    assert "You have no community to look at yet." in browser.page_source
