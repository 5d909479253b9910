"""The members' check by email: each member asked by email gets one email about it (a real SMTP
server on 127.0.0.1), through the same claims as Telegram's check, and none once they stopped
the emails."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from urllib.parse import urlsplit

from sqlalchemy import select

from flows import texts
from storage.db import Database
from storage.models import Check, CheckStatus, Delivery, Member, MemberEmail, utcnow
from tests import seed
from tests.clock import tick
from tests.fakes import FakeSender
from tests.harness import Harness
from tests.mailserver import MailServer
from valuestory.mail import Mailer
from valuestory.mail import MailServer as Server
from valuestory.mail.letters import compose
from valuestory.mail.sending import MailSender
from valuestory.usecases import checking, community_settings, emails, indicators, scheduler
from valuestory.usecases.checking import on_page
from valuestory.usecases.emails import Kind, Letter

BASE = "https://cop.example.org"
FROM = "Our CoP <valuestory@example.org>"
STATEMENT = "It's a safe space to ask questions"
MEMBERS = [f"member{i}.check@example.net" for i in range(6)]


def _sender(server: MailServer) -> MailSender:
    return MailSender(Mailer(Server.from_url(urlsplit(server.url), timeout=30)), base=BASE,
                      sender=FROM, rate=0)


async def _shared(db: Database, addresses: list[str], language: str = "en") -> None:
    """A community with one indicator, these members asked by email, and its check shared."""
    c = await seed.community(db, "Red de Cuidados")
    await community_settings.change(db, str(c.id), community_settings.Change(quiet="off"), {},
                                    actor="test")
    await indicators.add(db, indicators.COMMAND_LINE, c.name, "immediate", STATEMENT)
    for address in addresses:
        await seed.email_member(db, c, address, language,
                                joined=utcnow() - dt.timedelta(days=30))
    await checking.share_from_command_line(db, c.name, "test")


def _checks_to(server: MailServer, address: str, language: str = "en") -> int:
    subject = texts.In(language).MAIL_CHECK_SUBJECT.format(
        community=texts.isolate("Red de Cuidados"))
    return sum(m["Subject"] == subject for m in server.to(address))


def test_the_checks_email_links_to_the_check_on_the_members_page_and_can_be_stopped() -> None:
    letter = Letter(Kind.CHECK, "ana@example.net", "pl", "t0k3n-abcdefghijklmnopqrstu", "Sieć")
    message = compose(letter, base=BASE, sender=FROM, now=utcnow())
    t = texts.In("pl")
    plain, html = (message.get_body((k,)).get_content() for k in ("plain", "html"))
    link = f"{BASE}/answer/{letter.token}/check"
    assert message["Subject"] == t.MAIL_CHECK_SUBJECT.format(community=texts.isolate("Sieć"))
    assert message["Content-Language"] == "pl"
    assert f"{t.MAIL_CHECK_BUTTON}:\n{link}" in plain and f'href="{link}"' in html
    assert t.MAIL_CHECK_BODY.format(community=texts.isolate("Sieć")) in plain
    assert message["List-Unsubscribe"] == f"<{BASE}/unsubscribe/{letter.token}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_two_email_runs_at_once_email_each_member_the_check_once(
        db: Database, mail_server: MailServer) -> None:
    await _shared(db, MEMBERS)
    now = utcnow()
    telegram = FakeSender()
    await scheduler.tick(db, telegram, now)  # nobody is asked in Telegram
    assert telegram.sent == []

    # Two processes' email runs at the same moment, then a later one: each check claimed once.
    reports = await asyncio.gather(*(
        scheduler.send_emails(db, _sender(mail_server), now, worker=f"host:{n}:mail")
        for n in (1, 2)))
    later = await scheduler.send_emails(db, _sender(mail_server), now + dt.timedelta(minutes=5),
                                        worker="host:1:mail")

    assert sum(r.checks_sent for r in reports) == len(MEMBERS) and later.checks_sent == 0
    assert [_checks_to(mail_server, a) for a in MEMBERS] == [1] * len(MEMBERS)
    async with db.session() as session:
        sent = (await session.execute(select(Delivery.purpose, Delivery.status).where(
            Delivery.check_id.is_not(None)))).all()
        statuses = set((await session.scalars(select(Check.status))).all())
    assert sorted(sent) == [("check", "sent")] * len(MEMBERS)
    assert statuses == {CheckStatus.OPEN}
    # Each email's link opens its own member's check on their page.
    for address in MEMBERS:
        (message,) = [m for m in mail_server.to(address) if "/check" in m.as_string()]
        found = re.search(re.escape(BASE) + r"/answer/([A-Za-z0-9_-]+)/check",
                          message.get_body(("plain",)).get_content())
        assert found
        shown = await on_page.page(db, found.group(1))
        assert isinstance(shown, on_page.CheckPage) and shown.statement is not None


async def test_a_member_who_stops_the_emails_before_the_check_goes_is_not_sent_it(
        db: Database, mail_server: MailServer) -> None:
    ana, ben = MEMBERS[:2]
    c = await seed.community(db, "Red de Cuidados")
    await community_settings.change(db, str(c.id), community_settings.Change(quiet="off"), {},
                                    actor="test")
    await indicators.add(db, indicators.COMMAND_LINE, c.name, "immediate", STATEMENT)
    for address in (ana, ben):
        await seed.email_member(db, c, address, "es", joined=utcnow() - dt.timedelta(days=30))
    now = utcnow()
    await scheduler.send_emails(db, _sender(mail_server), now, worker="host:1:mail")  # invited
    shared = await checking.share_from_command_line(db, c.name, "test", now)
    assert shared.members == 2
    # Ana stops the emails from her invitation's link after the share, before the run.
    (invitation,) = mail_server.to(ana)
    token = re.search(r"/unsubscribe/([A-Za-z0-9_-]+)", invitation["List-Unsubscribe"])
    assert token and await emails.unsubscribe(db, token.group(1)) is not None

    report = await scheduler.send_emails(db, _sender(mail_server), now + dt.timedelta(minutes=1),
                                         worker="host:1:mail")

    assert report.checks_sent == 1 and report.cancelled == 1
    assert [_checks_to(mail_server, a, "es") for a in (ana, ben)] == [0, 1]
    async with db.session() as session:
        statuses = sorted((await session.scalars(select(Check.status))).all())
    assert statuses == [CheckStatus.CANCELLED, CheckStatus.OPEN]


async def test_a_telegram_member_who_chose_email_is_asked_the_check_by_email_alone(
        harness: Harness, mail_server: MailServer) -> None:
    db = harness.db
    c = await seed.community(db, "Red de Cuidados")
    await community_settings.change(db, str(c.id), community_settings.Change(quiet="off"), {},
                                    actor="test")
    await indicators.add(db, indicators.COMMAND_LINE, c.name, "immediate", STATEMENT)
    sam = await seed.join(harness.person(7701), c)
    alex = await seed.join(harness.person(7702), c)
    async with db.session() as session:
        member = (await session.scalars(select(Member).where(
            Member.telegram_user_id == sam.user_id))).one()
        session.add(MemberEmail(member_id=member.id, address=MEMBERS[0], confirmed_at=utcnow()))
    await sam.say("/channel")
    assert await sam.tap(texts.CHANNEL_EMAIL) == [texts.CHANNEL_SET_EMAIL]
    await checking.share_from_command_line(db, c.name, "test")
    marks = {p.user_id: len(p.inbox) for p in (sam, alex)}

    now = utcnow()
    in_telegram = await tick(harness, now)
    by_email = await scheduler.send_emails(db, _sender(mail_server), now, worker="host:1:mail")

    assert in_telegram.checks_sent == 1 and by_email.checks_sent == 1
    assert sam.texts_since(marks[sam.user_id]) == []
    assert alex.texts_since(marks[alex.user_id])[-1] == texts.CHECK_STATEMENT.format(
        cycle=texts.CYCLE_NAMES["immediate"], index=1, total=1, statement=html.escape(STATEMENT))
    assert _checks_to(mail_server, MEMBERS[0]) == 1


async def test_once_the_check_closes_its_page_says_so_and_takes_no_answer(
        db: Database, mail_server: MailServer) -> None:
    await _shared(db, MEMBERS[:1], "pl")
    now = utcnow()
    await scheduler.send_emails(db, _sender(mail_server), now, worker="host:1:mail")
    message = mail_server.to(MEMBERS[0])[-1]
    found = re.search(r"/answer/([A-Za-z0-9_-]+)/check", message.get_body(("plain",)).get_content())
    assert found
    token = found.group(1)
    shown = await on_page.page(db, token)
    assert isinstance(shown, on_page.CheckPage) and shown.statement is not None

    # The community's window (7 days) passes: the scheduler closes the check.
    report = await scheduler.tick(db, FakeSender(), now + dt.timedelta(days=8))
    assert report.checks_closed == 1
    closed = await on_page.page(db, token)
    assert closed == on_page.CheckPage("pl", said=texts.In("pl").CHECK_CLOSED)
    await on_page.answer(db, token, str(shown.statement.answer_id), "t", "Za późno.")
    (listed,) = await indicators.listing(db, "Red de Cuidados")
    assert listed.to_dict()["check"] == {"asked": 1, "agreed": 0, "disagreed": 0}
    assert listed.to_dict()["comments"] == []
