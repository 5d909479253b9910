"""The dashboard's matrix keeps plans apart, on a wide screen and on a phone: the hand-counted
community of tests/telegram/test_matrix_plans.py, read in a real browser."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By

from flows import texts
from tests.browser.conftest import DashboardServer
from tests.browser.test_dashboard import Browser, click, heading, link_for, matrix_table, sign_in
from tests.harness import Harness
from tests.telegram.test_matrix_plans import CONVENER, DONE, PLANS, scenario


def answers(browser: Browser) -> list[str]:
    return sorted(a.text for a in browser.find_elements(By.CSS_SELECTOR, ".narrative .answer"))


async def test_the_matrix_page_shows_plans_apart_and_their_pipeline_on_a_phone_and_a_desk(
        bot: Harness, server: DashboardServer, browser: Browser, tmp_path: Path) -> None:
    await scenario(bot)
    sign_in(browser, await link_for(bot.person(CONVENER)))
    assert heading(browser) == "Your communities"
    click(browser, browser.find_element(By.LINK_TEXT, "Plans Apart"))

    for width in (1280, 390):
        browser.set_window_size(width, 900)
        browser.refresh()
        browser.save_screenshot(str(tmp_path / f"matrix-{width}.png"))
        # On a phone the column headings are for screen readers; each cell shows its own label.
        headings = [th.get_attribute("textContent") for th in browser.find_elements(
            By.CSS_SELECTOR, "table.matrix thead th")]
        labels = [td.get_attribute("data-label") for td in browser.find_elements(
            By.CSS_SELECTOR, "table.matrix tbody td")]
        assert labels[:6] == headings[1:7]
        names = texts.CYCLE_NAMES
        assert headings[1:7] == [names["immediate"], names["potential"], texts.MATRIX_PNG_PLANS,
                                 names["applied"], names["realised"], names["reframing"]]
        rows, totals = matrix_table(browser)
        # The hand count: 5, 5, 4 plans, 2 done, 1 realised, 0; 5 asked, attended, answered.
        assert rows == [["5", "5", "4", "2", "1", "0", "5", "5", "5", "5", "100%"]]
        assert totals == ["5", "5", "4", "2", "1", "0", "5", "5", "5", "5", "100%"]
        pipeline = {div.find_element(By.TAG_NAME, "dt").text:
                    div.find_element(By.TAG_NAME, "dd").text
                    for div in browser.find_elements(By.CSS_SELECTOR, "dl.plans div")}
        assert pipeline == {texts.DASHBOARD_PLANS_MADE: "4", texts.DASHBOARD_PLANS_FOLLOWED: "3",
                            texts.DASHBOARD_PLANS_DONE: "2",
                            texts.DASHBOARD_PLANS_DIFFERENCE: "1"}
        # On a phone the pipeline fits the screen: nothing of it is off to the side.
        right = browser.execute_script(
            "return Math.max(...[...document.querySelectorAll('dl.plans div')]"
            ".map(e => e.getBoundingClientRect().right));")
        assert right <= browser.execute_script("return document.documentElement.clientWidth;")
        browser.execute_script("document.querySelector('section.pipeline').scrollIntoView();")
        browser.save_screenshot(str(tmp_path / f"matrix-{width}-plans.png"))

    # The plans' total opens the four plans; applied value's opens only what was done.
    browser.set_window_size(1280, 900)
    click(browser, browser.find_element(By.CSS_SELECTOR, "tfoot td.plans a"))
    assert answers(browser) == sorted(PLANS[n] for n in ("ana", "ben", "cal", "dee"))
    browser.back()
    click(browser, browser.find_element(
        By.CSS_SELECTOR, "a[aria-label='2 narratives, applied value, in all']"))
    assert answers(browser) == sorted([DONE["ana"], DONE["ben"]])
