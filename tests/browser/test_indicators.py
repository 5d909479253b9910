"""Value indicators in a real browser: a blank community adopts an example; a convener makes an
indicator from a narrative and from a story, links, merges, quotes, orders and retires; the counts
follow their evidence when a member withdraws through /withdraw; the quotes download; every
cycle reads on a 390 px phone without sideways scrolling. Screenshots of each page are kept."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from flows import suggestions, texts
from storage.models import Community, Event
from tests import seed
from tests.browser.conftest import DashboardServer
from tests.browser.test_dashboard import (
    Browser,
    click,
    downloaded,
    heading,
    link_for,
    past_event,
    sign_in,
)
from tests.harness import Harness, Person

CONVENER = 7301
# Where screenshots go: a folder of the test's own, or SCREENSHOTS to keep them.
SHOTS = os.environ.get("SCREENSHOTS")


def shoot(browser: Browser, folder: Path, name: str) -> None:
    """A screenshot at 390 and 1280 px wide, of the whole page's height."""
    target = Path(SHOTS) if SHOTS else folder
    target.mkdir(parents=True, exist_ok=True)
    for width in (390, 1280):
        browser.set_window_size(width, 900)
        height = browser.execute_script("return document.documentElement.scrollHeight;")
        browser.set_window_size(width, min(int(height) + 120, 6000))
        browser.save_screenshot(str(target / f"{name}-{width}.png"))
        if width == 390:
            assert fits(browser), f"{name} scrolls sideways on a phone"
    browser.set_window_size(1280, 900)


def fits(browser: Browser) -> bool:
    """Nothing on the page reaches past the screen's right edge."""
    return bool(browser.execute_script(
        "const w = document.documentElement.clientWidth;"
        "return document.documentElement.scrollWidth <= w && [...document.querySelectorAll("
        "'main *')].every(e => e.getBoundingClientRect().right <= w + 1);"))


def cards(browser: Browser, cycle: str) -> list[tuple[str, str]]:
    """The indicators shown under a cycle: (statement, what backs it)."""
    column = browser.find_element(By.XPATH, f"//section[@aria-labelledby='cycle-{cycle}']")
    return [(li.find_element(By.CSS_SELECTOR, ".statement a").text,
             li.find_element(By.CSS_SELECTOR, ".backing").text)
            for li in column.find_elements(By.CSS_SELECTOR, "li.indicator")]


def post(browser: Browser, css: str) -> None:
    click(browser, browser.find_element(By.CSS_SELECTOR, css))


async def community(bot: Harness) -> tuple[Community, Event, dict[str, Person]]:
    """Three members tell their story about one session; Ana also says what she plans."""
    c = await seed.community(bot.db, "Midwives Together")
    session = await past_event(bot.db, c, "Winter session", 10)
    await seed.grant(bot.db, CONVENER, "convener", c)
    people = {n: bot.person(7400 + i, n.capitalize()) for i, n in enumerate(("ana", "ben", "cal"))}
    for name, person in people.items():
        await seed.join(person, c)
        await seed.open_prompt(bot.db, person, session)
        await seed.tell(person, f"{name.capitalize()}: I felt safe asking a silly question",
                        {seed.INSIGHT: f"{name.capitalize()}: more confident with insulin"},
                        "Ana plans to share the chart" if name == "ana" else None)
    return c, session, people


def open_matrix(browser: Browser, c: Community) -> None:
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["matrix"]))
    assert heading(browser) == c.name


def evidence_from_list(browser: Browser, answer: str) -> None:
    """"Evidence of…" on the narrative with this answer, in the narratives list."""
    item = browser.find_element(By.XPATH, f"//li[.//blockquote[text()='{answer}']]")
    click(browser, item.find_element(By.LINK_TEXT, "Evidence of…"))


async def test_a_blank_community_is_told_what_to_do_and_adopts_an_example(
        bot: Harness, server: DashboardServer, browser: Browser, tmp_path: Path) -> None:
    c = await seed.community(bot.db, "Brand New")
    await seed.grant(bot.db, CONVENER, "convener", c)
    sign_in(browser, await link_for(bot.person(CONVENER)))
    click(browser, browser.find_element(By.LINK_TEXT, "Brand New"))

    start = browser.find_element(By.CSS_SELECTOR, "section.start").text
    invite = texts.DASHBOARD_START_INVITE.partition("<strong>")[2].partition(".</strong>")[0]
    assert invite in start
    assert texts.DASHBOARD_PLAN_EVENT in start and "example" in start
    assert all(cards(browser, cycle) == [] for cycle in ("immediate", "potential", "applied"))
    examples = browser.find_elements(By.CSS_SELECTOR, "details.examples[open] li")
    assert len(examples) == len(suggestions.SUGGESTIONS)  # every cycle offers its examples
    assert texts.DASHBOARD_NO_EVENTS_YET in browser.find_element(By.CSS_SELECTOR, "table.matrix").text
    shoot(browser, tmp_path, "matrix-empty")

    safe = suggestions.BY_KEY["safe_space"].statement
    click(browser, browser.find_element(By.XPATH, f'//button[@aria-label="Adopt: {safe}"]'))
    assert browser.find_element(By.CSS_SELECTOR, ".notice").text == texts.DASHBOARD_MATRIX_DONE["adopted"]
    assert cards(browser, "immediate") == [(safe, "0 narratives · 0 stories · 0 members")]
    assert safe not in [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".examples li")]

    # An example left is not offered again, and is listed apart, still to adopt.
    saved = suggestions.BY_KEY["saved_time"].statement
    click(browser, browser.find_element(By.XPATH, f'//button[@aria-label="Leave: {saved}"]'))
    offered = [e.get_attribute("textContent") for e in browser.find_elements(
        By.CSS_SELECTOR, ".examples li")]
    assert not any(saved in e for e in offered)
    assert saved in browser.find_element(By.CSS_SELECTOR, "details.left").get_attribute(
        "textContent")
    shoot(browser, tmp_path, "matrix-started")


