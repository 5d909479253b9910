"""Running an export: choosing the writer, sharing a large CSV between processes, the audit log."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from storage.db import Database
from storage.models import (
    AuditEntry,
    utcnow,
)
from valuestory.usecases import access
from valuestory.usecases.exports.queries import (
    any_coding,
    audit_log,
    chosen_communities,
    code_names,
    codebooks,
    comment_rows,
    count,
    middle_id,
    project_codings,
    recordings,
    stream_rows,
)
from valuestory.usecases.exports.refiqda import QdpxWriter
from valuestory.usecases.exports.shape import (
    SPOKEN,
    SUFFIX,
    ExportFilter,
    ExportFormat,
    make_filter,
    parse_format,
)
from valuestory.usecases.exports.writers import CsvWriter, JsonlWriter, Writer, XlsxWriter

WRITERS: dict[ExportFormat, Callable[[Path], Writer]] = {
    ExportFormat.CSV: CsvWriter, ExportFormat.XLSX: XlsxWriter, ExportFormat.JSONL: JsonlWriter,
    ExportFormat.QDPX: QdpxWriter,
}


@dataclass
class ExportResult:
    path: Path
    rows: int
    format: ExportFormat
    filters: dict[str, Any] = field(default_factory=dict)


# A CSV export this large from SQLite is written by two processes, each its own half of the
# narratives, then joined: formatting is bound to one core per process, and most machines have two.
SPLIT_AT_ROWS = 200_000


async def write_export(
    db: Database, fmt: ExportFormat, path: Path, filt: ExportFilter,
    progress: Callable[[int], None] | None = None, offload: bool = False,
    processes: int | None = None,
) -> int:
    """Stream the narratives into `path` in the given format; the number of rows written.

    `offload` writes each batch in a worker thread so a bot keeps answering others meanwhile.
    `processes` (default: 2 for a large CSV export from SQLite on a machine with 2 cores or
    more, else 1) shares a CSV export between processes.
    """
    if fmt is ExportFormat.CSV and not offload and db.dialect == "sqlite":
        if processes is None:
            enough = (os.cpu_count() or 1) >= 2 and await count(db, filt) >= SPLIT_AT_ROWS
            processes = 2 if enough else 1
        if processes > 1:
            return await _write_csv_shared(db, path, filt, progress)
    if fmt is ExportFormat.XLSX:
        async with db.session() as session:
            zones = {c.timezone for c in await chosen_communities(session, filt.community_ids)}
        writer: Writer = XlsxWriter(path, zones.pop()) if len(zones) == 1 else XlsxWriter(path)
    else:
        writer = WRITERS[fmt](path)
    return await _write(db, writer, filt, progress, offload)


async def _write(db: Database, writer: Writer, filt: ExportFilter,
                 progress: Callable[[int], None] | None, offload: bool,
                 comments: bool = True) -> int:
    """The narratives, then (unless `comments` is False: a share of a split export) the members'
    check's sentences; the number of narratives written."""
    written = 0
    coded = await any_coding(db, filt.community_ids)
    if isinstance(writer, QdpxWriter) and coded:
        writer.codebook, writer.coders = await codebooks(db, filt.community_ids)
    try:
        async for batch in stream_rows(db, filt, by_member=writer.by_member):
            if isinstance(writer, QdpxWriter):
                # A project carries each kept recording beside its transcript.
                writer.recordings = await recordings(db, [r[0] for r in batch if r[SPOKEN] == "yes"])
                if coded:
                    writer.codings = await project_codings(db, [r[0] for r in batch])
            elif coded:
                writer.codes = await code_names(db, [r[0] for r in batch])
            if offload:
                await asyncio.to_thread(writer.write, batch)
            else:
                writer.write(batch)
            written += len(batch)
            if progress is not None:
                progress(len(batch))
        if comments:
            writer.comments(await comment_rows(db, filt))
    finally:
        writer.close()
    return written


