"""Emails handed to a real SMTP server on 127.0.0.1: what a member gets, in their language, and
how a refusal is told from a delay."""

from __future__ import annotations

import datetime as dt
import socket
from urllib.parse import urlsplit

import pytest

from flows import texts
from tests.mailserver import NOT_NOW, REFUSED, MailServer
from valuestory.mail import Handed, Mailer, compose
from valuestory.mail import MailServer as Server
from valuestory.process.settings import Settings, SettingsError
from valuestory.usecases.emails import Kind, Letter

BASE = "https://cop.example.org"
FROM = "Valuestory <valuestory@example.org>"
NOW = dt.datetime(2026, 12, 7, 18, 0, tzinfo=dt.UTC)
ADDRESS = "ana.garcia@example.net"


def _mailer(server: MailServer) -> Mailer:
    return Mailer(Server.from_url(urlsplit(server.url), timeout=5))


def _letter(kind: Kind, language: str = "es", to: str = ADDRESS, plan: str | None = None) -> Letter:
    return Letter(kind, to, language, "tok-123", "Red de Cuidados", "Taller de triaje", plan)


def _parts(message) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return plain, html


async def test_an_invitation_reaches_the_member_in_their_language_with_their_link(
        mail_server: MailServer) -> None:
    email = compose(_letter(Kind.INVITATION), base=BASE, sender=FROM, now=NOW)

    handed = await _mailer(mail_server).send(email)

    assert handed.outcome is Handed.SENT
    (got,) = mail_server.to(ADDRESS)
    t = texts.In("es")
    assert got["Subject"] == f"Una invitación de {texts.isolate('Red de Cuidados')}"
    assert t.MAIL_INVITE_BODY != texts.MAIL_INVITE_BODY
    assert got["Content-Language"] == "es"
    plain, html = _parts(got)
    for part in (plain, html):
        assert f"{BASE}/answer/tok-123" in part
        assert t.MAIL_INVITE_BODY.format(community=texts.isolate("Red de Cuidados")) in part
        assert t.MAIL_INVITE_BUTTON in part
        assert f"{BASE}/unsubscribe/tok-123" in part
    assert 'lang="es"' in html


# Every email but the one confirming an address someone gave (sent once, when they asked).
TO_MEMBERS = [kind for kind in Kind if kind is not Kind.CONFIRM]


async def test_every_email_carries_one_click_unsubscribe_headers(mail_server: MailServer) -> None:
    for kind in TO_MEMBERS:
        await _mailer(mail_server).send(compose(_letter(kind, "en", plan="Try the huddle"),
                                                base=BASE, sender=FROM, now=NOW))

    got = mail_server.to(ADDRESS)
    assert len(got) == len(TO_MEMBERS)
    for message in got:
        assert message["List-Unsubscribe"].strip() == f"<{BASE}/unsubscribe/tok-123>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["From"] == FROM


@pytest.mark.parametrize("language", ["en", "es", "pl", "ar"])
def test_only_the_follow_up_quotes_the_members_plan_and_every_email_speaks_their_language(
        language: str) -> None:
    plan = "Probar la reunión breve\ncon mi equipo"
    t = texts.In(language)
    for kind in Kind:
        plain, html = _parts(compose(_letter(kind, language, plan=plan), base=BASE, sender=FROM,
                                     now=NOW))
        assert t.MAIL_PERSONAL in plain and (t.MAIL_STOP in html) is (kind in TO_MEMBERS)
        quoted = "Probar la reunión breve" in plain or "Probar la reunión breve" in html
        assert quoted is (kind is Kind.FOLLOWUP)
    plain, html = _parts(compose(_letter(Kind.FOLLOWUP, language, plan=plan), base=BASE,
                                 sender=FROM, now=NOW))
    assert "> Probar la reunión breve\n> con mi equipo" in plain
    assert t.MAIL_FOLLOWUP_PLAN.format(event=texts.isolate("Taller de triaje")) in plain
    assert f'dir="{"rtl" if language == "ar" else "ltr"}"' in html


