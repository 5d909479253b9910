"""The members' check from the dashboard: a convener asks members to check the indicators, an
English and a Spanish member answer in Telegram, and each indicator's card says how many were
asked and how many it rings true for. Screenshots at 390 and 1280 px are kept."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from selenium.webdriver.common.by import By

from flows import texts
from tests import seed
from tests.browser.conftest import DashboardServer
from tests.browser.test_dashboard import (
    Browser,
    click,
    downloaded,
    heading,
    link_for,
    sign_in,
)
from tests.browser.test_indicators import shoot
from tests.clock import tick
from tests.harness import Harness
from valuestory.usecases import indicators
from valuestory.usecases.scheduler import allowed_time
from valuestory.usecases.times import utcnow

CONVENER = 7501
ES = texts.In("es")


def checks(browser: Browser) -> dict[str, str]:
    """Each indicator on the matrix page: its members' check line."""
    return {li.find_element(By.CSS_SELECTOR, ".statement a").text:
            li.find_element(By.CSS_SELECTOR, ".members-check").text
            for li in browser.find_elements(By.CSS_SELECTOR, "li.indicator")}


async def test_a_convener_shares_from_the_dashboard_and_the_cards_count_the_answers(
        bot: Harness, server: DashboardServer, browser: Browser, tmp_path: Path,
        downloads: Path) -> None:
    c = await seed.community(bot.db, "Midwives Together")
    await seed.grant(bot.db, CONVENER, "convener", c)
    for cycle, statement in (("immediate", "It's a safe space to ask questions"),
                             ("applied", "Members changed how they plan a shift")):
        await indicators.add(bot.db, indicators.COMMAND_LINE, c.name, cycle, statement)
    alex = await seed.join(bot.person(7502, "Alex"), c)
    rosa = await seed.join(bot.person(7503, "Rosa", language_code="es"), c, agree=ES.BTN_AGREE)

    sign_in(browser, await link_for(bot.person(CONVENER)))
    click(browser, browser.find_element(By.LINK_TEXT, c.name))
    assert heading(browser) == c.name
    assert set(checks(browser).values()) == {texts.DASHBOARD_CHECK_NONE}
    click(browser, browser.find_element(By.XPATH,
                                        f"//button[text()='{texts.DASHBOARD_SHARE}']"))
    assert browser.find_element(By.CSS_SELECTOR, ".notice").text.startswith("Shared:")

    # When the scheduler may send it: now, or the end of London's quiet hours.
    await tick(bot, allowed_time(utcnow(), "Europe/London", "20:00", "08:00"))
    await alex.tap(texts.BTN_RINGS_TRUE)
    await alex.say("Nobody laughed at my question about insulin.")
    await alex.tap(texts.BTN_NOT_FOR_ME)
    await alex.tap(texts.BTN_NEXT)
    await rosa.tap(ES.BTN_NOT_FOR_ME)
    await rosa.tap(ES.BTN_NEXT)
    await rosa.tap(ES.BTN_SKIP)
    assert rosa.last.text == ES.CHECK_THANKS

    browser.refresh()
    assert checks(browser) == {
        "It's a safe space to ask questions":
            texts.DASHBOARD_CHECK.format(asked=2, agreed=1, disagreed=1),
        "Members changed how they plan a shift":
            texts.DASHBOARD_CHECK.format(asked=2, agreed=0, disagreed=1),
    }
    shoot(browser, tmp_path, "matrix-checked")

    # What Alex wrote is on the statement's own page, under Alex's pseudonym, as a members'
    # check comment: the statement still has no evidence.
    click(browser, browser.find_element(By.LINK_TEXT, "It's a safe space to ask questions"))
    assert browser.find_element(By.CSS_SELECTOR, "p.backing").text == \
        "0 narratives · 0 stories · 0 members"
    said = browser.find_elements(By.CSS_SELECTOR, "li.comment")
    assert [c.find_element(By.CSS_SELECTOR, "blockquote").text for c in said] == [
        "Nobody laughed at my question about insulin."]
    pseudonym = said[0].find_element(By.CSS_SELECTOR, ".pseudonym").text
    assert pseudonym.startswith("P-") and "Rings true" in said[0].text
    assert "Alex" not in browser.page_source and str(alex.user_id) not in browser.page_source
    shoot(browser, tmp_path, "indicator-comments")
    # And in the file a convener takes away, marked for what it is.
    browser.find_element(By.PARTIAL_LINK_TEXT, "these comments").click()
    rows = list(csv.DictReader(io.StringIO((await downloaded(downloads, ".csv")).read_text(
        "utf-8-sig"))))
    assert [(r["kind"], r["pseudonym"], r["answer"], r["narrative_id"]) for r in rows] == [
        ("members' check comment", pseudonym, "Nobody laughed at my question about insulin.", "")]
