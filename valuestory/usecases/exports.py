"""Pseudonymised exports of narratives for researchers: CSV, XLSX, JSON Lines and REFI-QDA.

One streaming query feeds every format, so memory stays flat however many narratives there are.
An export carries a member's pseudonym for the community, never a Telegram id, name or username;
members who withdrew are absent because their narratives and membership no longer exist.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import html
import json
import multiprocessing
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Protocol
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from sqlalchemy import Select, String, and_, func, or_, select, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from flows import texts
from flows.questions import Capital, ValueCycle
from storage.db import Database
from storage.models import (
    AuditEntry,
    Community,
    Event,
    Membership,
    Narrative,
    Prompt,
    utcnow,
)
from valuestory.usecases import callbacks
from valuestory.usecases.access import Scope, export_scope
from valuestory.usecases.out import Out
from valuestory.usecases.streamzip import StreamingZip

# Rows per batch: small enough that a batch is still in the processor's cache when it is
# written (2,000 measured slower than 500 on a million-row export), large enough that the
# round trips to the database do not add up.
BATCH = 500


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSONL = "jsonl"
    QDPX = "qdpx"


SUFFIX = {ExportFormat.CSV: ".csv", ExportFormat.XLSX: ".xlsx", ExportFormat.JSONL: ".jsonl",
          ExportFormat.QDPX: ".qdpx"}

COLUMNS = (
    "narrative_id", "story_id", "pseudonym", "community", "event", "event_date", "prompt_kind",
    "question_id", "question", "cycle", "capital", "answer", "answered_at", "revised_at",
    "attended",
)


class ExportError(ValueError):
    """A filter or format that can't be used, said plainly."""


# One narrative as researchers receive it: the COLUMNS in order (times ISO 8601 in the
# community's zone), then the community's and the membership's ids.
#
# A plain tuple on purpose, not a NamedTuple: the garbage collector stops following a tuple of
# strings and numbers, but keeps following every instance of a tuple subclass, and a million of
# them crowding its oldest generation made collections cost a quarter of a large export's time.
ExportRow = tuple[int, str, str, str, str, str, str, str, str, str, str, str, str, str, str, int, int]


@dataclass(frozen=True)
class ExportFilter:
    """Which narratives: communities (None is every one), event dates (inclusive) and a cycle."""

    community_ids: frozenset[int] | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    cycle: str | None = None
    # Narrative ids from `first_id` up to, not including, `below_id`: a share of a split export.
    first_id: int | None = None
    below_id: int | None = None

    def describe(self, names: dict[int, str] | None = None) -> dict[str, Any]:
        """The filters as plain data for the audit log."""
        communities: list[Any] | None = None
        if self.community_ids is not None:
            communities = sorted((names or {}).get(i, str(i)) for i in self.community_ids)
        return {
            "communities": communities,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "cycle": self.cycle,
        }


