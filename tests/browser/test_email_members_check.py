"""The members' check reaches members asked by email: a convener shares the indicators, the
scheduler's email run sends each email member one email (a real SMTP server on 127.0.0.1) in
their language with their own link, and they answer on their page in a phone-sized headless
Chromium, one statement at a time. A member in Telegram answers in the chat. Their answers are
stored as Telegram's are, so `indicator list --json` counts all three alike. Screenshots of the
page (390 and 1280 px) and of the email as a mail client shows it are kept for a person to see.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from selenium.webdriver.common.by import By

from flows import i18n, texts
from storage.db import Database
from tests import seed
from tests.browser.conftest import DashboardServer
from tests.browser.test_answers import PHONE, SHOTS, main_text, shoot
from tests.browser.test_email_member_journey import Journey
from tests.clock import tick
from tests.harness import Harness
from tests.mailserver import MailServer, running
from valuestory.cli import main
from valuestory.process.settings import Settings
from valuestory.usecases import checking, community_settings, indicators, scheduler
from valuestory.usecases.times import utcnow

Browser = Any
ANA = "ana.check@example.net"
BEN = "ben.check@example.net"
SAFE = "It's a safe space to ask questions"
CONFIDENT = "Members have more confidence in their practice"
ANA_SAID = "Pregunté por primera vez sin miedo."
WORKER = "test-host:1:mail"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with running() as server:
        yield server


def web_words(language: str) -> dict[str, str]:
    """The check's texts as the members' pages say them (their own wording where it differs)."""
    token = i18n.FRONT_END.set("web")
    try:
        t = texts.In(language)
        return {name: getattr(t, name) for name in ("CHECK_INTRO", "CHECK_THANKS")}
    finally:
        i18n.FRONT_END.reset(token)


def statement_shown(browser: Browser) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, ".statement").text)


def look_at_email(browser: Browser, message: Any, name: str) -> str:
    """The email's HTML part as a mail client shows it: written to a file, opened, shot."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    html = message.get_body(("html",)).get_content()
    path = SHOTS / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    browser.get(path.as_uri())
    shoot(browser, name)
    return str(html)


