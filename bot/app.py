"""The one place that wires handlers into the Application."""

from __future__ import annotations

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import admin, errors, members, pausing, scheduling
from storage.db import Database
from storage.models import SchedulerState
from valuestory.settings import Settings

PRIVATE = filters.ChatType.PRIVATE


def build_application(
    settings: Settings, db: Database, request: BaseRequest | None = None,
) -> Application:  # type: ignore[type-arg]
    """An Application for this bot; `request` lets tests and benchmarks talk to a double."""
    builder = (
        Application.builder()
        .token(settings.bot_token())
        .base_url(settings.telegram_api_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        # Telegram's overall limit, and 429s waited out and retried, for every message we send.
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram_max_rate, max_retries=3))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.post_init(remember_username).build()
    application.bot_data["db"] = db
    application.bot_data["settings"] = settings
    wire(application)
    return application


async def remember_username(application: Application) -> None:  # type: ignore[type-arg]
    """Keep the bot's @username so command-line invite links are complete."""
    db: Database = application.bot_data["db"]
    async with db.session() as session:
        state = await session.get(SchedulerState, "bot_username")
        if state is None:
            session.add(SchedulerState(key="bot_username", value=application.bot.username))
        else:
            state.value = application.bot.username


def wire(application: Application) -> None:  # type: ignore[type-arg]
    group = ~PRIVATE & (filters.COMMAND | filters.Entity("mention") | filters.REPLY)
    application.add_handler(MessageHandler(group & filters.UpdateType.MESSAGE,
                                           members.on_group_message))
    application.add_handler(MessageHandler(PRIVATE & filters.UpdateType.EDITED, members.on_edited))

    def command(name: str | list[str], callback: object) -> None:
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))  # type: ignore[arg-type]

    command("start", members.on_start)
    command("help", members.on_help)
    command("privacy", members.on_privacy)
    command(list(members.COMMAND_ACTIONS), members.on_flow_command)
    command("newcommunity", admin.on_new_community)
    command("grant", admin.on_grant)
    command("pause", pausing.on_pause)
    command("resume", pausing.on_resume)
    application.add_handler(CallbackQueryHandler(pausing.on_button, pattern=r"^z\|"))
    application.add_handler(CallbackQueryHandler(members.on_button))
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND,
                                           members.on_text))
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, members.on_unknown_command))
    application.add_handler(MessageHandler(PRIVATE & filters.UpdateType.MESSAGE,
                                           members.on_unsupported))
    application.add_error_handler(errors.on_error)
    scheduling.schedule(application, application.bot_data["settings"].scheduler_interval_seconds)


__all__ = ["Update", "build_application", "wire"]
