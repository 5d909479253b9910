"""The report from the dashboard, in a real browser, on a phone and a desk: the hand-counted
community of tests/telegram/test_matrix_plans.py with its indicators; a story featured from its
page, then the report downloaded as a PDF and as a DOCX holding what the page promised."""

from __future__ import annotations

import os
from pathlib import Path

from selenium.webdriver.common.by import By

from flows import texts
from tests.browser.conftest import DashboardServer
from tests.browser.test_dashboard import Browser, click, downloaded, heading, link_for, sign_in
from tests.cli.test_report import INDICATORS, lines, pdf_text, with_indicators
from tests.harness import Harness
from tests.telegram.test_matrix_plans import CONVENER, DONE

SHOTS = os.environ.get("VALUESTORY_SHOTS")


def fits(browser: Browser) -> bool:
    """Nothing on the page runs off to the side."""
    return bool(browser.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth;"))


async def test_a_convener_features_a_story_and_downloads_the_report_as_pdf_and_docx(
        bot: Harness, server: DashboardServer, browser: Browser, downloads: Path,
        tmp_path: Path) -> None:
    await with_indicators(bot)
    sign_in(browser, await link_for(bot.person(CONVENER)))
    click(browser, browser.find_element(By.LINK_TEXT, "Plans Apart"))
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_REPORT_HEADING))
    assert heading(browser).startswith(texts.DASHBOARD_REPORT_HEADING)
    # No story featured yet: the report would trace the furthest-reaching, Ana's then Ben's.
    assert browser.find_element(By.CSS_SELECTOR, "section p.note").text == (
        texts.DASHBOARD_REPORT_FURTHEST)
    listed = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "ul.stories li a")]
    assert len(listed) == 2
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        browser.set_window_size(width, 900)
        browser.refresh()
        browser.save_screenshot(str(folder / f"report-page-{width}.png"))
        assert fits(browser), width

    # Ben's story, featured from its page: the report now traces it alone.
    browser.set_window_size(1280, 900)
    click(browser, browser.find_elements(By.CSS_SELECTOR, "ul.stories li a")[1])
    click(browser, browser.find_element(By.CSS_SELECTOR, "form.feature button"))
    assert browser.find_element(By.CSS_SELECTOR, "form.feature .featured").text == (
        texts.DASHBOARD_FEATURED)
    browser.save_screenshot(str(folder / "story-featured-1280.png"))
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_REPORT_HEADING))
    assert browser.find_element(By.CSS_SELECTOR, "section p.note").text == (
        texts.DASHBOARD_REPORT_CHOSEN)
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "ul.stories li a")] == [
        listed[1]]

    browser.find_element(By.CSS_SELECTOR, "form.report button.primary").click()  # a download
    got = await downloaded(downloads, ".pdf")
    text = lines(pdf_text(got, layout=False))
    flat = " ".join(text)
    for _, _, statement, _, _ in INDICATORS:
        assert statement in flat
    assert f"{texts.REPORT_ASKED} 5" in " ".join(lines(pdf_text(got)))
    assert texts.REPORT_STORIES_CHOSEN in flat
    stories = flat[flat.index(texts.REPORT_STORIES_CHOSEN):]
    assert DONE["ben"] in stories and DONE["ana"] not in stories

    browser.find_element(By.CSS_SELECTOR, "input[name=format][value=docx]").click()
    browser.find_element(By.CSS_SELECTOR, "form.report button.primary").click()
    got = await downloaded(downloads, ".docx")
    from docx import Document

    grid = Document(str(got)).tables[2]
    assert [c.text for c in grid.rows[0].cells] == list(texts.CYCLE_NAMES.values())

    # A period that can't be read: said, and nothing downloaded.
    browser.get(f"{server.base}/dashboard/c/{got.name.split('-')[1]}/report?since=soon&format=pdf")
    assert browser.find_element(By.CSS_SELECTOR, ".problem").text == (
        texts.DASHBOARD_REPORT_BAD_PERIOD)
