"""Members without Telegram, asked by email: invitations, prompts after events, reminders and
follow-ups reach a real SMTP server on 127.0.0.1, once each, through the scheduler's claims."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from urllib.parse import urlsplit

from sqlalchemy import select

from flows import texts
from flows.questions import PromptKind
from storage.db import Database
from storage.models import (
    Community,
    Member,
    MemberEmail,
    MemberLink,
    Membership,
    Narrative,
    Prompt,
    PromptStatus,
    utcnow,
)
from tests import clock, seed
from tests.fakes import FakeSender
from tests.mailserver import NOT_NOW, REFUSED, MailServer
from valuestory.mail import Mailer
from valuestory.mail import MailServer as Server
from valuestory.mail.sending import MailSender
from valuestory.usecases import communities, community_settings, invitations, scheduler, web_answers
from valuestory.usecases.scheduler import TickReport

BASE = "https://cop.example.org"
FROM = "Our CoP <valuestory@example.org>"
WORKER = "test-host:1:mail"


def _sender(server: MailServer) -> MailSender:
    return MailSender(Mailer(Server.from_url(urlsplit(server.url), timeout=5)), base=BASE,
                      sender=FROM, rate=0)


async def _emails(db: Database, server: MailServer, now: dt.datetime) -> TickReport:
    return await scheduler.send_emails(db, _sender(server), now, worker=WORKER)


def _link(message) -> str:  # type: ignore[no-untyped-def]
    plain = message.get_body(("plain",)).get_content()
    found = re.search(re.escape(BASE) + r"/answer/([A-Za-z0-9_-]+)", plain)
    assert found, plain
    return found.group(1)


async def _link_of(db: Database, token: str) -> tuple[int, int | None]:
    """The member a personal link's token opens, and the community it invites them into."""
    async with db.session() as session:
        row = (await session.execute(select(MemberLink.member_id, MemberLink.community_id).where(
            MemberLink.token_hash == hashlib.sha256(token.encode()).hexdigest()))).one()
        return row[0], row[1]


async def _asking_now(db: Database) -> tuple[Community, dt.datetime]:
    """A community that asks as soon as an event ends, with no quiet hours."""
    c = await seed.community(db, "Red de Cuidados", language="es")
    await community_settings.change(db, str(c.id), community_settings.Change(
        delay="0", quiet="off", reminder="1h", window="2d"), {}, actor="test")
    return c, utcnow()


async def _event_just_ended(db: Database, c: Community, now: dt.datetime,
                            title: str = "Taller de triaje") -> None:
    await seed.event(db, c, title, (now - dt.timedelta(hours=2)).isoformat(),
                     (now - dt.timedelta(minutes=1)).isoformat())


async def test_an_invited_member_gets_one_invitation_in_their_language_with_their_own_link(
        db: Database, mail_server: MailServer) -> None:
    c = await seed.community(db, "Red de Cuidados", language="es")
    done = await invitations.invite(db, str(c.id), "ana@example.net")
    assert (done.invited, done.already) == (1, 0)
    again = await invitations.invite(db, str(c.id), "ANA@example.net", "pl")
    assert (again.invited, again.already) == (0, 1)

    report = await _emails(db, mail_server, utcnow())
    await _emails(db, mail_server, utcnow())

    assert report.notices == 1
    (email,) = mail_server.to("ana@example.net")
    t = texts.In("es")
    assert email["Subject"] == t.MAIL_INVITE_SUBJECT.format(
        community=texts.isolate("Red de Cuidados"))
    plain, html = (email.get_body((k,)).get_content() for k in ("plain", "html"))
    assert t.MAIL_INVITE_BUTTON in plain and t.MAIL_INVITE_BUTTON in html
    token = _link(email)
    assert f"{BASE}/answer/{token}" in html
    assert email["List-Unsubscribe"].strip() == f"<{BASE}/unsubscribe/{token}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    member_id, invited_to = await _link_of(db, token)
    assert invited_to == c.id
    page = await web_answers.page(db, token)  # the participant information, to agree to first
    assert isinstance(page, web_answers.Page) and page.joining is not None
    assert page.language == "es"
    async with db.session() as session:
        member = await session.get(Member, member_id)
        assert member is not None
        assert (member.channel, member.telegram_user_id, member.language) == ("email", None, "es")


