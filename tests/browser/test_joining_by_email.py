"""Someone without Telegram joins from a community's invite by email, on a phone-sized
Chromium: they give an address, confirm it from the email a real SMTP server on 127.0.0.1
received, and land on their own page, which asks their consent. A used link opens nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from flows import texts
from storage.db import Database
from storage.models import Member, MemberEmail
from tests import seed
from tests.browser.conftest import DashboardServer, need_a_browser
from tests.browser.test_answers import PHONE, main_text, press, shoot, web
from tests.mailserver import MailServer, running
from valuestory.mail import Mailer
from valuestory.mail import MailServer as Server
from valuestory.mail.sending import MailSender
from valuestory.process.settings import Settings

Browser = Any


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with running() as server:
        yield server


@pytest.fixture
def pages(settings: Settings, mail: MailServer) -> Iterator[DashboardServer]:
    """The members' pages, sending the emails they send through the test's mail server."""
    need_a_browser()
    server = DashboardServer(settings.database_url, settings)
    server.settings = settings.with_changes(public_url=server.base)
    server.letters = MailSender(Mailer(Server.from_url(urlsplit(mail.url), timeout=5)),
                                base=server.base, sender="Our CoP <valuestory@example.org>",
                                rate=0)
    server.start()
    yield server
    server.stop()


def _type(browser: Browser, address: str) -> None:
    field = browser.find_element(By.ID, "address")
    field.clear()
    field.send_keys(address)


async def test_someone_joins_by_email_confirms_the_address_and_is_asked_their_consent(
        any_browser: Browser, pages: DashboardServer, mail: MailServer, db: Database) -> None:
    browser = any_browser
    c = await seed.community(db, "Red de Cuidados", language="es")
    t = texts.In("es")
    browser.set_window_size(*PHONE)

    browser.get(f"{pages.base}/join/{c.invite_code}?lang=es")
    shoot(browser, "join-es")
    asked = main_text(browser)
    _type(browser, "ana@example")  # a browser takes it; a mail server would not
    press(browser, t.JOIN_SEND)
    refused = main_text(browser)
    _type(browser, "ana@example.net")
    press(browser, t.JOIN_SEND)
    shoot(browser, "join-sent-es")
    sent = main_text(browser)

    assert t.JOIN_TITLE.format(community="Red de Cuidados") in asked
    assert t.JOIN_BAD_ADDRESS in refused
    assert t.JOIN_SENT.split("!")[0] in sent
    (email,) = mail.to("ana@example.net")
    assert email["Subject"] == t.MAIL_CONFIRM_SUBJECT.format(
        community=texts.isolate("Red de Cuidados"))
    found = re.search(re.escape(pages.base) + r"/join/confirm/[A-Za-z0-9_-]+",
                      email.get_body(("plain",)).get_content())
    assert found
    async with db.session() as session:  # nothing kept of the address until it is confirmed
        assert (await session.scalars(select(MemberEmail))).all() == []

    browser.get(found.group(0))
    shoot(browser, "join-confirm-es")
    press(browser, t.JOIN_CONFIRM)

    assert "/answer/" in browser.current_url
    assert web("es")["BTN_AGREE"] in [b.text for b in browser.find_elements(By.TAG_NAME, "button")]
    async with db.session() as session:
        kept = (await session.execute(
            select(MemberEmail.address, MemberEmail.confirmed_at, Member.channel,
                   Member.language).join(Member, Member.id == MemberEmail.member_id))).one()
    assert kept[0] == "ana@example.net" and kept[1] is not None and kept[2:] == ("email", "es")

    # Used, it opens nothing now; nor does an invite that never was (said in the browser's
    # language, as whose they are is not known).
    browser.get(found.group(0))
    assert main_text(browser) == texts.In("en").JOIN_EXPIRED
    browser.get(f"{pages.base}/join/not-an-invite")
    assert main_text(browser) == web("en")["WEB_LINK_GONE"]
