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
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot import errors, ops, scheduling, speech
from bot.context import CONTEXT_TYPES, BotData
from bot.handlers import (
    admin,
    channels,
    checking,
    conveners,
    dashboard,
    links,
    members,
    pausing,
    researchers,
    rights,
    voice,
)
from bot.inbox import (
    DurableApplication,
    DurableUpdateQueue,
    KeepingRequest,
    replay_kept_updates,
)
from bot.ordering import PerSenderProcessor
from bot.send import start_sending_owed
from bot.wire import MarkingRequest
from flows import i18n, texts
from storage.db import Database
from valuestory.process.settings import Settings
from valuestory.usecases import communities
from valuestory.usecases.callbacks import Prefix, pattern

PRIVATE = filters.ChatType.PRIVATE
# Updates handled at once, across members; more wait their turn (each one's own stay in order).
CONCURRENT_UPDATES = 32


class BotApplication(DurableApplication):
    """The bot's Application: durable updates, and its speech worker stopped with it."""

    async def shutdown(self) -> None:
        await speech.close(self)
        await super().shutdown()


def build_application(
    settings: Settings, db: Database, request: BaseRequest | None = None, *, webhook: bool = False,
) -> Application:  # type: ignore[type-arg]
    """An Application for this bot; `request` lets tests and benchmarks talk to a double.

    With `webhook`, there is no Updater: bot.service feeds updates posted to its web server.
    """
    builder = (
        Application.builder()
        .token(settings.bot_token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url())
        .defaults(Defaults(parse_mode=ParseMode.HTML,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        # Telegram's overall limit, and 429s waited out and retried, for every message we send.
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram_max_rate, max_retries=3))
    )
    # Every request goes through TrackedRequest so /healthz knows when Telegram last answered,
    # and a scheduled send is marked on the wire only as its request is handed to HTTP.
    builder = builder.request(ops.TrackedRequest(MarkingRequest(
        request or HTTPXRequest(connection_pool_size=256))))
    queue = DurableUpdateQueue(db)
    if webhook:
        builder = builder.updater(None)
    else:
        builder = builder.get_updates_request(
            KeepingRequest(ops.TrackedRequest(request or HTTPXRequest()), queue))
    application = (
        builder.application_class(BotApplication)
        .update_queue(queue)
        # Members answer at the same time; each member's own updates stay in order.
        .concurrent_updates(PerSenderProcessor(CONCURRENT_UPDATES))
        .context_types(CONTEXT_TYPES)
        .post_init(on_start)
        .build()
    )
    data: BotData = application.bot_data
    data.db, data.settings, data.webhook = db, settings, webhook
    speech.install(application, settings)
    wire(application)
    return application


async def on_start(application: Application) -> None:  # type: ignore[type-arg]
    """Before taking new updates: remember who we are, and replay what the last run left."""
    await communities.remember_bot_username(application.bot_data.db, application.bot.username)
    await set_command_menus(application)
    await speech.start(application)
    # Replies owed from before the last stop go first, each chat's before its newer ones.
    data: BotData = application.bot_data
    await start_sending_owed(application.bot, data.db, data.owed, data.stopping)
    await replay_kept_updates(application)


async def set_command_menus(application: Application) -> None:  # type: ignore[type-arg]
    """The command menu in English for everyone, and in each language for apps set to it."""
    await application.bot.set_my_commands(list(texts.COMMAND_MENU.items()))
    done = {i18n.BASE_LANGUAGE}
    for language in i18n.languages():
        code = language.split("_")[0].lower()  # Telegram takes two-letter codes only
        if code not in done:
            done.add(code)
            menu = texts.In(language).COMMAND_MENU
            await application.bot.set_my_commands(list(menu.items()), language_code=code)


def wire(application: Application) -> None:  # type: ignore[type-arg]
    # Counts every update before any other handler sees it; reads nothing of its content.
    application.add_handler(TypeHandler(Update, ops.count_update), group=-3)
    ops.schedule_jobs(application)
    group = ~PRIVATE & (filters.COMMAND | filters.Entity("mention") | filters.REPLY)
    application.add_handler(MessageHandler(group & filters.UpdateType.MESSAGE,
                                           members.on_group_message))
    application.add_handler(MessageHandler(PRIVATE & filters.UpdateType.EDITED, members.on_edited))
    # A convener in the middle of /newevent: their typed answers go to the dialogue (group -2
    # runs first and stops the update only when a draft took it).
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND
                                           & filters.UpdateType.MESSAGE, conveners.on_draft_text),
                            group=-2)
    # A member whose check of the matrix waits for a sentence: what they type next is that
    # sentence (group -1: after a draft's, before the story's; it stops the update only then).
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND
                                           & filters.UpdateType.MESSAGE, checking.on_text),
                            group=-1)
    # Any command drops an unfinished /newevent first (then /newevent itself starts afresh).
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND & filters.UpdateType.MESSAGE,
                                           conveners.on_any_command), group=-2)

    def command(name: str | list[str], callback: object) -> None:
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))  # type: ignore[arg-type]

    command("start", members.on_start)
    command("help", members.on_help)
    command("privacy", members.on_privacy)
    command("language", members.on_language)
    command(list(members.COMMAND_ACTIONS), members.on_flow_command)
    command("newcommunity", admin.on_new_community)
    command("grant", admin.on_grant)
    command("revoke", admin.on_revoke)
    command(list(conveners.COMMANDS), conveners.on_command)
    def button(prefix: Prefix, callback: object) -> None:
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern(prefix)))  # type: ignore[arg-type]

    button(Prefix.CONVENER, conveners.on_button)
    command("export", researchers.on_export)
    command("mydata", rights.on_mydata)
    command("withdraw", rights.on_withdraw)
    button(Prefix.EXPORT, researchers.on_export_button)
    button(Prefix.WITHDRAW, rights.on_withdraw_button)
    command("dashboard", dashboard.on_dashboard)
    command("link", links.on_link)
    command("channel", channels.on_channel)
    button(Prefix.CHANNEL, channels.on_button)
    command("pause", pausing.on_pause)
    command("resume", pausing.on_resume)
    button(Prefix.PAUSE, pausing.on_button)
    button(Prefix.LANGUAGE, members.on_language_button)
    button(Prefix.VOICE, voice.on_button)
    button(Prefix.CHECK, checking.on_button)
    # The member's story, consent, and anything else: checked, never trusted.
    application.add_handler(CallbackQueryHandler(members.on_button))
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND,
                                           members.on_text))
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, members.on_unknown_command))
    # A voice note (or an audio file) is an answer: recorded now, its transcript sent when heard.
    application.add_handler(MessageHandler(PRIVATE & (filters.VOICE | filters.AUDIO
                                                      | filters.Document.AUDIO)
                                           & filters.UpdateType.MESSAGE, voice.on_voice))
    application.add_handler(MessageHandler(PRIVATE & filters.UpdateType.MESSAGE,
                                           members.on_unsupported))
    application.add_error_handler(errors.on_error)
    scheduling.schedule(application, application.bot_data.settings.scheduler_interval_seconds)


__all__ = ["Update", "build_application", "wire"]