async def test_after_an_event_a_member_asked_by_email_gets_the_prompt_then_one_reminder(
        db: Database, mail_server: MailServer) -> None:
    c, now = await _asking_now(db)
    member_id = await seed.email_member(db, c, "ana@example.net", "es",
                                        joined=now - dt.timedelta(days=30))
    await _emails(db, mail_server, now)  # the invitation
    await _event_just_ended(db, c, now)
    telegram = FakeSender()

    await scheduler.tick(db, telegram, now)  # plans the prompt: nothing for Telegram to send
    report = await _emails(db, mail_server, now)
    await _emails(db, mail_server, now + dt.timedelta(minutes=1))

    assert telegram.sent == [] and report.sent == 1
    _invitation, prompt = mail_server.to("ana@example.net")
    t = texts.In("es")
    assert prompt["Subject"] == t.MAIL_PROMPT_SUBJECT.format(
        event=texts.isolate("Taller de triaje"))
    assert (await _link_of(db, _link(prompt)))[0] == member_id
    assert t.MAIL_PROMPT_BODY.format(event=texts.isolate("Taller de triaje")) in \
        prompt.get_body(("plain",)).get_content()

    later = now + dt.timedelta(hours=1, minutes=1)
    reminded = await _emails(db, mail_server, later)
    await _emails(db, mail_server, later + dt.timedelta(minutes=5))

    assert reminded.reminded == 1
    *_, reminder = mail_server.to("ana@example.net")
    assert len(mail_server.to("ana@example.net")) == 3
    assert reminder["Subject"] == t.MAIL_REMINDER_SUBJECT.format(
        event=texts.isolate("Taller de triaje"))
    assert t.BTN_CONTINUE in reminder.get_body(("html",)).get_content()


async def test_a_follow_up_quotes_the_members_own_plan_to_them_alone(
        db: Database, mail_server: MailServer) -> None:
    c, now = await _asking_now(db)
    ana = await seed.email_member(db, c, "ana@example.net", "en", joined=now - dt.timedelta(days=60))
    ben = await seed.email_member(db, c, "ben@example.net", "en", joined=now - dt.timedelta(days=60))
    await _event_just_ended(db, c, now - dt.timedelta(days=30), "Night shift huddle")
    await scheduler.tick(db, FakeSender(), now - dt.timedelta(days=30))
    await _emails(db, mail_server, now - dt.timedelta(days=30))
    # Each told their story on their page; Ana made a plan. The page's answers are written
    # straight here, and so is the follow-up the plan makes due now.
    async with db.session() as session:
        for member, plan in ((ana, "Try a ten-minute huddle before handover"), (ben, None)):
            prompt = (await session.scalars(select(Prompt).where(Prompt.member_id == member))).one()
            prompt.status, prompt.finished_at = PromptStatus.COMPLETED, now - dt.timedelta(days=29)
            if plan:
                session.add(Narrative(prompt_id=prompt.id, member_id=member, community_id=c.id,
                                      event_id=prompt.event_id, story_id=prompt.story_id,
                                      question_id="potential.intention", cycle="potential",
                                      question_text="What might you do with it?",
                                      intended=True, text=plan, channel="web"))
                session.add(Prompt(member_id=member, community_id=c.id, event_id=prompt.event_id,
                                   kind=PromptKind.FOLLOWUP_APPLIED, story_id=prompt.story_id,
                                   due_at=now, closes_at=now + dt.timedelta(days=7)))

    report = await _emails(db, mail_server, now)

    assert report.sent == 1
    followup = mail_server.to("ana@example.net")[-1]
    t = texts.In("en")
    assert followup["Subject"] == t.MAIL_FOLLOWUP_SUBJECT.format(
        event=texts.isolate("Night shift huddle"))
    plain = followup.get_body(("plain",)).get_content()
    assert "> Try a ten-minute huddle before handover" in plain
    assert all("huddle before handover" not in m.as_string()
               for m in mail_server.to("ben@example.net"))


