"""An email address is contact data only: it reaches the mail server and nothing else (no
export, audit entry or log line), and the link in every email stops the emails."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Member, MemberEmail, Narrative, Prompt, PromptStatus, utcnow
from tests import seed
from tests.fakes import FakeSender
from tests.mailserver import REFUSED, MailServer
from valuestory.mail import Mailer
from valuestory.mail import MailServer as Server
from valuestory.mail.sending import MailSender
from valuestory.process.logs import LIBRARY_LEVELS, setup_logging
from valuestory.usecases import community_settings, emails, exports, scheduler, web_answers

BASE = "https://cop.example.org"
ADDRESS = "ana.quintero-privacy@example.net"
GONE = "gone.privacy@example.net"
WORKER = "test-host:1:mail"


def _sender(server: MailServer) -> MailSender:
    return MailSender(Mailer(Server.from_url(urlsplit(server.url), timeout=5)), base=BASE,
                      sender="Our CoP <valuestory@example.org>", rate=0)


def _token(message) -> str:  # type: ignore[no-untyped-def]
    plain = message.get_body(("plain",)).get_content()
    found = re.search(re.escape(BASE) + r"/unsubscribe/([A-Za-z0-9_-]+)", plain)
    assert found
    return found.group(1)


def _readable(path: Path) -> str:
    """Everything a file holds as text, the files inside a zip (XLSX, QDPX) included."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def process_log() -> Iterator[io.StringIO]:
    """What the running process would write to its log, at its most talkative (DEBUG)."""
    root = logging.getLogger()
    kept = (root.handlers[:], root.level,
            {name: logging.getLogger(name).level for name in LIBRARY_LEVELS})
    stream = io.StringIO()
    setup_logging("DEBUG", "text", stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:], root.level, levels = kept
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_the_address_is_in_no_export_audit_entry_or_log_line(
        db: Database, mail_server: MailServer, tmp_path: Path,
        process_log: io.StringIO) -> None:
    c = await seed.community(db, "Frailty")
    await community_settings.change(db, str(c.id), community_settings.Change(
        delay="0", quiet="off"), {}, actor="test")
    now = utcnow()
    ana = await seed.email_member(db, c, ADDRESS, joined=now - dt.timedelta(days=9))
    await seed.email_member(db, c, GONE, joined=now - dt.timedelta(days=9))
    mail_server.refuse(GONE, REFUSED)
    await seed.event(db, c, "Winter session", (now - dt.timedelta(hours=2)).isoformat(),
                     (now - dt.timedelta(minutes=1)).isoformat())
    await scheduler.tick(db, FakeSender(), now)
    await scheduler.send_emails(db, _sender(mail_server), now, worker=WORKER)
    # Ana answered on her page (written straight here, as the page keeps it).
    async with db.session() as session:
        prompt = (await session.scalars(select(Prompt).where(Prompt.member_id == ana))).one()
        prompt.status = PromptStatus.COMPLETED
        session.add(Narrative(prompt_id=prompt.id, member_id=ana, community_id=c.id,
                              event_id=prompt.event_id, story_id=prompt.story_id,
                              question_id="immediate.moment", question_text="What mattered?",
                              cycle="immediate", text="Hearing how the other team triages",
                              channel="web"))
    assert len(mail_server.to(ADDRESS)) == 2  # the invitation, then the prompt

    filt = exports.make_filter()
    written = []
    for fmt in exports.ExportFormat:
        path = tmp_path / f"all{exports.SUFFIX[fmt]}"
        result = await exports.export(db, "test", fmt, path, filt)
        written.append(_readable(path))
    assert result.rows >= 1 and any("other team triages" in w for w in written)
    audit = json.dumps(await exports.audit_entries(db), default=str)

    logged = process_log.getvalue()
    assert "invited by email" in logged and "refused for good (RCPT TO 550)" in logged
    for where in (*written, audit, logged):
        for address in (ADDRESS, GONE):
            assert address not in where and address.split("@")[0] not in where

    # Leaving from her page erases the address with everything else.
    (prompt_email,) = [m for m in mail_server.to(ADDRESS) if "unsubscribe" in m.as_string()][-1:]
    said = await web_answers.withdraw(db, _token(prompt_email))
    assert said == "en"
    async with db.session() as session:
        kept = (await session.scalars(select(MemberEmail.address))).all()
    assert ADDRESS not in kept and kept == [GONE]


async def test_the_link_in_an_email_stops_the_emails_and_pauses_the_member(
        db: Database, mail_server: MailServer) -> None:
    c = await seed.community(db, "Frailty", language="pl")
    await community_settings.change(db, str(c.id), community_settings.Change(
        delay="0", quiet="off"), {}, actor="test")
    now = utcnow()
    ana = await seed.email_member(db, c, ADDRESS, "pl", joined=now - dt.timedelta(days=9))
    await scheduler.send_emails(db, _sender(mail_server), now, worker=WORKER)
    (invitation,) = mail_server.to(ADDRESS)
    token = _token(invitation)

    asked = await emails.stopping(db, token)
    stopped = await emails.unsubscribe(db, token, now)
    again = await emails.unsubscribe(db, token, now)

    assert asked == emails.Stopping("pl", stopped=False)
    assert stopped == again == emails.Stopping("pl", stopped=True)
    assert await emails.stopping(db, "not-a-link") is None
    assert await emails.unsubscribe(db, "not-a-link") is None
    async with db.session() as session:
        member = await session.get(Member, ana)
        address = await session.scalar(select(MemberEmail).where(MemberEmail.member_id == ana))
        assert member is not None and member.paused
        assert address is not None and address.unsubscribed_at is not None
    # An event after: nothing more reaches them.
    await seed.event(db, c, "Winter session", (now - dt.timedelta(hours=2)).isoformat(),
                     (now - dt.timedelta(minutes=1)).isoformat())
    await scheduler.tick(db, FakeSender(), now)
    await scheduler.send_emails(db, _sender(mail_server), now, worker=WORKER)
    assert len(mail_server.to(ADDRESS)) == 1