def test_what_a_member_or_convener_typed_is_escaped_in_the_html_part() -> None:
    letter = Letter(Kind.FOLLOWUP, ADDRESS, "en", "tok", "<b>CoP</b>", "A & B <script>",
                    "<img src=x onerror=alert(1)>")
    _, html = _parts(compose(letter, base=BASE, sender=FROM, now=NOW))
    assert "<script>" not in html and "<img" not in html and "<b>CoP" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_email_confirming_an_address_links_to_its_confirmation_and_offers_nothing_to_stop(
        ) -> None:
    email = compose(_letter(Kind.CONFIRM), base=BASE, sender=FROM, now=NOW)
    plain, html = _parts(email)
    t = texts.In("es")
    assert email["Subject"] == t.MAIL_CONFIRM_SUBJECT.format(
        community=texts.isolate("Red de Cuidados"))
    assert f"{BASE}/join/confirm/tok-123" in plain and f"{BASE}/join/confirm/tok-123" in html
    assert email["List-Unsubscribe"] is None and "/unsubscribe/" not in plain + html


async def test_a_550_is_a_permanent_refusal_and_a_451_a_temporary_one(
        mail_server: MailServer) -> None:
    mail_server.refuse("gone@example.net", REFUSED)
    mail_server.refuse("busy@example.net", NOT_NOW)
    mailer = _mailer(mail_server)

    gone = await mailer.send(compose(_letter(Kind.PROMPT, to="gone@example.net"), base=BASE,
                                     sender=FROM, now=NOW))
    busy = await mailer.send(compose(_letter(Kind.PROMPT, to="busy@example.net"), base=BASE,
                                     sender=FROM, now=NOW))

    assert (gone.outcome, gone.reason) == (Handed.REFUSED, "RCPT TO 550")
    assert (busy.outcome, busy.reason) == (Handed.LATER, "RCPT TO 451")
    assert mail_server.received == []
    mail_server.accept("busy@example.net")
    again = await mailer.send(compose(_letter(Kind.PROMPT, to="busy@example.net"), base=BASE,
                                      sender=FROM, now=NOW))
    assert again.outcome is Handed.SENT and len(mail_server.to("busy@example.net")) == 1


async def test_no_mail_server_listening_is_temporary() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: the connection is refused
        mailer = Mailer(Server.from_url(urlsplit(f"smtp://127.0.0.1:{port}"), timeout=5))
        handed = await mailer.send(compose(_letter(Kind.PROMPT), base=BASE, sender=FROM, now=NOW))
    assert handed.outcome is Handed.LATER
    assert ADDRESS not in handed.reason


@pytest.mark.parametrize(("url", "says"), [
    ("http://user:s3cret-pw@mail.example.org", "SMTP_URL must start with smtp://"),
    ("smtp://user:s3cret-pw@mail.example.org:99999", "SMTP_URL must be smtp://"),
    ("smtp://user@mail.example.org", "SMTP_URL must give both a user and a password"),
    ("smtps://:s3cret-pw@", "SMTP_URL must name the mail server"),
])
def test_a_bad_smtp_url_is_one_line_naming_it_without_the_password(url: str, says: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings(None, smtp_url=url)
    assert str(caught.value).startswith(says)
    assert "s3cret" not in str(caught.value) and "\n" not in str(caught.value)


def test_smtp_url_is_taken_apart_and_its_password_never_shown() -> None:
    settings = Settings(None, smtp_url="smtps://me%40example.org:s3cret-pw@mail.example.org",
                        mail_from=FROM)
    url = settings.mail_server()
    assert url is not None
    server = Server.from_url(url)
    assert (server.host, server.port, server.implicit_tls, server.user, server.password) == \
        ("mail.example.org", 465, True, "me@example.org", "s3cret-pw")
    assert "s3cret" not in repr(server) and "s3cret" not in repr(settings)
    plain = Server.from_url(urlsplit("smtp://u:p@mail.example.org"))
    assert (plain.port, plain.implicit_tls) == (587, False)


def test_mail_from_must_be_an_address_and_is_needed_with_smtp_url() -> None:
    with pytest.raises(SettingsError, match=r"^MAIL_FROM must be an address"):
        Settings(None, mail_from="valuestory at example")
    with pytest.raises(SettingsError, match=r"^MAIL_FROM is not set"):
        Settings(None, smtp_url="smtp://mail.example.org").mail_server()
