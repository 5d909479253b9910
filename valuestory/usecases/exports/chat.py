"""/export in a chat: who may export what, the filters as typed, and the file to send.

Every reply is in the researcher's (or admin's) language: their own as a member, else that of the
communities they may export, when those share one (`speaking.queries.staff_language`).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from flows import i18n, texts
from storage.db import Database
from storage.models import (
    Community,
)
from valuestory.usecases import callbacks, speaking
from valuestory.usecases.access import Scope
from valuestory.usecases.access.queries import export_scope
from valuestory.usecases.exports.run import export
from valuestory.usecases.exports.shape import (
    SUFFIX,
    ExportError,
    ExportFilter,
    ExportFormat,
    make_filter,
    parse_cycle,
    parse_format,
)
from valuestory.usecases.out import Out


def narrow(scope: Scope, wanted: Community | None) -> frozenset[int] | None:
    """The communities to export: the one asked for if allowed, else all the scope covers.

    Raises ExportError when the community asked for is outside the scope.
    """
    if wanted is None:
        return scope.community_ids
    if scope.community_ids is not None and wanted.id not in scope.community_ids:
        raise ExportError("not allowed")
    return frozenset({wanted.id})


@dataclass(frozen=True)
class ExportRequest:
    """What someone typed after /export: a format and filters."""

    format: ExportFormat | None
    community: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    cycle: str | None = None


_KEY = re.compile(r"(?:^|\s)(community|since|until|cycle|format)=", re.IGNORECASE)


def parse_request(text: str) -> ExportRequest:
    """`csv community=Name with spaces since=2026-09-01 cycle=applied`: a value runs to the next key."""
    text = text.strip()
    keys = list(_KEY.finditer(text))
    head = text[: keys[0].start()].strip() if keys else text
    values: dict[str, str] = {}
    for i, match in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(text)
        values[match.group(1).lower()] = text[match.end():end].strip()
    fmt_text = values.get("format") or head
    if fmt_text and " " in fmt_text:
        raise ExportError(texts.EXPORT_NOT_UNDERSTOOD, value=repr(fmt_text))
    dates = make_filter(since=values.get("since"), until=values.get("until"))
    return ExportRequest(
        format=parse_format(fmt_text) if fmt_text else None,
        community=values.get("community") or None,
        since=dates.since, until=dates.until,
        cycle=parse_cycle(values["cycle"]) if values.get("cycle") else None,
    )


MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # the most a bot may send as one document
Say = Callable[[list[Out]], Awaitable[None]]


async def _scope(db: Database, user_id: int,
                 admins: frozenset[int]) -> tuple[Scope | None, i18n.Texts]:
    """What this person may export, and the texts in their language."""
    async with db.session() as session:
        scope = await export_scope(session, user_id, admins)
        ids = scope.community_ids if scope is not None else frozenset[int]()
        return scope, speaking.say(await speaking.queries.staff_language(session, user_id, ids))


async def for_chat(db: Database, user_id: int, admins: frozenset[int], text: str, folder: Path,
                   say: Say) -> list[Out]:
    """/export [format] [community=..] [since=..] [until=..] [cycle=..] in a chat.

    The file is written into `folder`, which the caller removes once it has sent it.
    """
    scope, t = await _scope(db, user_id, admins)
    if scope is None:
        return [Out(t.NOT_ALLOWED)]
    try:
        request = parse_request(text)
    except ExportError as exc:
        return [Out(t.EXPORT_BAD.format(problem=html.escape(exc.said(t).capitalize())))]
    if request.format is None and not text.strip():
        buttons = tuple(((t.EXPORT_FORMATS[fmt], callbacks.encode(callbacks.Prefix.EXPORT, fmt.value)),)
                        for fmt in ExportFormat)
        return [Out(t.EXPORT_CHOOSE, buttons)]
    if request.format is None:
        return [Out(t.EXPORT_USAGE)]
    return await _deliver(db, scope, request, folder, say, t)


async def format_pressed(db: Database, user_id: int, admins: frozenset[int], data: str,
                         folder: Path, say: Say) -> list[Out]:
    """A format button under /export: the role is checked again, the data never trusted."""
    scope, t = await _scope(db, user_id, admins)
    if scope is None:
        return [Out(t.NOT_ALLOWED)]
    _, parts = callbacks.decode(data)
    try:
        fmt = parse_format(parts[0] if len(parts) == 1 else "")
    except ExportError:
        return [Out(t.STALE_BUTTON)]
    return await _deliver(db, scope, ExportRequest(format=fmt), folder, say, t)


async def _deliver(db: Database, scope: Scope, request: ExportRequest, folder: Path,
                   say: Say, t: i18n.Texts) -> list[Out]:
    from valuestory.usecases.communities.queries import lookup_community

    assert request.format is not None
    wanted = None
    if request.community:
        async with db.session() as session:
            wanted = await lookup_community(session, request.community)
    try:
        if request.community and wanted is None:
            raise ExportError("not found")
        ids = narrow(scope, wanted)
    except ExportError:
        # The same answer whether it doesn't exist or isn't theirs: they learn nothing.
        return [Out(t.EXPORT_NO_COMMUNITY.format(
            community=speaking.value(t.language, request.community or "")))]
    filt = ExportFilter(community_ids=ids, since=request.since, until=request.until,
                        cycle=request.cycle)
    label = t.EXPORT_FORMATS[request.format]
    await say([Out(t.EXPORT_WORKING.format(format=label))])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    filename = f"valuestory-{stamp}{SUFFIX[request.format]}"
    path = folder / filename
    result = await export(db, scope.actor, request.format, path, filt, offload=True)
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        return [Out(t.EXPORT_TOO_BIG.format(rows=result.rows))]
    return [Out(t.EXPORT_READY.format(rows=result.rows, format=label), document=(filename, path))]
