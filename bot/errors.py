"""What happens when a handler fails: a calm word to the member, a log line without content."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from bot.context import Context, database
from bot.inbox import note_outage
from valuestory.process.metrics import HANDLER_ERRORS, METRICS
from valuestory.usecases import speaking

log = logging.getLogger(__name__)


async def _language(update: Update, context: Context) -> str | None:
    """The member's language if the database still answers; else what their app says."""
    user = update.effective_user
    if user is None:
        return None
    try:
        return await speaking.language_for(database(context), user.id, user.language_code)
    except Exception:  # the failure may be the database itself: still say something kind
        log.warning("could not look up the language for a failure reply")
        return user.language_code


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if note_outage(error):
        return  # the database is away: the update is handled again once it is back
    if isinstance(error, NetworkError) and METRICS.api_away_since is not None:
        # Telegram is away: said once a minute where requests are watched, not once an update.
        HANDLER_ERRORS.inc()
        return
    HANDLER_ERRORS.inc()
    update_id = update.update_id if isinstance(update, Update) else None
    # Name the failure, never the update's content: it may hold a member's answer.
    log.error("handler failed on update %s: %s", update_id, type(error).__name__,
              exc_info=(type(error), error, error.__traceback__) if error else None)
    if isinstance(update, Update) and update.effective_chat and not isinstance(error, Forbidden):
        try:
            said = speaking.say(await _language(update, context)).SOMETHING_WENT_WRONG
            await context.bot.send_message(update.effective_chat.id, said)
        except TelegramError:
            log.warning("could not tell chat about the failure")
