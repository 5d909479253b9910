"""A member who stopped the emails starts them again on their own page: Your data says the
emails are stopped, and Email me again undoes the stop (they are no longer paused), so the next
scheduler run asks them about the last event by email (a real SMTP server on 127.0.0.1, a
phone-sized Chromium).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from flows import texts
from storage.db import Database
from tests import seed
from tests.browser.conftest import DashboardServer
from tests.browser.test_answers import PHONE, main_text, shoot
from tests.browser.test_email_member_journey import Journey
from tests.mailserver import MailServer, running
from valuestory.usecases import community_settings, emails, web_answers
from valuestory.usecases.emails import on_page
from valuestory.usecases.times import utcnow

Browser = Any
ANA = "ana.again@example.net"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with running() as server:
        yield server


def setting(browser: Browser) -> str:
    return str(browser.find_element(By.ID, "emails").text)


async def test_a_member_who_stopped_the_emails_starts_them_again_on_their_page(
        db: Database, browser: Browser, server: DashboardServer,
        mail_server: MailServer) -> None:
    es = texts.In("es")
    browser.set_window_size(*PHONE)
    journey = Journey(db, mail_server, browser, server.base)
    c = await seed.community(db, "Red de Cuidados", language="es")
    await community_settings.change(db, str(c.id), community_settings.Change(
        delay="0", quiet="off", reminder="1d", window="2d"), {}, actor="test")
    await seed.email_member(db, c, ANA, "es", joined=utcnow() - dt.timedelta(days=30))
    await journey.run_scheduler(utcnow())
    (invitation,) = mail_server.to(ANA)
    page = journey.link(invitation, "answer")

    # Her data says she is emailed after events, with a way to stop it.
    journey.open(page + "/mydata")
    assert es.WEB_EMAILS_ON in setting(browser)
    browser.find_element(By.LINK_TEXT, es.MAIL_STOP).click()
    journey.seen()
    journey.press(es.MAIL_STOP)
    assert es.UNSUBSCRIBED in main_text(browser)

    # Stopped: the next event's questions do not reach her.
    now = utcnow()
    await seed.event(db, c, "Taller de otoño", (now - dt.timedelta(hours=2)).isoformat(),
                     (now - dt.timedelta(minutes=1)).isoformat())
    await journey.run_scheduler(now)
    assert len(mail_server.to(ANA)) == 1

    # On her page, she starts them again.
    journey.open(page + "/mydata")
    assert es.WEB_EMAILS_STOPPED in setting(browser)
    shoot(browser, "emails-stopped-es")
    journey.press(es.WEB_EMAILS_RESUME)
    assert es.WEB_EMAILS_ON in setting(browser)
    shoot(browser, "emails-again-es")

    # And the next scheduler run asks her about the event, as it asks every member it may.
    await journey.run_scheduler(now + dt.timedelta(minutes=5))
    assert [m["Subject"] for m in mail_server.to(ANA)][1:] == [
        es.MAIL_PROMPT_SUBJECT.format(event=texts.isolate("Taller de otoño"))]


async def test_a_revoked_link_can_stop_the_emails_but_never_start_them_again(
        db: Database, server: DashboardServer, mail_server: MailServer) -> None:
    c = await seed.community(db, "Red de Cuidados", language="es")
    await seed.email_member(db, c, ANA, "es")
    journey = Journey(db, mail_server, None, server.base)
    await journey.run_scheduler(utcnow())
    (invitation,) = mail_server.to(ANA)
    token = journey.link(invitation, "answer").rsplit("/", 1)[1]
    await web_answers.revoke(db, "Red de Cuidados", link=token)
    assert await emails.unsubscribe(db, token) is not None
    assert await on_page.start_again(db, token) is False
    assert await on_page.setting(db, token) is None
    assert await emails.stopping(db, token) == emails.Stopping("es", stopped=True)