async def test_indicators_are_made_linked_merged_quoted_and_retired_and_follow_a_withdrawal(
        bot: Harness, server: DashboardServer, browser: Browser, tmp_path: Path,
        downloads: Path) -> None:
    c, _, people = await community(bot)
    sign_in(browser, await link_for(bot.person(CONVENER)))
    click(browser, browser.find_element(By.LINK_TEXT, c.name))

    # From the narratives list: Ana's moment is evidence of a new indicator.
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["narratives"]))
    assert "A plan: what they might do, not done yet" in browser.find_element(
        By.XPATH, "//li[.//blockquote[text()='Ana plans to share the chart']]").text
    assert "(intended)" not in browser.page_source
    shoot(browser, tmp_path, "narratives")
    evidence_from_list(browser, "Ana: I felt safe asking a silly question")
    assert heading(browser) == "This is evidence of…"
    shoot(browser, tmp_path, "evidence-of")
    browser.find_element(By.ID, "statement").send_keys("It's a safe space to ask questions")
    assert Select(browser.find_element(By.ID, "cycle")).first_selected_option.text == \
        texts.CYCLE_NAMES["immediate"]
    post(browser, "section[aria-labelledby='new-heading'] button.primary")
    assert heading(browser).startswith("It's a safe space to ask questions")
    assert browser.find_element(By.CSS_SELECTOR, ".backing").text == \
        "1 narrative · 1 story · 1 member"

    # From Ben's story: his moment backs the same indicator.
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["stories"]))
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["narratives"]))
    ben = browser.find_element(
        By.XPATH, "//li[.//blockquote[text()='Ben: I felt safe asking a silly question']]")
    click(browser, ben.find_element(By.LINK_TEXT, "Whole story"))
    click(browser, browser.find_elements(By.LINK_TEXT, "Evidence of…")[0])
    choices = [label.text for label in browser.find_elements(By.CSS_SELECTOR, "label.choice")]
    assert choices == ["It's a safe space to ask questions (immediate value, 1 narrative)"]
    post(browser, "section[aria-labelledby='existing-heading'] button.primary")
    assert browser.find_element(By.CSS_SELECTOR, ".backing").text == \
        "2 narratives · 2 stories · 2 members"

    # A second indicator written on the matrix page, Cal's moment linked by its id, then merged.
    open_matrix(browser, c)
    column = "section[aria-labelledby='cycle-immediate']"
    browser.find_element(By.CSS_SELECTOR, f"{column} details.add summary").click()
    browser.find_element(By.ID, "statement-immediate").send_keys("Safe to ask")
    post(browser, f"{column} details.add button.primary")
    assert cards(browser, "immediate") == [
        ("It's a safe space to ask questions", "2 narratives · 2 stories · 2 members"),
        ("Safe to ask", "0 narratives · 0 stories · 0 members")]
    post(browser, "button[aria-label='Move up: Safe to ask']")
    assert [s for s, _ in cards(browser, "immediate")] == [
        "Safe to ask", "It's a safe space to ask questions"]
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["narratives"]))
    cal = browser.find_element(
        By.XPATH, "//li[.//blockquote[text()='Cal: I felt safe asking a silly question']]")
    cal_id = cal.get_attribute("id").removeprefix("n")
    open_matrix(browser, c)
    click(browser, browser.find_element(By.LINK_TEXT, "Safe to ask"))
    browser.find_element(By.ID, "evidence").send_keys(cal_id)
    post(browser, "form[action$='/link'] button")
    assert browser.find_element(By.CSS_SELECTOR, ".backing").text == \
        "1 narrative · 1 story · 1 member"
    Select(browser.find_element(By.ID, "into")).select_by_visible_text(
        "It's a safe space to ask questions (immediate value)")
    post(browser, "form[action$='/merge'] button")
    assert heading(browser).startswith("It's a safe space to ask questions")
    assert browser.find_element(By.CSS_SELECTOR, ".backing").text == \
        "3 narratives · 3 stories · 3 members"

    # Two quotes, shown with it on the matrix under the members' pseudonyms.
    for who in ("Ana", "Cal"):
        browser.find_element(By.XPATH, f"//li[.//blockquote[text()='{who}: I felt safe asking a "
                                       "silly question']]//input[@name='quote']").click()
    post(browser, "button[form='quotes']")
    shoot(browser, tmp_path, "indicator-editor")
    history = [li.text for li in browser.find_elements(By.CSS_SELECTOR, ".log li")]
    assert any("chose narratives" in h for h in history)
    assert any("merged indicator" in h for h in history)
    assert any("created it under immediate value" in h for h in history)
    assert all("convener" in h for h in history)
    assert str(CONVENER) not in browser.page_source

    # The narratives behind it, for a convener to take away: pseudonyms only.
    browser.find_element(By.PARTIAL_LINK_TEXT, "Download these narratives").click()
    rows = list(csv.DictReader(io.StringIO((await downloaded(downloads, ".csv")).read_text(
        "utf-8-sig"))))
    assert sorted(r["answer"] for r in rows) == [
        f"{n}: I felt safe asking a silly question" for n in ("Ana", "Ben", "Cal")]
    assert {r["shown_as_quote"] for r in rows} == {"yes", ""}
    assert all(str(p.user_id) not in ",".join(r.values()) for r in rows for p in people.values())

    open_matrix(browser, c)
    safe = browser.find_element(By.CSS_SELECTOR, f"{column} li.indicator")
    quotes = [q.text for q in safe.find_elements(By.CSS_SELECTOR, ".quote")]
    assert len(quotes) == 2 and quotes[0].startswith("“Ana: I felt safe")
    assert texts.DASHBOARD_CHECK_NONE in safe.text
    # An indicator under potential value with a capital, backed by Ana's plan and Ben's insight.
    browser.find_element(By.CSS_SELECTOR,
                         "section[aria-labelledby='cycle-potential'] details.add summary").click()
    browser.find_element(By.ID, "statement-potential").send_keys("Members have more confidence")
    Select(browser.find_element(By.ID, "capital-potential")).select_by_value("human")
    post(browser, "section[aria-labelledby='cycle-potential'] details.add button.primary")
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["narratives"]))
    evidence_from_list(browser, "Ana plans to share the chart")
    assert "This is a plan" in browser.page_source
    browser.find_element(By.XPATH, "//label[contains(., 'Members have more confidence')]"
                                   "/input").click()
    post(browser, "section[aria-labelledby='existing-heading'] button.primary")
    open_matrix(browser, c)
    shoot(browser, tmp_path, "matrix")
    assert cards(browser, "potential") == [
        ("Members have more confidence", "1 narrative · 1 story · 1 member")]

    # Ana withdraws, through /withdraw in Telegram: every count follows, her quote goes.
    await people["ana"].say("/withdraw")
    await people["ana"].tap(texts.BTN_WITHDRAW_YES)
    browser.refresh()
    assert cards(browser, "immediate") == [
        ("It's a safe space to ask questions", "2 narratives · 2 stories · 2 members")]
    assert cards(browser, "potential") == [
        ("Members have more confidence", "0 narratives · 0 stories · 0 members")]
    safe = browser.find_element(By.CSS_SELECTOR, f"{column} li.indicator")
    assert [q.text[:5] for q in safe.find_elements(By.CSS_SELECTOR, ".quote")] == ["“Cal:"]
    safe_id = safe.get_attribute("id").removeprefix("indicator-")

    # Retired: off the matrix, listed apart, and back again.
    click(browser, browser.find_element(By.LINK_TEXT, "Members have more confidence"))
    # Moved to another cycle, it leaves its capital behind: capitals are potential value's.
    Select(browser.find_element(By.ID, "cycle")).select_by_value("immediate")
    post(browser, "form[action$='/edit'] button")
    assert browser.find_element(By.CSS_SELECTOR, "h1 .sub").text == texts.CYCLE_NAMES["immediate"]
    assert "moved it to immediate value; set its capital to none" in browser.find_element(
        By.CSS_SELECTOR, ".log li").text
    post(browser, "form[action$='/retire'] button")
    assert cards(browser, "potential") == [] and len(cards(browser, "immediate")) == 1
    retired = browser.find_element(By.CSS_SELECTOR, "details.retired")
    assert "Members have more confidence" in retired.get_attribute("textContent")
    assert "Safe to ask" in retired.get_attribute("textContent")  # merged

    # A form without the session's token changes nothing; nor does anyone who may not see it.
    retire = f"{server.base}/dashboard/c/{c.id}/indicators/{safe_id}/retire"
    forged = browser.execute_script(
        "return fetch(arguments[0], {method: 'POST', body: new URLSearchParams({csrf: 'x'})})"
        ".then(r => r.status);", retire)
    assert forged == 403
    other = await seed.community(bot.db, "Elsewhere")
    await seed.grant(bot.db, 7302, "researcher", other)
    sign_in(browser, await link_for(bot.person(7302)))
    browser.get(retire.removesuffix("/retire"))
    assert heading(browser) == "Not found"
    assert "It's a safe space" not in browser.page_source
    browser.get(f"{server.base}/dashboard/c/{c.id}/")
    assert heading(browser) == "Not found"