async def test_members_asked_by_email_check_on_their_page_and_are_counted_as_in_telegram(
        db: Database, bot: Harness, browser: Browser, server: DashboardServer,
        mail_server: MailServer, browser_settings: tuple[Settings, DashboardServer]) -> None:
    es, en = texts.In("es"), texts.In("en")
    browser.set_window_size(*PHONE)
    c = await seed.community(db, "Red de Cuidados", language="en")
    await community_settings.change(db, str(c.id), community_settings.Change(quiet="off"), {},
                                    actor="test")
    await indicators.add(db, indicators.COMMAND_LINE, c.name, "potential", CONFIDENT)
    await indicators.add(db, indicators.COMMAND_LINE, c.name, "immediate", SAFE)
    await seed.email_member(db, c, ANA, "es")
    await seed.email_member(db, c, BEN, "en")
    alex = await seed.join(bot.person(7601, "Alex"), c)

    # 1. A convener shares the indicators; the scheduler asks Alex in Telegram and Ana and Ben
    #    by email, each once.
    shared = await checking.share_from_command_line(db, c.name, "test")
    assert (shared.members, shared.statements) == (3, 2)
    journey = Journey(db, mail_server, browser, server.base)
    now = utcnow()
    telegram = await tick(bot, now)
    emailed = await scheduler.send_emails(db, journey.sender, now, worker=WORKER)
    assert telegram.checks_sent == 1 and emailed.checks_sent == 2
    assert alex.last.buttons() == [en.BTN_RINGS_TRUE, en.BTN_NOT_FOR_ME, en.BTN_SKIP]

    # Each gets the check's email once, after the invitation the convener's `invite` sent.
    community = texts.isolate(c.name)
    for address, t in ((ANA, es), (BEN, en)):
        assert [m["Subject"] for m in mail_server.to(address)] == [
            t.MAIL_INVITE_SUBJECT.format(community=community),
            t.MAIL_CHECK_SUBJECT.format(community=community)]
    to_ana, to_ben = mail_server.to(ANA)[-1], mail_server.to(BEN)[-1]
    assert to_ana["Content-Language"] == "es"
    plain = to_ana.get_body(("plain",)).get_content()
    assert es.MAIL_CHECK_BODY.format(community=community) in plain
    link = journey.link(to_ana, "answer")
    assert link + "/check" in plain
    stop_link = journey.link(to_ana, "unsubscribe")
    assert to_ana["List-Unsubscribe"].strip() == f"<{stop_link}>"
    assert to_ana["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The statements are on the page, not in the email.
    for message in (to_ana, to_ben):
        assert SAFE not in message.as_string() and CONFIDENT not in message.as_string()
    html = look_at_email(browser, to_ana, "check-email-es")
    assert es.MAIL_CHECK_BUTTON in html and link + "/check" in html

    # 2. Ana opens her page (as from any email of hers): it points her to the check, which is
    #    in Spanish, one statement at a time.
    journey.open(link)
    assert es.WEB_CHECK_OPEN in main_text(browser)
    shoot(browser, "check-00-pointed-to-es")
    browser.find_element(By.LINK_TEXT, es.WEB_CHECK_GO).click()
    journey.seen()
    assert browser.current_url == link + "/check"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
    page_es = web_words("es")
    assert browser.find_element(By.TAG_NAME, "h1").text == es.WEB_CHECK_TITLE
    assert page_es["CHECK_INTRO"].split("{community}")[0].strip() in main_text(browser)
    assert SAFE in statement_shown(browser) and "1 de 2" in statement_shown(browser)
    shoot(browser, "check-01-first-statement-es")
    browser.find_element(By.ID, "sentence").send_keys(ANA_SAID)
    journey.press(es.BTN_RINGS_TRUE)
    assert CONFIDENT in statement_shown(browser) and "2 de 2" in statement_shown(browser)
    assert browser.find_element(By.ID, "sentence").get_attribute("value") == ""
    journey.press(es.BTN_NOT_FOR_ME)
    assert page_es["CHECK_THANKS"] in main_text(browser)
    shoot(browser, "check-02-thanks-es")

    # 3. Ben, in English: skips the first, it rings true the second.
    journey.open(journey.link(to_ben, "answer") + "/check")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    shoot(browser, "check-03-first-statement-en")
    journey.press(en.BTN_SKIP)
    journey.press(en.BTN_RINGS_TRUE)
    assert web_words("en")["CHECK_THANKS"] in main_text(browser)

    # 4. Alex, in Telegram: it rings true the first, not the second.
    await alex.tap(en.BTN_RINGS_TRUE)
    await alex.tap(en.BTN_NEXT)
    await alex.tap(en.BTN_NOT_FOR_ME)
    await alex.tap(en.BTN_NEXT)
    assert alex.last.text == en.CHECK_THANKS

    # 5. Counted alike: three asked, and what each said, as a script reads them.
    listed = await asyncio.to_thread(
        CliRunner().invoke, main, ["indicator", "list", "--community", c.name, "--json"],
        env={"DATABASE_URL": browser_settings[0].database_url})
    assert listed.exit_code == 0, listed.output
    found = json.loads(listed.output)["indicators"]
    assert {i["statement"]: i["check"] for i in found} == {
        SAFE: {"asked": 3, "agreed": 2, "disagreed": 0},
        CONFIDENT: {"asked": 3, "agreed": 1, "disagreed": 2}}
    assert {i["statement"]: [(x["said"], x["text"]) for x in i["comments"]] for i in found} == {
        SAFE: [("agreed", ANA_SAID)], CONFIDENT: []}

    # 6. Asked once: a later run sends nobody anything more, and the page, opened again, says
    #    she has answered everything.
    later = await scheduler.send_emails(db, journey.sender, utcnow(), worker=WORKER)
    assert later.checks_sent == 0
    assert (len(mail_server.to(ANA)), len(mail_server.to(BEN))) == (2, 2)
    journey.open(link + "/check")
    assert page_es["CHECK_THANKS"] in main_text(browser)
    journey.open(link)
    assert es.WEB_CHECK_OPEN not in main_text(browser)


def _form_value(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def test_the_check_page_works_without_javascript_and_takes_only_its_members_forms(
        db: Database, server: DashboardServer, mail_server: MailServer) -> None:
    c = await seed.community(db, "Red de Cuidados")
    await community_settings.change(db, str(c.id), community_settings.Change(quiet="off"), {},
                                    actor="test")
    await indicators.add(db, indicators.COMMAND_LINE, c.name, "immediate", SAFE)
    await seed.email_member(db, c, ANA, "en")
    await seed.email_member(db, c, BEN, "en")
    await checking.share_from_command_line(db, c.name, "test")
    journey = Journey(db, mail_server, None, server.base)
    await scheduler.send_emails(db, journey.sender, utcnow(), worker=WORKER)
    ana, ben = (journey.link(mail_server.to(a)[-1], "answer") + "/check" for a in (ANA, BEN))
    en = texts.In("en")

    async with httpx.AsyncClient() as browser, httpx.AsyncClient() as other:
        shown = await browser.get(ana)
        assert shown.status_code == 200 and html.escape(SAFE) in shown.text
        answer, xsrf = _form_value(shown.text, "answer"), _form_value(shown.text, "_xsrf")
        # A form with no token from the page is refused, and changes nothing.
        forged = await other.post(ana, data={"answer": answer, "do": "t"})
        assert forged.status_code == 403
        # Ben's link cannot answer Ana's statement.
        ben_page = await other.get(ben)
        await other.post(ben, data={"answer": answer, "do": "t",
                                    "_xsrf": _form_value(ben_page.text, "_xsrf")})
        # Ana's form, as a browser without JavaScript sends it: then the page again.
        sent = await browser.post(ana, data={"answer": answer, "do": "n", "_xsrf": xsrf,
                                             "sentence": "Not in my shift."})
        assert sent.status_code == 303 and sent.headers["Location"].endswith("/check")
        # Sent twice (the back button): the first answer stands.
        await browser.post(ana, data={"answer": answer, "do": "t", "_xsrf": xsrf})
        done = await browser.get(ana)
    assert web_words("en")["CHECK_THANKS"] in done.text
    assert en.BTN_RINGS_TRUE not in done.text
    (listed,) = await indicators.listing(db, c.name)
    assert listed.to_dict()["check"] == {"asked": 2, "agreed": 0, "disagreed": 1}
    assert [(x["said"], x["text"]) for x in listed.to_dict()["comments"]] == [
        ("disagreed", "Not in my shift.")]