def parse_date(text: str) -> dt.date:
    """A date typed by a person, YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ExportError(f"{text!r} is not a date like 2026-09-01") from None


def parse_cycle(text: str) -> str:
    value = text.strip().lower()
    if value not in set(ValueCycle):
        raise ExportError(f"the cycle must be one of {', '.join(ValueCycle)}")
    return value


def parse_format(text: str) -> ExportFormat:
    try:
        return ExportFormat(text.strip().lower())
    except ValueError:
        raise ExportError(f"the format must be one of {', '.join(ExportFormat)}") from None


# --- the query ------------------------------------------------------------------------------


async def _communities(session: AsyncSession, ids: frozenset[int] | None) -> Sequence[Community]:
    query = select(Community).order_by(Community.id)
    if ids is not None:
        query = query.where(Community.id.in_(ids))
    return (await session.scalars(query)).all()


def _query(communities: Sequence[Community], filt: ExportFilter, columns: Sequence[Any]) -> Select[Any]:
    query = (
        select(*columns)
        .select_from(Narrative)
        # An inner join to the membership: a member who withdrew has none, so nothing of theirs
        # can leak even if a narrative were somehow left behind.
        .join(Membership, and_(Membership.member_id == Narrative.member_id,
                               Membership.community_id == Narrative.community_id))
        .join(Prompt, Prompt.id == Narrative.prompt_id)
    )
    if filt.community_ids is not None:
        query = query.where(Narrative.community_id.in_(filt.community_ids))
    if filt.cycle:
        query = query.where(Narrative.cycle == filt.cycle)
    if filt.first_id is not None:
        query = query.where(Narrative.id >= filt.first_id)
    if filt.below_id is not None:
        query = query.where(Narrative.id < filt.below_id)
    if filt.since or filt.until:
        # Joined only to filter: communities' names and events' titles are looked up once each.
        query = query.join(Event, Event.id == Narrative.event_id)
        # A date means a day in each community's own zone, so bounds differ per community.
        per_community = []
        for c in communities:
            zone = ZoneInfo(c.timezone)
            conds = [Narrative.community_id == c.id]
            if filt.since:
                conds.append(Event.starts_at >= dt.datetime.combine(filt.since, dt.time(), zone))
            if filt.until:
                end = dt.datetime.combine(filt.until + dt.timedelta(days=1), dt.time(), zone)
                conds.append(Event.starts_at < end)
            per_community.append(and_(*conds))
        query = query.where(or_(*per_community) if per_community else Narrative.id.is_(None))
    return query


# Timestamps are read as the database gives them (text on SQLite) and converted by `LocalTimes`:
# SQLAlchemy's per-value datetime processing plus zoneinfo would cost more than the query itself.
_RAW = String()
_ROW_COLUMNS = (
    # The event by id: its title and date are looked up once per event, not read on every row.
    Narrative.id, Narrative.story_id, Membership.pseudonym, Narrative.event_id,
    Prompt.kind, Narrative.question_id,
    Narrative.question_text, Narrative.cycle, Narrative.capital, Narrative.text,
    type_coerce(Narrative.answered_at, _RAW), type_coerce(Narrative.revised_at, _RAW),
    Prompt.attended, Narrative.community_id, Membership.id,
)


class LocalTimes:
    """UTC timestamps as ISO 8601 in a community's zone, with the zone arithmetic cached.

    Nearly every zone is a whole number of hours from UTC for a whole UTC hour at a time, so the
    local time is a cached local date and hour followed by the stored minutes and seconds: one
    look-up per value instead of a conversion. Hours where that does not hold (a half-hour zone,
    a change of offset within the hour) are converted per minute instead.
    """

    LIMIT = 10_000  # entries per cache; keeps memory small and bounded on any export

    def __init__(self) -> None:
        # (zone, 'YYYY-MM-DD HH') -> (local 'YYYY-MM-DDTHH', offset), or None: not a whole hour.
        self.hours: dict[tuple[ZoneInfo, str], tuple[str, str] | None] = {}
        # (zone, 'YYYY-MM-DD HH:MM') -> (local 'YYYY-MM-DDTHH:MM', offset)
        self.minutes: dict[tuple[ZoneInfo, str], tuple[str, str]] = {}

    def __call__(self, value: str | dt.datetime | None, zone: ZoneInfo) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            return moment.astimezone(zone).isoformat(timespec="seconds")
        # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (see UTCDateTime).
        key = (zone, value[:13])
        hit = self.hours.get(key, _MISSING)
        if hit is _MISSING:
            hit = self._hour(key)
        if hit is not None and len(value) >= 19:
            return f"{hit[0]}{value[13:19]}{hit[1]}"
        return self._minute(value, zone)

    def _hour(self, key: tuple[ZoneInfo, str]) -> tuple[str, str] | None:
        zone, hour = key
        start = dt.datetime.fromisoformat(hour + ":00").replace(tzinfo=dt.UTC)
        first = start.astimezone(zone)
        last = (start + dt.timedelta(hours=1, microseconds=-1)).astimezone(zone)
        offset = first.utcoffset()
        hit = None
        if offset == last.utcoffset() and offset is not None and not offset % dt.timedelta(hours=1):
            text = first.isoformat(timespec="minutes")  # 'YYYY-MM-DDTHH:00+HH:MM'
            hit = (text[:13], text[16:])
        if len(self.hours) >= self.LIMIT:
            self.hours.clear()
        self.hours[key] = hit
        return hit

    def _minute(self, value: str, zone: ZoneInfo) -> str:
        key = (zone, value[:16])
        hit = self.minutes.get(key)
        if hit is None:
            local = dt.datetime.fromisoformat(value[:16]).replace(tzinfo=dt.UTC).astimezone(zone)
            text = local.isoformat(timespec="minutes")
            hit = (text[:16], text[16:])
            if len(self.minutes) >= self.LIMIT:
                self.minutes.clear()
            self.minutes[key] = hit
        return f"{hit[0]}:{value[17:19] or '00'}{hit[1]}"


_MISSING: Any = object()


async def count(db: Database, filt: ExportFilter) -> int:
    """How many narratives an export with these filters would hold."""
    async with db.session() as session:
        communities = await _communities(session, filt.community_ids)
        total = await session.scalar(_query(communities, filt, [func.count(Narrative.id)]))
    return int(total or 0)


def _driver_statement(query: Select[Any], dialect: Dialect) -> tuple[str, list[Any]]:
    """The query as SQL and positional parameters for the driver itself, as SQLAlchemy binds them."""
    compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    args = []
    for name in compiled.positiontup or ():
        # An expanded IN list's parameters have no bind of their own; they are plain integers.
        bind = compiled.binds.get(name)
        process = bind.type.dialect_impl(dialect).bind_processor(dialect) if bind is not None else None
        args.append(process(values[name]) if process else values[name])
    return compiled.string, args


async def _batches(conn: AsyncConnection, query: Select[Any]) -> AsyncIterator[Sequence[Any]]:
    """The query's rows as plain tuples, BATCH at a time, from a server-side cursor."""
    if conn.dialect.name == "sqlite":
        # SQLAlchemy's result rows cost more than reading them; the driver's own cursor gives
        # plain tuples and still runs the query in aiosqlite's thread, off the event loop.
        sql, args = _driver_statement(query, conn.dialect)
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        cursor = await driver.execute(sql, args)
        try:
            while part := await cursor.fetchmany(BATCH):
                yield part
        finally:
            await cursor.close()
        return
    result = await conn.stream(query.execution_options(yield_per=BATCH))
    async for part in result.partitions(BATCH):
        yield part


