"""The exports' SQL: the one streaming query behind every export format, and the audit log's.

It reads in batches straight from the driver, so memory stays flat however many narratives there are;
timestamps are converted by a cache, not per value. An inner join to the membership means a
member who withdrew can never appear.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, String, and_, func, or_, select, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.db import Database
from storage.models import (
    AuditEntry,
    Code,
    Coder,
    Coding,
    Community,
    Event,
    Membership,
    Narrative,
    Prompt,
    VoiceNote,
    VoiceNoteStatus,
)
from valuestory.usecases.checking import queries as check_queries
from valuestory.usecases.exports.refiqda import BookCode, ProjectCoding
from valuestory.usecases.exports.shape import (
    BATCH,
    COMMENT_KIND,
    DONE,
    INTENDED,
    CommentRow,
    ExportFilter,
    ExportRow,
)


async def chosen_communities(session: AsyncSession, ids: frozenset[int] | None) -> Sequence[Community]:
    query = select(Community).order_by(Community.id)
    if ids is not None:
        query = query.where(Community.id.in_(ids))
    return (await session.scalars(query)).all()


def export_query(communities: Sequence[Community], filt: ExportFilter, columns: Sequence[Any]) -> Select[Any]:
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
    Narrative.question_text, Narrative.language, Narrative.cycle, Narrative.capital, Narrative.text,
    type_coerce(Narrative.answered_at, _RAW), type_coerce(Narrative.revised_at, _RAW),
    Prompt.attended, Narrative.spoken, Narrative.intended, Narrative.channel,
    Narrative.community_id, Membership.id,
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
    async with db.long_read() as session:
        communities = await chosen_communities(session, filt.community_ids)
        total = await session.scalar(export_query(communities, filt, [func.count(Narrative.id)]))
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
        # plain tuples and still runs the query in aiosqlite's thread (a long read's), off the
        # event loop.
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
    local = LocalTimes()
    # Event id -> title, local date: every event of the chosen communities, read before the
    # rows stream (events are few beside their narratives), so an export holds one connection,
    # never a second one while its cursor is open.
    events: dict[int, tuple[str, str]] = {}
    async with db.session() as session:
        communities = await chosen_communities(session, filt.community_ids)
        zones = {c.id: ZoneInfo(c.timezone) for c in communities}
        for eid, cid, title, starts in await session.execute(
                select(Event.id, Event.community_id, Event.title, type_coerce(Event.starts_at, _RAW))
                .where(Event.community_id.in_(list(zones)))):
            events[eid] = (title, local(starts, zones[cid])[:10])
    names = {c.id: c.name for c in communities}
    query = export_query(communities, filt, _ROW_COLUMNS)
    query = query.order_by(Membership.id, Narrative.id) if by_member else query.order_by(
        Narrative.id)

    def shaped(part: Sequence[Any]) -> list[ExportRow]:
        batch: list[ExportRow] = []
        for (nid, story, pseudonym, eid, kind, qid, question, language, cycle,
             capital, text, answered, revised, attended, spoken, intended, channel, cid,
             mid) in part:
            zone, community = zones[cid], names[cid]
            title, day = events[eid]
            batch.append((
                nid, story, pseudonym, community, title, day, kind, qid, question, language,
                cycle,
                capital or "", text, local(answered, zone),
                "" if revised is None else local(revised, zone),
                "" if attended is None else ("yes" if attended else "no"),
                "yes" if spoken else "no",
                INTENDED if intended else (DONE if cycle == "applied" else ""), channel,
                cid, mid,
            ))
        return batch

    # Read off the loop's thread (Database.long_read), whatever the driver, and shaped off it
    # too, a batch at a time, one after another: a whole community's export is tens of
    # thousands of rows to format, which members would otherwise wait behind.
    async with db.long_read() as reading:
        conn = await reading.connection()
        async for part in _batches(conn, query):
            yield await asyncio.to_thread(shaped, part)


# How an answer of the members' check reads in an export's question cell.
_SAID = {check_queries.AGREED: "rings true", check_queries.DISAGREED: "not for me",
         check_queries.SKIPPED: "skipped"}


async def comment_rows(db: Database, filt: ExportFilter) -> list[CommentRow]:
    """The sentences members wrote when they checked the matrix, as an export's rows (see
    `shape.CommentRow`), under the export's filters: its communities, the indicator's cycle,
    and the day (in the community's zone) the sentence was answered on."""
    rows: list[CommentRow] = []
    local = LocalTimes()
    async with db.long_read() as session:
        for c in await chosen_communities(session, filt.community_ids):
            zone = ZoneInfo(c.timezone)
            since = dt.datetime.combine(filt.since, dt.time(), zone) if filt.since else None
            before = (dt.datetime.combine(filt.until + dt.timedelta(days=1), dt.time(), zone)
                      if filt.until else None)
            for (_, iid, statement, cycle, capital, _, _, pseudonym, answer, sentence,
                 answered) in await session.execute(
                    check_queries.export_comments([c.id], since, before, filt.cycle)):
                rows.append((
                    "", "", pseudonym, c.name, "", "", COMMENT_KIND, f"indicator:{iid}",
                    f"Members' check comment on indicator {iid} "
                    f"({_SAID.get(answer or '', 'unanswered')}): {statement}",
                    "", cycle, capital or "", sentence, local(answered, zone), "", "", "no", "",
                    ""))
    return rows


async def recordings(db: Database, narrative_ids: Sequence[int]) -> dict[int, list[tuple[int, str, bytes]]]:
    """The kept recordings of these narratives' voice notes: (note id, transcript, audio) by narrative."""
    if not narrative_ids:
        return {}
    async with db.session() as session:
        found = (await session.execute(
            select(VoiceNote.narrative_id, VoiceNote.id, VoiceNote.transcript, VoiceNote.audio)
            .where(VoiceNote.narrative_id.in_(narrative_ids), VoiceNote.audio.is_not(None),
                   VoiceNote.status == VoiceNoteStatus.KEPT)
            .order_by(VoiceNote.id))).all()
    out: dict[int, list[tuple[int, str, bytes]]] = {}
    for narrative_id, note_id, transcript, audio in found:
        if narrative_id is not None and audio is not None:  # both filtered for; told to mypy
            out.setdefault(narrative_id, []).append((note_id, transcript or "", audio))
    return out


async def middle_id(session: AsyncSession, filt: ExportFilter) -> int | None:
    """The narrative id that splits an export's narratives in two halves (None: none to split)."""
    communities = await chosen_communities(session, filt.community_ids)
    ids = export_query(communities, filt, [Narrative.id]).order_by(Narrative.id)
    total = int(await session.scalar(export_query(communities, filt, [func.count(Narrative.id)]))
                or 0)
    return await session.scalar(ids.offset(total // 2).limit(1))


async def audit_log(session: AsyncSession, limit: int | None) -> Sequence[Any]:
    """The audit log's entries with their community's name, newest first."""
    query = (select(AuditEntry, Community.name)
             .outerjoin(Community, Community.id == AuditEntry.community_id)
             .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    if limit:
        query = query.limit(limit)
    return (await session.execute(query)).all()


# --- the communities' codes and codings, for the exports that carry them -----------------------


async def any_coding(db: Database, community_ids: frozenset[int] | None) -> bool:
    """Whether any narrative of these communities is coded: if none, no batch looks."""
    query = select(Coding.id).join(Code, Code.id == Coding.code_id).limit(1)
    if community_ids is not None:
        query = query.where(Code.community_id.in_(community_ids))
    async with db.session() as session:
        return await session.scalar(query) is not None


async def code_names(db: Database, narrative_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The names of the codes applied to these narratives (by anyone), by narrative, sorted."""
    found: dict[int, list[str]] = {}
    async with db.session() as session:
        for nid, name in await session.execute(
                select(Coding.narrative_id, Code.name).join(Code, Code.id == Coding.code_id)
                .where(Coding.narrative_id.in_(narrative_ids)).distinct()
                .order_by(Coding.narrative_id, Code.name)):
            found.setdefault(nid, []).append(name)
    return {nid: tuple(names) for nid, names in found.items()}


async def codebooks(db: Database, community_ids: frozenset[int] | None
                    ) -> tuple[list[BookCode], list[tuple[str, str]]]:
    """The communities' codes (parents' guids resolved) and coders (guid, label)."""
    codes = select(Code)
    coders = select(Coder.guid, Coder.label)
    if community_ids is not None:
        codes = codes.where(Code.community_id.in_(community_ids))
        coders = coders.where(Coder.community_id.in_(community_ids))
    async with db.session() as session:
        found = (await session.scalars(codes.order_by(Code.name, Code.id))).all()
        by_id = {c.id: c.guid for c in found}
        people = [(g, label) for g, label in (await session.execute(
            coders.order_by(Coder.label))).all()]
    return [BookCode(c.guid, c.name, c.colour, c.description,
                     by_id.get(c.parent_id) if c.parent_id else None) for c in found], people


async def project_codings(db: Database, narrative_ids: Sequence[int]
                          ) -> dict[int, list[ProjectCoding]]:
    """These narratives' codings, as a project carries them, by narrative."""
    found: dict[int, list[ProjectCoding]] = {}
    async with db.session() as session:
        for nid, g, code, coder, start, end, at in await session.execute(
                select(Coding.narrative_id, Coding.guid, Code.guid, Coder.guid, Coding.start,
                       Coding.end, Coding.created_at)
                .join(Code, Code.id == Coding.code_id).join(Coder, Coder.id == Coding.coder_id)
                .where(Coding.narrative_id.in_(narrative_ids))
                .order_by(Coding.narrative_id, Coding.id)):
            found.setdefault(nid, []).append(ProjectCoding(
                g, code, coder, start, end,
                at.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")))
    return found
