"""The dashboard's words: counts in the singular when they are one, a form's mistakes said as a
form says them, and what a past event nobody was asked about is still waiting for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from selenium.webdriver.common.by import By

from flows import texts
from storage.models import utcnow
from tests import seed
from tests.browser.conftest import DashboardServer
from tests.browser.test_dashboard import click, link_for, past_event, sign_in
from tests.harness import Harness


async def test_counts_of_one_are_singular_forms_speak_as_forms_and_past_events_say_what_comes(
        bot: Harness, server: DashboardServer, browser: Any) -> None:
    c = await seed.community(bot.db, "Singular Network")
    told = await past_event(bot.db, c, "Case review", 3)
    member = bot.person(7301)
    await seed.join(member, c)
    await seed.open_prompt(bot.db, member, told)
    await seed.tell(member, "The debrief idea")
    await seed.grant(bot.db, 7300, "convener", c)

    sign_in(browser, await link_for(bot.person(7300)))
    click(browser, browser.find_element(By.LINK_TEXT, "Singular Network"))
    summary = browser.find_element(By.CSS_SELECTOR, "p.summary").text
    note = browser.find_element(By.CSS_SELECTOR, "p.note.participation").text
    assert "from 1 member," in summary and "1 narrative " in summary, summary
    assert note.startswith("1 event;") and "0 members" in note, note

    # One past event whose questions went out with nobody to ask, one whose questions are due.
    now = utcnow()
    await past_event(bot.db, c, "Old huddle", 2)
    await seed.event(bot.db, c, "Just ended", now - dt.timedelta(hours=2),
                     now - dt.timedelta(minutes=5))
    browser.get(f"{server.base}/dashboard/c/{c.id}/events")
    past = {li.find_element(By.TAG_NAME, "b").text: li.text
            for li in browser.find_elements(By.CSS_SELECTOR, "#past ~ ul li.event")}
    assert past["Old huddle"].endswith(texts.DASHBOARD_NOBODY_WILL_BE_ASKED), past
    assert texts.DASHBOARD_ASKED_LATER.partition("{when}")[0] in past["Just ended"], past

    form = browser.find_element(By.CSS_SELECTOR, "form.stack")
    form.find_element(By.ID, "title").send_keys("Spring session")
    form.find_element(By.ID, "starts").send_keys("next tuesday")
    click(browser, form.find_element(By.CSS_SELECTOR, "button.primary"))
    problem = browser.find_element(By.CSS_SELECTOR, "p.problem").text
    assert texts.EVENT_BAD_START.partition(".")[0] in problem and "send" not in problem.lower(), problem