async def stream_rows(
    db: Database, filt: ExportFilter, *, by_member: bool = False
) -> AsyncIterator[list[ExportRow]]:
    """The narratives in batches, straight from a server-side cursor."""
    async with db.session() as session:
        communities = await _communities(session, filt.community_ids)
    zones = {c.id: ZoneInfo(c.timezone) for c in communities}
    names = {c.id: c.name for c in communities}
    query = _query(communities, filt, _ROW_COLUMNS)
    query = query.order_by(Membership.id, Narrative.id) if by_member else query.order_by(
        Narrative.id)
    local = LocalTimes()
    # Event id -> title, local date. Unbounded, but events are few beside their narratives.
    events: dict[int, tuple[str, str]] = {}

    async def event(event_id: int) -> tuple[str, str]:
        """An event's title and local date, loaded with every other event of its community."""
        async with db.session() as session:
            found = (await session.execute(
                select(Event.id, Event.community_id, Event.title, type_coerce(Event.starts_at, _RAW))
                .where(Event.community_id == select(Event.community_id)
                       .where(Event.id == event_id).scalar_subquery())
            )).all()
        for eid, cid, title, starts in found:
            events[eid] = (title, local(starts, zones[cid])[:10])
        return events[event_id]

    async with db.engine.connect() as conn:
        async for part in _batches(conn, query):
            batch: list[ExportRow] = []
            for (nid, story, pseudonym, eid, kind, qid, question, cycle,
                 capital, text, answered, revised, attended, cid, mid) in part:
                zone, community = zones[cid], names[cid]
                title, day = events.get(eid) or await event(eid)
                batch.append((
                    nid, story, pseudonym, community, title, day, kind, qid, question, cycle,
                    capital or "", text, local(answered, zone),
                    "" if revised is None else local(revised, zone),
                    "" if attended is None else ("yes" if attended else "no"), cid, mid,
                ))
            yield batch