def _write_csv_share(url: str, path: str, filt: ExportFilter) -> int:
    """In a second process: one share of a CSV export, without the header, to `path`."""
    async def run() -> int:
        db = Database(url)
        try:
            return await _write(db, CsvWriter(Path(path), header=False), filt, None, False,
                                comments=False)
        finally:
            await db.dispose()

    return asyncio.run(run())


async def _write_csv_shared(db: Database, path: Path, filt: ExportFilter,
                            progress: Callable[[int], None] | None) -> int:
    async with db.long_read() as session:
        middle = await middle_id(session, filt)
    if middle is None:
        return await _write(db, CsvWriter(path), filt, progress, False)
    first = replace(filt, below_id=middle)
    second = replace(filt, first_id=middle)
    with tempfile.TemporaryDirectory() as tmp:
        share = Path(tmp) / "second.csv"
        spawn = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
            later = asyncio.get_running_loop().run_in_executor(
                pool, _write_csv_share, db.url, str(share), second)
            written = await _write(db, CsvWriter(path), first, progress, False, comments=False)
            rest = await later
        with path.open("ab") as out, share.open("rb") as part:
            shutil.copyfileobj(part, out, 1 << 20)
    last = CsvWriter(path, header=False, append=True)
    try:
        last.comments(await comment_rows(db, filt))
    finally:
        last.close()
    if progress is not None:
        progress(rest)
    return written + rest


async def export(
    db: Database, actor: str, fmt: ExportFormat, path: Path, filt: ExportFilter,
    progress: Callable[[int], None] | None = None, now: dt.datetime | None = None,
    offload: bool = False,
) -> ExportResult:
    """Write an export and record in the audit log who took it, with what filters and how many rows."""
    rows = await write_export(db, fmt, path, filt, progress, offload)
    async with db.session() as session:
        names = {c.id: c.name for c in await chosen_communities(session, filt.community_ids)}
        filters = filt.describe(names)
        only = next(iter(filt.community_ids)) if filt.community_ids and len(
            filt.community_ids) == 1 else None
        session.add(AuditEntry(
            at=now or utcnow(), actor=actor, action="export", community_id=only,
            details={"format": fmt.value, "filters": filters, "rows": rows},
        ))
    return ExportResult(path, rows, fmt, filters)


async def audit_entries(db: Database, limit: int | None = None) -> list[dict[str, Any]]:
    """The audit log, newest first, as plain data."""
    async with db.session() as session:
        found = await audit_log(session, limit)
    return [{"id": e.id, "at": e.at.isoformat(timespec="seconds"), "actor": e.actor,
             "action": e.action, "community": name, "details": e.details} for e, name in found]


async def choose(db: Database, community: str | None = None, since: str | None = None,
                 until: str | None = None, cycle: str | None = None,
                 names: dict[str, str] | None = None) -> ExportFilter:
    """An export's filter as typed on the command line: a community by name or id (None: every
    one), dates and a cycle (`make_filter`)."""
    from valuestory.usecases.communities.queries import find_community

    ids = None
    if community:
        async with db.session() as session:
            ids = frozenset({(await find_community(session, community)).id})
    return make_filter(since, until, cycle, ids, names)


async def for_dashboard(db: Database, user_id: int, admins: frozenset[int], community_id: int,
                        fmt: str, since: str, until: str, cycle: str,
                        folder: Path) -> ExportResult | None:
    """The dashboard's export of one community, as its form was filled in, written into `folder`
    and audited; None if this person may not export it. ExportError says what to fix."""
    chosen = parse_format(fmt)
    filt = make_filter(since, until, cycle, frozenset({community_id}))
    async with db.session() as session:
        found = await access.queries.view(session, user_id, community_id, admins)
    if found is None or found.exports is None:
        return None
    path = folder / f"narratives{SUFFIX[chosen]}"
    return await export(db, found.exports.actor, chosen, path, filt, offload=True)
