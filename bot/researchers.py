"""/export for researchers and admins: a pseudonymised file, sent as a document."""

from __future__ import annotations

import datetime as dt
import html
import tempfile
from pathlib import Path

from telegram import Update
from telegram.ext import ContextTypes

from bot.context import database, private_press, settings
from bot.send import send, set_buttons
from flows import texts
from valuestory.usecases import admin, exports
from valuestory.usecases.exports import ExportError, ExportFormat, ExportRequest
from valuestory.usecases.out import Out

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # the most a bot may send as one document
FORMAT_LABELS = {ExportFormat.CSV: "CSV (Excel)", ExportFormat.XLSX: "Excel workbook",
                 ExportFormat.JSONL: "JSON Lines", ExportFormat.QDPX: "REFI-QDA (.qdpx)"}


async def _scope(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> exports.Scope | None:
    async with database(context).session() as session:
        return await exports.export_scope(session, user_id, settings(context).admin_telegram_ids)


async def on_export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export [format] [community=..] [since=..] [until=..] [cycle=..]."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    scope = await _scope(context, user.id)
    if scope is None:
        await send(context, message.chat_id, [Out(texts.NOT_ALLOWED)])
        return
    raw = (message.text or "").partition(" ")[2]
    try:
        request = exports.parse_request(raw)
    except ExportError as exc:
        await send(context, message.chat_id,
                   [Out(texts.EXPORT_BAD.format(problem=html.escape(str(exc).capitalize())))])
        return
    if request.format is None and not raw.strip():
        buttons = tuple(((label, f"ex|{fmt.value}"),) for fmt, label in FORMAT_LABELS.items())
        await send(context, message.chat_id, [Out(texts.EXPORT_CHOOSE, buttons)])
        return
    if request.format is None:
        await send(context, message.chat_id, [Out(texts.EXPORT_USAGE)])
        return
    await _deliver(context, message.chat_id, scope, request)


async def on_export_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A format button under /export: the role is checked again, the data never trusted."""
    press = await private_press(update)
    if press is None:
        return
    query, user_id, pressed = press
    scope = await _scope(context, user_id)
    if scope is None:
        await send(context, pressed.chat_id, [Out(texts.NOT_ALLOWED)])
        return
    try:
        fmt = exports.parse_format((query.data or "").removeprefix("ex|"))
    except ExportError:
        await send(context, pressed.chat_id, [Out(texts.STALE_BUTTON)])
        return
    await set_buttons(pressed)
    await _deliver(context, pressed.chat_id, scope, ExportRequest(format=fmt))


async def _deliver(context: ContextTypes.DEFAULT_TYPE, chat_id: int, scope: exports.Scope,
                   request: ExportRequest) -> None:
    assert request.format is not None
    db = database(context)
    wanted = None
    if request.community:
        async with db.session() as session:
            wanted = await admin.lookup_community(session, request.community)
    try:
        if request.community and wanted is None:
            raise ExportError("not found")
        ids = exports.narrow(scope, wanted)
    except ExportError:
        # The same answer whether it doesn't exist or isn't theirs: they learn nothing.
        await send(context, chat_id, [Out(texts.EXPORT_NO_COMMUNITY.format(
            community=html.escape(request.community or "")))])
        return
    filt = exports.ExportFilter(community_ids=ids, since=request.since, until=request.until,
                                cycle=request.cycle)
    await send(context, chat_id, [Out(texts.EXPORT_WORKING.format(
        format=FORMAT_LABELS[request.format]))])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    filename = f"valuestory-{stamp}{exports.SUFFIX[request.format]}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / filename
        result = await exports.export(db, scope.actor, request.format, path, filt, offload=True)
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            await send(context, chat_id, [Out(texts.EXPORT_TOO_BIG.format(rows=result.rows))])
            return
        with path.open("rb") as document:
            await context.bot.send_document(
                chat_id, document, filename=filename,
                caption=texts.EXPORT_READY.format(rows=result.rows,
                                                  format=FORMAT_LABELS[request.format]),
            )