# --- writers --------------------------------------------------------------------------------


class Writer(Protocol):
    by_member: bool

    def write(self, rows: list[ExportRow]) -> None: ...

    def close(self) -> None: ...


_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_N = len(COLUMNS)


def neutralise(cell: str) -> str:
    """Stop a spreadsheet reading a cell as a formula: a leading apostrophe, as Excel itself uses."""
    return "'" + cell if cell.startswith(_DANGEROUS) else cell


def _cell(text: str) -> str:
    """One quoted RFC 4180 cell, neutralised: quotes doubled, line breaks kept inside the quotes."""
    if text.startswith(_DANGEROUS):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"'


class _QuotedCells(dict[str, str]):
    """Cells already quoted, by their text: a hit is a plain dict look-up, a miss quotes it once."""

    LIMIT = 50_000  # entries; more than a large export's pseudonyms and questions, yet bounded

    def __missing__(self, text: str) -> str:
        if len(self) >= self.LIMIT:
            self.clear()
        cell = self[text] = _cell(text)
        return cell


# The prefix an answer needs to be neutralised, by its first character (none for most).
_NEUTRALISER = dict.fromkeys(_DANGEROUS, "'")
_Q, _QQ = '"', '""'


class CsvWriter:
    """UTF-8 with a byte order mark so Excel reads it as UTF-8; RFC 4180 quoting, CRLF lines.

    Cells are formatted here rather than by the csv module, which is several times slower on
    long, quoted text. Everything a person typed (or named) is quoted and neutralised; the rest
    (ids, dates, our own enum values) can hold neither quotes nor formula characters.
    """

    by_member = False

    def __init__(self, path: Path, header: bool = True) -> None:
        self.file = path.open("wb", buffering=1 << 20)
        if header:
            self.file.write(("\ufeff" + ",".join(COLUMNS) + "\r\n").encode("utf-8"))
        # Pseudonyms, communities, events and questions repeat across many rows: quote each once.
        self.cells = _QuotedCells()

    def write(self, rows: list[ExportRow]) -> None:
        # One expression per row, no calls of our own: this line runs millions of times. Each
        # line is encoded on its own because joining bytes is cheaper than joining text, where
        # one emoji anywhere widens the whole batch to four bytes a character.
        q, prefix = self.cells, _NEUTRALISER.get
        self.file.write(b"".join([
            f"{nid},{story},{q[pseudonym]},{q[community]},{q[event]},{day},{kind},{q[qid]},"
            f"{q[question]},{cycle},{capital},"
            f'"{prefix(answer[:1], "")}{answer.replace(_Q, _QQ)}",'
            f"{answered},{revised},{attended}\r\n".encode()
            for (nid, story, pseudonym, community, event, day, kind, qid, question, cycle,
                 capital, answer, answered, revised, attended, _community_id, _membership_id)
            in rows
        ]))

    def close(self) -> None:
        self.file.close()


class JsonlWriter:
    by_member = False

    def __init__(self, path: Path) -> None:
        self.file = path.open("w", encoding="utf-8", newline="\n")

    def write(self, rows: list[ExportRow]) -> None:
        dumps = json.dumps
        self.file.writelines(
            dumps(dict(zip(COLUMNS, r[:_N], strict=True)), ensure_ascii=False) + "\n"
            for r in rows
        )

    def close(self) -> None:
        self.file.close()


