"""A convener invites members without Telegram from the dashboard's Events page: addresses one
a line, a mistake said as a form says it, and counts, never the addresses, shown after."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from sqlalchemy import select

from flows import texts
from storage.models import Invitation, Member, MemberEmail
from tests import seed
from tests.browser.conftest import DashboardServer
from tests.browser.test_answers import shoot
from tests.browser.test_dashboard import click, link_for, sign_in
from tests.harness import Harness


def _invite(browser: Any, typed: str) -> None:
    box = browser.find_element(By.ID, "addresses")
    box.clear()
    box.send_keys(typed)
    form = box.find_element(By.XPATH, "./ancestor::form")
    click(browser, form.find_element(By.CSS_SELECTOR, "button.primary"))


async def test_a_convener_invites_members_by_email_from_the_events_page(
        bot: Harness, server: DashboardServer, browser: Any) -> None:
    c = await seed.community(bot.db, "Frailty")
    await seed.grant(bot.db, 7400, "convener", c)
    sign_in(browser, await link_for(bot.person(7400)))
    browser.get(f"{server.base}/dashboard/c/{c.id}/events")

    _invite(browser, "ana@example.net\nnot an address")
    problem = browser.find_element(By.CSS_SELECTOR, "p.problem").text
    _invite(browser, "ana@example.net\nben@example.net, es\nANA@example.net")
    notice = browser.find_element(By.CSS_SELECTOR, "p.notice").text
    shoot(browser, "dashboard-invited")

    assert problem.startswith("Line 2 is not an email address"), problem
    assert notice == texts.DASHBOARD_INVITED.format(invited=2, already=1)
    assert "@" not in browser.find_element(By.TAG_NAME, "main").text
    async with bot.db.session() as session:
        kept = (await session.execute(
            select(MemberEmail.address, Member.language).join(
                Member, Member.id == MemberEmail.member_id).order_by(MemberEmail.id))).all()
        queued = (await session.scalars(select(Invitation.status))).all()
    assert [tuple(k) for k in kept] == [("ana@example.net", "en"), ("ben@example.net", "es")]
    assert queued == ["due", "due"]
