"""A `Letter` as an email: a plain-text part and an HTML part in the member's language, their
personal link, and a one-click way to stop the emails (RFC 8058's two headers, and a link).

Invariant: every word comes from the catalogs in the member's language, and every value put
into the HTML part is escaped; nothing is fetched from elsewhere (no images, no fonts), so the
email reads the same in any client and tells no one it was opened.
"""

from __future__ import annotations

import datetime as dt
import html
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from flows import texts
from flows.i18n import direction
from valuestory.usecases.emails import Kind, Letter

ANSWER_PATH = "/answer/"
UNSUBSCRIBE_PATH = "/unsubscribe/"
CONFIRM_PATH = "/join/confirm/"
# After the personal link: the members' check on the member's page.
CHECK_PATH = "/check"


def answer_link(base: str, token: str) -> str:
    return base.rstrip("/") + ANSWER_PATH + token


def unsubscribe_link(base: str, token: str) -> str:
    return base.rstrip("/") + UNSUBSCRIBE_PATH + token


def _words(letter: Letter) -> tuple[str, list[str], str, list[str]]:
    """Subject, paragraphs before the quote, the button, paragraphs after it (plain text)."""
    t = texts.In(letter.language)
    # A title or a name keeps its own direction inside a sentence in the other one.
    event, community = texts.isolate(letter.event or ""), texts.isolate(letter.community)
    if letter.kind is Kind.CONFIRM:
        return (t.MAIL_CONFIRM_SUBJECT.format(community=community),
                [t.MAIL_HELLO, t.MAIL_CONFIRM_BODY.format(community=community)], t.JOIN_CONFIRM,
                [])
    if letter.kind is Kind.INVITATION:
        return (t.MAIL_INVITE_SUBJECT.format(community=community),
                [t.MAIL_HELLO, t.MAIL_INVITE_BODY.format(community=community),
                 t.MAIL_INVITE_NEXT], t.MAIL_INVITE_BUTTON, [])
    if letter.kind is Kind.CHECK:
        return (t.MAIL_CHECK_SUBJECT.format(community=community),
                [t.MAIL_HELLO, t.MAIL_CHECK_BODY.format(community=community)],
                t.MAIL_CHECK_BUTTON, [])
    if letter.kind is Kind.PROMPT:
        return (t.MAIL_PROMPT_SUBJECT.format(event=event),
                [t.MAIL_HELLO, t.MAIL_PROMPT_BODY.format(event=event)], t.MAIL_PROMPT_BUTTON, [])
    if letter.kind is Kind.REMINDER:
        return (t.MAIL_REMINDER_SUBJECT.format(event=event),
                [t.MAIL_HELLO, t.MAIL_REMINDER_BODY.format(event=event)], t.BTN_CONTINUE, [])
    if letter.kind is Kind.AGAIN:
        return (t.MAIL_AGAIN_SUBJECT.format(event=event),
                [t.MAIL_HELLO, t.MAIL_AGAIN_BODY.format(event=event)], t.MAIL_PROMPT_BUTTON, [])
    return (t.MAIL_FOLLOWUP_SUBJECT.format(event=event),
            [t.MAIL_HELLO, t.MAIL_FOLLOWUP_PLAN.format(event=event)], t.MAIL_FOLLOWUP_BUTTON,
            [t.MAIL_FOLLOWUP_BODY])


def compose(letter: Letter, *, base: str, sender: str, now: dt.datetime) -> EmailMessage:
    """The email for `letter`, from `sender` (MAIL_FROM), its links starting with `base`."""
    t = texts.In(letter.language)
    subject, before, button, after = _words(letter)
    confirming = letter.kind is Kind.CONFIRM
    link = (base.rstrip("/") + CONFIRM_PATH + letter.token if confirming
            else answer_link(base, letter.token)
            + (CHECK_PATH if letter.kind is Kind.CHECK else ""))
    stop = None if confirming else unsubscribe_link(base, letter.token)
    quote = letter.plan if letter.kind is Kind.FOLLOWUP and letter.plan else None
    ending = [t.MAIL_PERSONAL, f"{t.MAIL_THANKS}\n{letter.community}"]
    why = "" if confirming else t.MAIL_WHY.format(community=texts.isolate(letter.community))

    plain = [*before]
    if quote:
        plain.append("\n".join("> " + line for line in quote.splitlines()))
    plain += [*after, f"{button}:\n{link}", *ending]
    if stop is not None:
        plain += ["--", why, t.MAIL_STOP_PLAIN.format(link=stop)]

    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = letter.to
    message["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    if stop is not None:
        # RFC 8058: a mail client's own "unsubscribe" posts here, and it pauses the member.
        message["List-Unsubscribe"] = f"<{stop}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n\n".join(plain) + "\n")
    message.add_alternative(_html(letter, subject, before, quote, after, button, link, ending,
                                  why, t.MAIL_STOP, stop), subtype="html")
    # After the parts are made: making them moves the Content-* headers onto the first part.
    message["Content-Language"] = letter.language
    return message


def _paragraph(text: str) -> str:
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


def _html(letter: Letter, subject: str, before: list[str], quote: str | None, after: list[str],
          button: str, link: str, ending: list[str], why: str, stop_text: str,
          stop: str | None) -> str:
    e = html.escape
    side = "right" if direction(letter.language) == "rtl" else "left"
    parts = [_paragraph(p) for p in before]
    if quote:
        # dir="auto": the member's own words in their own direction, whatever the email's.
        parts.append(f'<blockquote dir="auto" style="margin:0 0 16px;padding:8px 14px;border-{side}:4px '
                     f'solid #2f6f5e;background:#f1f6f4;color:#1d2b27">'
                     f'{e(quote).replace(chr(10), "<br>")}</blockquote>')
    parts += [_paragraph(p) for p in after]
    parts.append(
        f'<p style="margin:24px 0"><a href="{e(link)}" style="display:inline-block;'
        f'background:#2f6f5e;color:#ffffff;text-decoration:none;font-weight:bold;'
        f'padding:12px 22px;border-radius:6px">{e(button)}</a></p>'
        # The address itself too, for a client that shows no button or a reader who copies it.
        f'<p style="margin:-12px 0 24px;font-size:13px;word-break:break-all">'
        f'<a href="{e(link)}" dir="ltr" style="color:#2f6f5e">{e(link)}</a></p>')
    parts += [_paragraph(p) for p in ending]
    return (
        f'<!DOCTYPE html>\n<html lang="{e(letter.language)}" dir="{direction(letter.language)}">'
        f'<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f'<title>{e(subject)}</title></head>'
        f'<body style="margin:0;padding:16px 0;background:#f4f4f2">'
        f'<div style="max-width:560px;margin:0 auto;padding:24px 20px;background:#ffffff;'
        f'font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:16px;'
        f'line-height:1.5;color:#1d2b27">'
        + "".join(parts) + (
            "" if stop is None else
            f'<hr style="border:none;border-top:1px solid #dcdcd6;margin:24px 0 12px">'
            f'<p style="font-size:13px;color:#5b6360">{e(why)}<br>'
            f'<a href="{e(stop)}" style="color:#2f6f5e">{e(stop_text)}</a></p>')
        + '</div></body></html>\n')