class XlsxWriter:
    """constant_memory mode flushes each row to disk as it is written."""

    by_member = False

    def __init__(self, path: Path) -> None:
        import xlsxwriter

        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                                    "strings_to_formulas": False,
                                                    "strings_to_urls": False,
                                                    "strings_to_numbers": False})
        self.sheet = self.book.add_worksheet("narratives")
        bold = self.book.add_format({"bold": True})
        for col, name in enumerate(COLUMNS):
            self.sheet.write_string(0, col, name, bold)
        self.sheet.freeze_panes(1, 0)
        self.row = 1

    def write(self, rows: list[ExportRow]) -> None:
        sheet = self.sheet
        for r in rows:
            sheet.write_number(self.row, 0, r[0])
            for col in range(1, _N):
                # write_string: never a formula, whatever the text begins with.
                sheet.write_string(self.row, col, r[col])
            self.row += 1

    def close(self) -> None:
        self.book.close()


# REFI-QDA ----------------------------------------------------------------------------------

_NS = uuid.UUID("6f0d5f0e-2b8a-4a39-9a55-6c3e8a0b7d21")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CYCLE_COLOURS = {"immediate": "#4E79A7", "potential": "#F28E2B", "applied": "#59A14F",
                 "realised": "#E15759", "reframing": "#B07AA1"}
VARIABLES = (("community", "Text"), ("event", "Text"), ("event_date", "Date"),
             ("question", "Text"), ("question_id", "Text"), ("prompt_kind", "Text"))


def guid(kind: str, key: object) -> str:
    """A stable GUID, so a second export of the same narratives lines up with the first."""
    return str(uuid.uuid5(_NS, f"{kind}:{key}"))


def _x(text: str) -> str:
    # A raw CR would be read back as LF by any XML parser; the character reference survives.
    return escape(_XML_BAD.sub("\ufffd", text), {"\r": "&#13;"})


