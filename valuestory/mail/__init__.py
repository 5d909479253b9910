"""Email, the channel for members without Telegram, as `bot/` is Telegram's: it turns what the
use cases say (a `Letter`) into an email in the member's language and hands it to the mail
server (SMTP_URL), telling a permanent refusal from a temporary one.

Like every front end it parses its transport and renders; the rules (who is due, claims,
quiet hours, pausing) live in the use cases below it.
"""

from valuestory.mail.letters import answer_link, compose, unsubscribe_link
from valuestory.mail.smtp import Handed, Handing, Mailer, MailServer

__all__ = ["Handed", "Handing", "MailServer", "Mailer", "answer_link", "compose",
           "unsubscribe_link"]
