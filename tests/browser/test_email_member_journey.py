"""One member without Telegram, from the invitation to leaving, as it happens: a real SMTP server
on 127.0.0.1 (aiosmtpd) receives every email, a phone-sized headless Chromium opens their links,
and the scheduler's email run sends what falls due at the times the test gives it.

Ana is invited by a convener in Spanish; she agrees on her page, is asked after an event, tells
the whole story on her phone, is counted in the matrix and exported with channel web under her
pseudonym, is followed up on her plan, stops the emails and then leaves. Ben, asked the same,
does not finish and is reminded; Gaspar's mail server refuses him for good. Sam, in Telegram,
answers in the chat and on his own page and is one pseudonym. At the end no address is in any
export, page, audit entry or log line.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from flows import i18n, texts
from storage.db import Database
from storage.models import Consent, Member, MemberEmail, Membership, Narrative, utcnow
from tests import seed
from tests.browser.conftest import DashboardServer
from tests.browser.test_answers import PHONE, main_text, option, press, question, shoot, web, write
from tests.fakes import FakeSender
from tests.harness import Harness
from tests.mailserver import REFUSED, MailServer, running
from valuestory.mail import Mailer
from valuestory.mail import MailServer as Server
from valuestory.mail.sending import MailSender
from valuestory.process.settings import Settings
from valuestory.usecases import community_settings, conversation, exports, invitations, matrix, scheduler
from valuestory.usecases.scheduler import TickReport

Browser = Any
ANA = "ana.journey@example.net"
BEN = "ben.journey@example.net"
GASPAR = "gaspar.journey@example.net"
PLAN = "Probarla con mi equipo."
WORKER = "test-host:1:mail"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with running() as server:
        yield server


class Journey:
    """The mail server, the scheduler's email run against it, and every page the browser showed."""

    def __init__(self, db: Database, mail: MailServer, browser: Browser, base: str) -> None:
        self.db, self.mail, self.browser, self.base = db, mail, browser, base
        # A patient timeout: on a busy machine a slow answer is not a refusal to retry later.
        self.sender = MailSender(Mailer(Server.from_url(urlsplit(mail.url), timeout=60)),
                                 base=base, sender="Our CoP <valuestory@example.org>", rate=0)
        self.pages: list[str] = []

    async def run_scheduler(self, now: dt.datetime) -> TickReport:
        """One scheduler run at `now`, as the process runs it: plan (the Telegram tick, with no
        Telegram member to send to), then the email run."""
        telegram = FakeSender()
        await scheduler.tick(self.db, telegram, now)
        assert telegram.sent == []
        return await scheduler.send_emails(self.db, self.sender, now, worker=WORKER)

    def open(self, url: str) -> None:
        self.browser.get(url)
        self.seen()

    def press(self, label: str) -> None:
        press(self.browser, label)
        self.seen()

    def seen(self) -> None:
        self.pages.append(str(self.browser.page_source))

    def link(self, message: Any, path: str) -> str:
        found = re.search(re.escape(self.base) + "/" + path + r"/[A-Za-z0-9_-]+",
                          message.get_body(("plain",)).get_content())
        assert found, message.get_body(("plain",)).get_content()
        return found.group(0)


