"""A convener makes or stops a member's own link from the dashboard's Events page, by the
member's pseudonym: the new link shown once, on the page the form answers with; someone who does
not convene the community can do neither."""

from __future__ import annotations

import re
from typing import Any

from selenium.webdriver.common.by import By
from sqlalchemy import select

from flows import texts
from storage.models import Membership
from tests import seed
from tests.browser.conftest import DashboardServer
from tests.browser.test_answers import shoot
from tests.browser.test_dashboard import click, link_for, sign_in
from tests.harness import Harness
from valuestory.usecases import web_answers


def _send(browser: Any, pseudonym: str, button: str) -> None:
    box = browser.find_element(By.ID, "pseudonym")
    box.clear()
    box.send_keys(pseudonym)
    form = box.find_element(By.XPATH, "./ancestor::form")
    click(browser, form.find_element(By.CSS_SELECTOR, f'button[value="{button}"]'))


async def test_a_convener_makes_and_stops_a_members_link_by_pseudonym(
        bot: Harness, server: DashboardServer, browser: Any) -> None:
    c = await seed.community(bot.db, "Frailty")
    await seed.grant(bot.db, 7500, "convener", c)
    await seed.member(bot.db, c, 7501)
    async with bot.db.session() as session:
        pseudonym = (await session.scalars(select(Membership.pseudonym))).one()
    sign_in(browser, await link_for(bot.person(7500)))
    browser.get(f"{server.base}/dashboard/c/{c.id}/events")

    _send(browser, "P-NOONE", "make")
    problem = browser.find_element(By.CSS_SELECTOR, "p.problem").text
    assert problem.startswith("There is no member P-NOONE in Frailty"), problem

    _send(browser, pseudonym.lower(), "make")
    notice = browser.find_element(By.CSS_SELECTOR, "p.notice").text
    shoot(browser, "dashboard-member-link")
    found = re.search(r"http://127\.0\.0\.1:\d+/answer/([A-Za-z0-9_-]+)", notice)
    assert found is not None and notice.startswith(f"{pseudonym}'s new link"), notice
    assert isinstance(await web_answers.page(bot.db, found.group(1)), web_answers.Page)

    _send(browser, pseudonym, "revoke")
    notice = browser.find_element(By.CSS_SELECTOR, "p.notice").text
    assert notice == texts.DASHBOARD_MEMBER_LINKS_REVOKED.format(pseudonym=pseudonym, count=1)
    assert isinstance(await web_answers.page(bot.db, found.group(1)), web_answers.Refused)

    # Only a convener of the community (or an admin) may: a member of it may not.
    assert await web_answers.make_for(bot.db, 7501, frozenset(), c.id, pseudonym,
                                      server.base) is None
    assert await web_answers.revoke_for(bot.db, 7501, frozenset(), c.id, pseudonym) is None