async def test_a_permanent_refusal_marks_the_member_unreachable_and_a_temporary_one_is_retried(
        db: Database, mail_server: MailServer) -> None:
    c, now = await _asking_now(db)
    gone = await seed.email_member(db, c, "gone@example.net", "en", joined=now - dt.timedelta(days=9))
    await seed.email_member(db, c, "busy@example.net", "en", joined=now - dt.timedelta(days=9))
    mail_server.refuse("gone@example.net", REFUSED)
    mail_server.refuse("busy@example.net", NOT_NOW)
    await _event_just_ended(db, c, now)
    await scheduler.tick(db, FakeSender(), now)

    first = await _emails(db, mail_server, now)

    # The 451 gave its claim back and stopped the run; the 550 is known for good.
    assert mail_server.received == []
    assert first.not_sent == 1
    async with db.session() as session:
        member = await session.get(Member, gone)
        address = await session.scalar(select(MemberEmail).where(MemberEmail.member_id == gone))
        assert member is not None and address is not None
        assert member.unreachable_at is not None and address.unreachable_at is not None
    mail_server.accept("busy@example.net")
    for minutes in (1, 2, 3):
        await _emails(db, mail_server, now + dt.timedelta(minutes=minutes))

    busy = mail_server.to("busy@example.net")
    assert [m["Subject"] for m in busy].count(
        texts.MAIL_PROMPT_SUBJECT.format(event=texts.isolate("Taller de triaje"))) == 1
    assert mail_server.to("gone@example.net") == []
    async with db.session() as session:
        paused = await session.scalar(select(Membership.paused).where(Membership.member_id == gone))
        assert paused is False  # not paused: unreachable, as a member who blocked the bot


async def test_a_prompt_by_email_waits_out_quiet_hours_and_is_not_sent_after_its_window(
        db: Database, mail_server: MailServer) -> None:
    c = await seed.community(db, "Frailty")
    await community_settings.change(db, str(c.id), community_settings.Change(
        delay="0", quiet="22:00-08:00", reminder="1h", window="2d"), {}, actor="test")
    late = clock.at(clock.day(1), "23:00")
    await seed.email_member(db, c, "ana@example.net", joined=late - dt.timedelta(days=30))
    await seed.email_member(db, c, "ben@example.net", joined=late - dt.timedelta(days=30))
    await seed.event(db, c, "Night shift huddle", clock.text(clock.day(1), "21:00"),
                     clock.text(clock.day(1), "22:30"))
    await scheduler.tick(db, FakeSender(), late)
    await _emails(db, mail_server, late)
    invitations = len(mail_server.received)

    await _emails(db, mail_server, clock.at(clock.day(2), "07:55"))
    quiet = len(mail_server.received)
    mail_server.refuse("ben@example.net", NOT_NOW)  # Ben's server is away until it is too late
    await _emails(db, mail_server, clock.at(clock.day(2), "08:01"))
    mail_server.accept("ben@example.net")
    await scheduler.tick(db, FakeSender(), clock.at(clock.day(4), "09:00"))
    await _emails(db, mail_server, clock.at(clock.day(4), "09:00"))

    assert invitations == 2 and quiet == 2  # nothing in the quiet hours
    subject = texts.MAIL_PROMPT_SUBJECT.format(event=texts.isolate("Night shift huddle"))
    assert [m["Subject"] for m in mail_server.to("ana@example.net")][1:] == [subject]
    assert subject not in [m["Subject"] for m in mail_server.to("ben@example.net")]


async def test_with_email_set_up_the_invite_also_gives_the_page_to_join_by_email(
        db: Database) -> None:
    c = await seed.community(db, "Red de Cuidados")

    with_email = await communities.invite(c, "cop_bot", language="es", email_base=BASE + "/")
    without = await communities.invite(c, "cop_bot", language="es")

    link = f"{BASE}/join/{c.invite_code}"
    assert texts.In("es").INVITE_BY_EMAIL.format(link=link) in with_email[0].text
    assert "/join/" not in without[0].text