def _attr(text: str) -> str:
    return quoteattr(_XML_BAD.sub("\ufffd", text), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def codebook_xml() -> str:
    """A code per value cycle; the five capitals under potential value."""
    parts = ["<CodeBook><Codes>"]
    for cycle in ValueCycle:
        parts.append(f'<Code guid="{guid("code", cycle)}" name="{cycle.value} value" '
                     f'isCodable="true" color="{CYCLE_COLOURS[cycle]}">')
        if cycle is ValueCycle.POTENTIAL:
            for capital in Capital:
                parts.append(f'<Code guid="{guid("code", f"potential.{capital}")}" '
                             f'name="{capital.value} capital" isCodable="true"/>')
        parts.append("</Code>")
    parts.append("</Codes></CodeBook>")
    return "".join(parts)


def variables_xml() -> str:
    return "<Variables>" + "".join(
        f'<Variable guid="{guid("variable", name)}" name="{name}" typeOfVariable="{kind}"/>'
        for name, kind in VARIABLES
    ) + "</Variables>"


def _value(name: str, element: str, value: str) -> str:
    return (f'<VariableValue><VariableRef targetGUID="{guid("variable", name)}"/>'
            f"<{element}>{_x(value)}</{element}></VariableValue>")


class QdpxWriter:
    """A REFI-QDA project: each narrative a text source under sources/, coded with its cycle.

    The .qde XML is built in two temporary files (cases, sources) as rows arrive, then copied
    into the zip in chunks, so no part of the project is held in memory at once.
    """

    by_member = True  # a case's narratives arrive together, so each Case is written once

    def __init__(self, path: Path, now: dt.datetime | None = None) -> None:
        self.now = (now or utcnow()).astimezone(dt.UTC).replace(microsecond=0)
        self.zip = StreamingZip(path, self.now)
        self.cases: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self.sources: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self.current_case: int | None = None
        self.any = False

    def write(self, rows: list[ExportRow]) -> None:
        for (narrative_id, _story, pseudonym, community, event, event_date, prompt_kind,
             question_id, question, cycle, capital, answer, _answered, _revised, _attended,
             _community_id, membership_id) in rows:
            self.any = True
            if membership_id != self.current_case:
                if self.current_case is not None:
                    self.cases.write("</Case>")
                self.current_case = membership_id
                self.cases.write(
                    f'<Case guid="{guid("case", membership_id)}" name={_attr(pseudonym)}>'
                    + _value("community", "TextValue", community)
                )
            source = guid("narrative", narrative_id)
            self.cases.write(f'<SourceRef targetGUID="{source}"/>')
            self.zip.write(f"sources/{source}.txt", answer.encode("utf-8"))
            codes = [guid("code", ValueCycle(cycle))] if cycle in set(ValueCycle) else []
            if capital:
                codes.append(guid("code", f"potential.{capital}"))
            codings = "".join(
                f'<Coding guid="{guid("coding", f"{narrative_id}:{code}")}">'
                f'<CodeRef targetGUID="{code}"/></Coding>' for code in codes
            )
            name = f"{pseudonym} {event_date} {question_id}"
            self.sources.write(
                f'<TextSource guid="{source}" name={_attr(name)} '
                f'plainTextPath="internal://{source}.txt">'
                f'<PlainTextSelection guid="{guid("selection", narrative_id)}" '
                f'name={_attr(question_id)} startPosition="0" endPosition="{len(answer)}">'
                f"{codings}</PlainTextSelection>"
                + _value("community", "TextValue", community)
                + _value("event", "TextValue", event)
                + _value("event_date", "DateValue", event_date)
                + _value("question", "TextValue", question)
                + _value("question_id", "TextValue", question_id)
                + _value("prompt_kind", "TextValue", prompt_kind)
                + "</TextSource>"
            )

    def close(self) -> None:
        if self.current_case is not None:
            self.cases.write("</Case>")
        with self.zip.write_stream("project.qde") as entry:
            def out(text: str) -> None:
                entry.write(text.encode("utf-8"))

            out('<?xml version="1.0" encoding="utf-8"?>\n'
                f'<Project xmlns="urn:QDA-XML:project:1.0" name="valuestory export" '
                f'origin="valuestory" creationDateTime="{self.now.isoformat()}">')
            out(codebook_xml())
            out(variables_xml())
            for tag, part in (("Cases", self.cases), ("Sources", self.sources)):
                if self.any:  # both elements need at least one child to be valid
                    out(f"<{tag}>")
                    part.seek(0)
                    while chunk := part.read(1 << 16):
                        out(chunk)
                    out(f"</{tag}>")
                part.close()
            out("</Project>\n")
        self.zip.close()


WRITERS: dict[ExportFormat, Callable[[Path], Writer]] = {
    ExportFormat.CSV: CsvWriter, ExportFormat.XLSX: XlsxWriter, ExportFormat.JSONL: JsonlWriter,
    ExportFormat.QDPX: QdpxWriter,
}


# --- running an export ----------------------------------------------------------------------


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
    return await _write(db, WRITERS[fmt](path), filt, progress, offload)


async def _write(db: Database, writer: Writer, filt: ExportFilter,
                 progress: Callable[[int], None] | None, offload: bool) -> int:
    written = 0
    try:
        async for batch in stream_rows(db, filt, by_member=writer.by_member):
            if offload:
                await asyncio.to_thread(writer.write, batch)
            else:
                writer.write(batch)
            written += len(batch)
            if progress is not None:
                progress(len(batch))
    finally:
        writer.close()
    return written


def _write_csv_share(url: str, path: str, filt: ExportFilter) -> int:
    """In a second process: one share of a CSV export, without the header, to `path`."""
    async def run() -> int:
        db = Database(url)
        try:
            return await _write(db, CsvWriter(Path(path), header=False), filt, None, False)
        finally:
            await db.dispose()

    return asyncio.run(run())


async def _write_csv_shared(db: Database, path: Path, filt: ExportFilter,
                            progress: Callable[[int], None] | None) -> int:
    async with db.session() as session:
        communities = await _communities(session, filt.community_ids)
        ids = _query(communities, filt, [Narrative.id]).order_by(Narrative.id)
        total = int(await session.scalar(_query(communities, filt, [func.count(Narrative.id)]))
                    or 0)
        middle = await session.scalar(ids.offset(total // 2).limit(1))
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
            written = await _write(db, CsvWriter(path), first, progress, False)
            rest = await later
        with path.open("ab") as out, share.open("rb") as part:
            shutil.copyfileobj(part, out, 1 << 20)
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
        names = {c.id: c.name for c in await _communities(session, filt.community_ids)}
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
        query = (select(AuditEntry, Community.name)
                 .outerjoin(Community, Community.id == AuditEntry.community_id)
                 .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
        if limit:
            query = query.limit(limit)
        found = (await session.execute(query)).all()
    return [{"id": e.id, "at": e.at.isoformat(timespec="seconds"), "actor": e.actor,
             "action": e.action, "community": name, "details": e.details} for e, name in found]


# --- who may export, and /export in a chat ---------------------------------------------------


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
        raise ExportError(f"I didn't understand {fmt_text!r}")
    since = parse_date(values["since"]) if values.get("since") else None
    until = parse_date(values["until"]) if values.get("until") else None
    if since and until and until < since:
        raise ExportError("until comes before since")
    return ExportRequest(
        format=parse_format(fmt_text) if fmt_text else None,
        community=values.get("community") or None,
        since=since, until=until,
        cycle=parse_cycle(values["cycle"]) if values.get("cycle") else None,
    )


MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # the most a bot may send as one document
FORMAT_LABELS = {ExportFormat.CSV: "CSV (Excel)", ExportFormat.XLSX: "Excel workbook",
                 ExportFormat.JSONL: "JSON Lines", ExportFormat.QDPX: "REFI-QDA (.qdpx)"}
Say = Callable[[list[Out]], Awaitable[None]]


async def _scope(db: Database, user_id: int, admins: frozenset[int]) -> Scope | None:
    async with db.session() as session:
        return await export_scope(session, user_id, admins)


async def for_chat(db: Database, user_id: int, admins: frozenset[int], text: str, folder: Path,
                   say: Say) -> list[Out]:
    """/export [format] [community=..] [since=..] [until=..] [cycle=..] in a chat.

    The file is written into `folder`, which the caller removes once it has sent it.
    """
    scope = await _scope(db, user_id, admins)
    if scope is None:
        return [Out(texts.NOT_ALLOWED)]
    try:
        request = parse_request(text)
    except ExportError as exc:
        return [Out(texts.EXPORT_BAD.format(problem=html.escape(str(exc).capitalize())))]
    if request.format is None and not text.strip():
        buttons = tuple(((label, callbacks.encode(callbacks.Prefix.EXPORT, fmt.value)),)
                        for fmt, label in FORMAT_LABELS.items())
        return [Out(texts.EXPORT_CHOOSE, buttons)]
    if request.format is None:
        return [Out(texts.EXPORT_USAGE)]
    return await _deliver(db, scope, request, folder, say)


async def format_pressed(db: Database, user_id: int, admins: frozenset[int], data: str,
                         folder: Path, say: Say) -> list[Out]:
    """A format button under /export: the role is checked again, the data never trusted."""
    scope = await _scope(db, user_id, admins)
    if scope is None:
        return [Out(texts.NOT_ALLOWED)]
    _, parts = callbacks.decode(data)
    try:
        fmt = parse_format(parts[0] if len(parts) == 1 else "")
    except ExportError:
        return [Out(texts.STALE_BUTTON)]
    return await _deliver(db, scope, ExportRequest(format=fmt), folder, say)


async def _deliver(db: Database, scope: Scope, request: ExportRequest, folder: Path,
                   say: Say) -> list[Out]:
    from valuestory.usecases.communities import lookup_community

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
        return [Out(texts.EXPORT_NO_COMMUNITY.format(community=html.escape(request.community or "")))]
    filt = ExportFilter(community_ids=ids, since=request.since, until=request.until,
                        cycle=request.cycle)
    await say([Out(texts.EXPORT_WORKING.format(format=FORMAT_LABELS[request.format]))])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    filename = f"valuestory-{stamp}{SUFFIX[request.format]}"
    path = folder / filename
    result = await export(db, scope.actor, request.format, path, filt, offload=True)
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        return [Out(texts.EXPORT_TOO_BIG.format(rows=result.rows))]
    return [Out(texts.EXPORT_READY.format(rows=result.rows, format=FORMAT_LABELS[request.format]),
                document=(filename, path))]