def _readable(path: Path) -> str:
    """Everything a file holds as text, the files inside a zip (XLSX, QDPX) included."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return path.read_text(encoding="utf-8", errors="replace")


async def _every_export(db: Database, folder: Path, label: str) -> dict[str, str]:
    """Every export format of everything, as text."""
    written = {}
    for fmt in exports.ExportFormat:
        path = folder / f"{label}{exports.SUFFIX[fmt]}"
        await exports.export(db, "test", fmt, path, exports.make_filter())
        written[fmt.value] = _readable(path)
    return written


async def _pseudonym(db: Database, address: str) -> str:
    async with db.session() as session:
        return (await session.scalars(
            select(Membership.pseudonym).join(MemberEmail, MemberEmail.member_id ==
                                              Membership.member_id)
            .where(MemberEmail.address == address))).one()


async def test_a_member_invited_by_email_answers_in_the_browser_from_invitation_to_leaving(
        db: Database, browser: Browser, server: DashboardServer, mail_server: MailServer,
        browser_settings: tuple[Settings, DashboardServer], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="valuestory")
    journey = Journey(db, mail_server, browser, server.base)
    es, page_es = texts.In("es"), web("es")
    browser.set_window_size(*PHONE)
    c = await seed.community(db, "Red de Cuidados", language="en")
    await community_settings.change(db, str(c.id), community_settings.Change(
        delay="0", quiet="off", reminder="1h", window="2d"), {}, actor="test")
    month_ago = utcnow() - dt.timedelta(days=30)
    await seed.email_member(db, c, BEN, "en", joined=month_ago)
    gaspar = await seed.email_member(db, c, GASPAR, "en", joined=month_ago)
    mail_server.refuse(GASPAR, REFUSED)

    # 1. A convener invites Ana, in Spanish, as `valuestory member invite --community ...
    #    --email ... --language es` does; the next email run sends her invitation.
    done = await invitations.invite(db, "Red de Cuidados", ANA, "es")
    assert (done.invited, done.already) == (1, 0)
    await journey.run_scheduler(utcnow())

    (invitation,) = mail_server.to(ANA)
    community = texts.isolate("Red de Cuidados")
    assert invitation["Subject"] == es.MAIL_INVITE_SUBJECT.format(community=community)
    plain, html = (invitation.get_body((k,)).get_content() for k in ("plain", "html"))
    assert es.MAIL_INVITE_BUTTON in plain and es.MAIL_INVITE_BUTTON in html
    link = journey.link(invitation, "answer")
    assert link in plain and link in html
    stop_link = journey.link(invitation, "unsubscribe")
    assert invitation["List-Unsubscribe"].strip() == f"<{stop_link}>"
    assert invitation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # 2. Her link opens the participant information, in Spanish; she agrees.
    journey.open(link)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
    assert "Red de Cuidados" in main_text(browser)
    shoot(browser, "journey-01-consent")
    journey.press(page_es["BTN_AGREE"])
    assert page_es["NOTHING_OPEN"] in main_text(browser)
    # Recorded as in Telegram: the version of the participant information she read, in Spanish
    # and in the page's words.
    async with db.session() as session:
        consent = (await session.execute(select(Consent.language, Consent.version).join(
            MemberEmail, MemberEmail.member_id == Consent.member_id)
            .where(MemberEmail.address == ANA))).one()
    front_end = i18n.FRONT_END.set("web")
    try:
        assert consent == ("es", conversation.consent_version("es", c.keep_audio))
    finally:
        i18n.FRONT_END.reset(front_end)

    # 3. An event is planned, ends, and the scheduler asks everyone by email.
    joined = utcnow()
    ends = joined + dt.timedelta(minutes=1)
    await seed.event(db, c, "Taller de triaje", (ends - dt.timedelta(hours=2)).isoformat(),
                     ends.isoformat())
    asked_at = ends + dt.timedelta(minutes=1)
    await journey.run_scheduler(asked_at)

    _, prompt = mail_server.to(ANA)
    event = texts.isolate("Taller de triaje")
    assert prompt["Subject"] == es.MAIL_PROMPT_SUBJECT.format(event=event)
    assert es.MAIL_PROMPT_BODY.format(event=event) in prompt.get_body(("plain",)).get_content()
    assert [m["Subject"] for m in mail_server.to(BEN)][-1] == texts.In("en").MAIL_PROMPT_SUBJECT \
        .format(event=event)

    # 4. Gaspar's server refused him for good: he is unreachable, and nothing reached him.
    assert mail_server.to(GASPAR) == []
    async with db.session() as session:
        member = await session.get(Member, gaspar)
        assert member is not None and member.unreachable_at is not None

    # 5. Ana tells the whole story on her phone, from the prompt's link.
    journey.open(journey.link(prompt, "answer"))
    assert "Taller de triaje" in question(browser)
    shoot(browser, "journey-02-first-question")
    journey.press(option("es", "attended", "yes"))
    assert page_es["ASK_TEXT_HINT"] in main_text(browser)
    for words in ("Escuchar cómo otro equipo hace el triaje.", "Me sentí escuchada."):
        write(browser, words)
        journey.press(page_es["BTN_NEXT"])
    journey.press(option("es", "potential.capitals", "human"))
    journey.press(option("es", "potential.capitals", "tangible"))
    picked = browser.find_elements(By.CSS_SELECTOR, "button.option[aria-pressed='true']")
    assert len(picked) == 2
    shoot(browser, "journey-03-several")
    journey.press(page_es["BTN_DONE"])
    for words in ("Una forma más rápida de dar el relevo.", "Una plantilla para el traspaso."):
        write(browser, words)
        journey.press(page_es["BTN_NEXT"])
    assert "Mirando adelante" in question(browser) and "7 de 7" in main_text(browser)
    write(browser, PLAN)
    journey.press(page_es["BTN_NEXT"])
    assert page_es["THANKS"] in main_text(browser)  # the recap, with what she said
    assert PLAN in main_text(browser) and "Me sentí escuchada." in main_text(browser)
    shoot(browser, "journey-04-recap")

    # 6. Stored, counted in the matrix (what `matrix --json` prints), and exported with channel
    #    web under her pseudonym.
    built = await matrix.for_community(db, "Red de Cuidados", "", utcnow())
    assert built.contributors == 1 and built.intended.narratives == 1
    cells = {col.cycle: col.narratives for col in built.columns}
    assert (cells["immediate"], cells["potential"], sum(cells.values())) == (2, 2, 4)
    assert built.plans.made == 1
    csv_path = tmp_path / "story.csv"
    await exports.export(db, "test", exports.ExportFormat.CSV, csv_path,
                         await exports.choose(db, "Red de Cuidados"))
    with csv_path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    pseudonym = await _pseudonym(db, ANA)
    assert {r["pseudonym"] for r in rows} == {pseudonym}
    assert {r["channel"] for r in rows} == {"web"}
    assert any(r["answer"] == PLAN for r in rows)

    # 7. Ben did not answer: an hour on, one reminder reaches him, none Ana.
    reminded = await journey.run_scheduler(asked_at + dt.timedelta(hours=1, minutes=1))
    assert reminded.reminded == 1
    assert mail_server.to(BEN)[-1]["Subject"] == texts.In("en").MAIL_REMINDER_SUBJECT.format(
        event=event)
    assert len(mail_server.to(ANA)) == 2

    # 8. Weeks later, the follow-up quotes her plan to her, and to no one else.
    followed = ends + dt.timedelta(days=c.followup_applied_days, minutes=1)
    await journey.run_scheduler(followed)
    followup = mail_server.to(ANA)[-1]
    assert followup["Subject"] == es.MAIL_FOLLOWUP_SUBJECT.format(event=event)
    assert f"> {PLAN}" in followup.get_body(("plain",)).get_content()
    assert all(PLAN not in m.as_string() for m in mail_server.to(BEN))

    # 9. She stops the emails from the follow-up's link: paused, nothing more reaches her,
    #    though Ben is asked about the next event.
    journey.open(journey.link(followup, "unsubscribe"))
    shoot(browser, "journey-05-unsubscribe")
    journey.press(es.MAIL_STOP)
    assert es.UNSUBSCRIBED.split(":")[0] in main_text(browser)
    emailed = len(mail_server.to(ANA))
    after = followed + dt.timedelta(hours=1)
    await seed.event(db, c, "Sesión de invierno", (after - dt.timedelta(hours=1)).isoformat(),
                     after.isoformat())
    await journey.run_scheduler(after + dt.timedelta(minutes=1))
    assert len(mail_server.to(ANA)) == emailed
    assert mail_server.to(BEN)[-1]["Subject"] == texts.In("en").MAIL_PROMPT_SUBJECT.format(
        event=texts.isolate("Sesión de invierno"))
    async with db.session() as session:
        paused = await session.scalar(select(Member.paused).join(
            MemberEmail, MemberEmail.member_id == Member.id).where(MemberEmail.address == ANA))
        assert paused is True

    # 10. Before she leaves, every export, the audit log, the log and the pages she saw.
    before = await _every_export(db, tmp_path, "before")
    assert any(PLAN in w for w in before.values())

    # 11. Her data on her page, then she leaves from it: her narratives and her address are
    #     erased.
    journey.open(link)
    browser.find_element(By.LINK_TEXT, page_es["WEB_MYDATA"]).click()
    journey.seen()
    assert PLAN in main_text(browser) and pseudonym in main_text(browser)
    shoot(browser, "journey-06-mydata")
    journey.open(link)
    browser.find_element(By.LINK_TEXT, page_es["WEB_WITHDRAW"]).click()
    journey.seen()
    journey.press(page_es["BTN_WITHDRAW_YES"])
    assert page_es["WITHDRAWN_ALL"] in main_text(browser)
    shoot(browser, "journey-07-left")
    async with db.session() as session:
        addresses = (await session.scalars(select(MemberEmail.address))).all()
        told = (await session.scalars(select(Narrative.text))).all()
    assert ANA not in addresses and sorted(addresses) == sorted([BEN, GASPAR])
    assert PLAN not in told
    after_leaving = await _every_export(db, tmp_path, "after")
    assert all(PLAN not in w and pseudonym not in w for w in after_leaving.values())

    # 12. The same member in Telegram and on the web is one pseudonym: Sam tells one event's
    #     story in the chat, then gets his own page with /link and tells another's there.
    #     (The bot starts only now: from here no scheduler run is driven.)
    bot = Harness(browser_settings[0], db)
    await bot.start()
    try:
        first = await seed.event(db, c, "Ronda de noche")
        second = await seed.event(db, c, "Huddle de primavera")
        sam = await seed.join(bot.person(701), c)
        await seed.open_prompt(db, sam, first)
        await seed.tell(sam, "Hearing how the other team triages at night.")
        (said,) = await sam.say("/link")
        found = re.search(re.escape(server.base) + r"/answer/[A-Za-z0-9_-]+", said)
        assert found, said
        await seed.open_prompt(db, sam, second)
        journey.open(found.group(0))
        assert "Huddle de primavera" in question(browser)
        journey.press(option("en", "attended", "yes"))
        write(browser, "A handover checklist we tried the next day.")
        journey.press(web("en")["BTN_NEXT"])
        journey.press(web("en")["BTN_STOP"])
        assert web("en")["STOPPED"] in main_text(browser)
    finally:
        await bot.stop()
    await exports.export(db, "test", exports.ExportFormat.CSV, csv_path,
                         await exports.choose(db, "Red de Cuidados"))
    with csv_path.open(encoding="utf-8-sig") as fh:
        rows = [r for r in csv.DictReader(fh) if r["event"] in ("Ronda de noche",
                                                               "Huddle de primavera")]
    assert len({r["pseudonym"] for r in rows}) == 1
    assert {(r["event"], r["channel"]) for r in rows} == {
        ("Ronda de noche", "telegram"), ("Huddle de primavera", "web")}
    built = await matrix.for_community(db, "Red de Cuidados", "", utcnow())
    assert built.contributors == 1  # Sam alone now that Ana left; Ben and Gaspar told nothing
    assert {col.cycle: col.narratives for col in built.columns}["immediate"] == 2

    audit = json.dumps(await exports.audit_entries(db), default=str)
    # What the product logged; the test's own mail server (aiosmtpd's "mail.log") stands for
    # the members' mail providers, which see their addresses.
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records
                       if not r.name.startswith("mail.log"))
    assert "invited by email" in logged and "a member stopped their emails" in logged
    searched = {**{f"export {k}": v for k, v in before.items()},
                **{f"export {k} after leaving": v for k, v in after_leaving.items()},
                "audit log": audit, "log": logged,
                **{f"page {n}": p for n, p in enumerate(journey.pages)}}
    for where, content in searched.items():
        for address in (ANA, BEN, GASPAR):
            assert address not in content, f"{address} in the {where}"
            assert address.split("@")[0] not in content, f"{address} in the {where}"
