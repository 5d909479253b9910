"""The link in every email stops the emails: a person opens it and presses the button (a phone-
sized Chromium), or their mail client posts its one-click unsubscribe (RFC 8058); either way
the member is paused, and an unknown link opens nothing."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx
from selenium.webdriver.common.by import By

from flows import texts
from storage.db import Database
from storage.models import utcnow
from tests import seed
from tests.browser.conftest import DashboardServer
from tests.browser.test_answers import PHONE, main_text, press, shoot
from tests.mailserver import running
from valuestory.mail import Mailer
from valuestory.mail import MailServer as Server
from valuestory.mail.sending import MailSender
from valuestory.usecases import emails, scheduler

Browser = Any


async def _emailed(db: Database, base: str, addresses: list[str], language: str) -> list[str]:
    """Members invited by email and their invitations sent; the stop link each one got."""
    c = await seed.community(db, "Red de Cuidados", language=language)
    for address in addresses:
        await seed.email_member(db, c, address, language)
    with running() as mail:
        sender = MailSender(Mailer(Server.from_url(urlsplit(mail.url), timeout=5)), base=base,
                            sender="Our CoP <valuestory@example.org>", rate=0)
        await scheduler.send_emails(db, sender, utcnow(), worker="test-host:1:mail")
        links = []
        for address in addresses:
            (email,) = mail.to(address)
            found = re.search(re.escape(base) + r"/unsubscribe/[A-Za-z0-9_-]+",
                              email.get_body(("plain",)).get_content())
            assert found
            assert email["List-Unsubscribe"].strip() == f"<{found.group(0)}>"
            links.append(found.group(0))
    return links


async def test_a_member_stops_the_emails_from_the_link_and_is_paused(
        browser: Browser, server: DashboardServer, db: Database) -> None:
    (link,) = await _emailed(db, server.base, ["ana@example.net"], "es")
    t = texts.In("es")
    browser.set_window_size(*PHONE)

    browser.get(link)
    asked = main_text(browser)
    shoot(browser, "unsubscribe-es")
    press(browser, t.MAIL_STOP)
    done = main_text(browser)
    shoot(browser, "unsubscribed-es")
    browser.get(link)  # again, later: still stopped, said the same way

    assert asked.startswith(t.UNSUBSCRIBE_ASK.split("?")[0])
    assert t.UNSUBSCRIBED.split(":")[0] in done
    assert main_text(browser) == done
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
    token = link.rsplit("/", 1)[1]
    assert await emails.stopping(db, token) == emails.Stopping("es", stopped=True)


async def test_a_mail_clients_one_click_unsubscribe_pauses_the_member_without_a_page(
        server: DashboardServer, db: Database) -> None:
    link, other = await _emailed(db, server.base, ["ana@example.net", "ben@example.net"], "pl")
    async with httpx.AsyncClient() as client:
        clicked = await client.post(link, content=b"List-Unsubscribe=One-Click", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        unknown = await client.post(server.base + "/unsubscribe/" + "x" * 32,
                                    content=b"List-Unsubscribe=One-Click", headers={
                                        "Content-Type": "application/x-www-form-urlencoded"})
        opened = await client.get(server.base + "/unsubscribe/" + "x" * 32)

    assert clicked.status_code == 200 and texts.In("pl").UNSUBSCRIBED.split(":")[0] in clicked.text
    assert unknown.status_code == opened.status_code == 404
    assert await emails.stopping(db, link.rsplit("/", 1)[1]) == emails.Stopping("pl", True)
    assert await emails.stopping(db, other.rsplit("/", 1)[1]) == emails.Stopping("pl", False)
