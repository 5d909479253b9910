"""Researchers take pseudonymised narratives into their tools: CSV, XLSX, JSON Lines, REFI-QDA."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import os
import re
import sys
import zipfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import xmlschema
from sqlalchemy import select

from flows import texts
from storage.models import AuditEntry, Community, Membership, Narrative
from tests import seed
from tests.harness import Harness, Person
from valuestory.usecases import exports
from valuestory.usecases.exports import ExportFilter, ExportFormat

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "Project-mrt2019.xsd"
QDA = "{urn:QDA-XML:project:1.0}"
AWKWARD = "=SUM(A1) 🎉 مرحبا بالعالم\nline two\r\nthird <b>bold</b> & \"quoted\", 'single'"


async def _export(harness: Harness, fmt: ExportFormat, tmp_path: Path,
                  filt: ExportFilter | None = None) -> Path:
    path = tmp_path / f"out{exports.SUFFIX[fmt]}"
    await exports.export(harness.db, "test", fmt, path, filt or ExportFilter())
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the byte order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _ooxml_text(value: Any) -> Any:
    """Undo OOXML's _xHHHH_ escapes for control characters, as Excel does on opening
    (openpyxl leaves them in place)."""
    if not isinstance(value, str):
        return value
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def read_xlsx(path: Path) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(path, read_only=True).active
    assert sheet is not None
    rows = [[_ooxml_text(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def read_qdpx(path: Path) -> tuple[Any, dict[str, str]]:
    """The project XML, checked against the REFI-QDA schema, and the source texts by GUID."""
    with zipfile.ZipFile(path) as z:
        qde = z.read("project.qde")
        sources = {n.removeprefix("sources/").removesuffix(".txt"): z.read(n).decode("utf-8")
                   for n in z.namelist() if n.startswith("sources/")}
    schema = xmlschema.XMLSchema(str(SCHEMA))
    schema.validate(qde.decode("utf-8"))
    from xml.etree import ElementTree

    return ElementTree.fromstring(qde), sources


async def _two_members(harness: Harness) -> tuple[Community, Person, Person]:
    community = await seed.community(harness.db)
    event = await seed.event(harness.db, community)
    ana = await seed.join(harness.person(601, "Ana", "ana_midwife"), community)
    ben = await seed.join(harness.person(602, "Ben", "ben_gp"), community)
    await seed.open_prompt(harness.db, ana, event)
    await seed.tell(ana, AWKWARD, {seed.INSIGHT: "How to read a CGM trace."},
                    "Use the shared template.")
    await seed.open_prompt(harness.db, ben, event)
    await seed.tell(ben, "A second story, nothing awkward.")
    return community, ana, ben


async def test_csv_opens_in_excel_neutralises_formulas_and_keeps_every_character(
    harness: Harness, tmp_path: Path
) -> None:
    await _two_members(harness)
    rows = read_csv(await _export(harness, ExportFormat.CSV, tmp_path))

    assert list(rows[0]) == list(exports.COLUMNS)
    awkward = next(r for r in rows if r["question_id"] == "immediate.moment" and "SUM" in r["answer"])
    # The only change is the apostrophe that stops Excel running it as a formula.
    assert awkward["answer"] == "'" + AWKWARD
    assert awkward["cycle"] == "immediate" and awkward["event"] == "Winter Learning Session"
    assert awkward["event_date"] == "2026-12-03" and awkward["attended"] == "yes"
    assert awkward["prompt_kind"] == "post_event"
    assert awkward["question"] == seed.asked("immediate.moment")
    assert awkward["pseudonym"].startswith("P-")
    potential = next(r for r in rows if r["cycle"] == "potential")
    assert potential["capital"] == "human" and potential["answer"] == "How to read a CGM trace."
    assert {r["story_id"] for r in rows if r["pseudonym"] == awkward["pseudonym"]} == {
        awkward["story_id"]}
    assert len(rows) == 4
    assert exports.neutralise("-1") == "'-1" and exports.neutralise("@x") == "'@x"
    assert exports.neutralise("+x") == "'+x" and exports.neutralise("\tx") == "'\tx"


async def test_csv_and_the_other_formats_agree_on_every_record(
    harness: Harness, tmp_path: Path
) -> None:
    await _two_members(harness)
    async with harness.db.session() as s:  # a revised answer, so revised_at is filled somewhere
        first = (await s.scalars(select(Narrative).order_by(Narrative.id))).first()
        assert first is not None
        first.revised_at = dt.datetime(2026, 12, 4, 23, 30, 5, tzinfo=dt.UTC)
    in_csv = read_csv(await _export(harness, ExportFormat.CSV, tmp_path))
    in_jsonl = read_jsonl(await _export(harness, ExportFormat.JSONL, tmp_path))
    in_xlsx = read_xlsx(await _export(harness, ExportFormat.XLSX, tmp_path))

    def csv_cell(key: str, value: Any) -> str:
        if isinstance(value, list):  # codes: a list in JSON Lines, joined in CSV
            return exports.neutralise("; ".join(value))
        if value is None or isinstance(value, bool):
            return {None: "", True: "yes", False: "no"}[value]
        return str(value) if key == "narrative_id" else exports.neutralise(str(value))

    assert in_csv == [{k: csv_cell(k, v) for k, v in r.items()} for r in in_jsonl]

    def as_jsonl(row: dict[str, Any]) -> dict[str, Any]:
        """An XLSX row as JSON Lines has it: local times of a zone the header names."""
        record = {}
        for key, value in row.items():
            name, _, zone = key.partition(" (")
            if isinstance(value, dt.datetime) and name == "event_date":
                value = value.date().isoformat()
            elif isinstance(value, dt.datetime):
                value = value.replace(tzinfo=ZoneInfo(zone.rstrip(")"))).isoformat()
            elif name in ("attended", "spoken"):
                value = {"yes": True, "no": False, None: None}[value]
            elif name == "codes":
                value = value.split("; ") if value else []
            record[name] = value or (None if name in ("capital", "applied") else value)
        return record

    assert [as_jsonl(r) for r in in_xlsx] == in_jsonl


async def test_jsonl_says_null_for_what_is_absent_and_xlsx_has_date_cells(
    harness: Harness, tmp_path: Path
) -> None:
    await _two_members(harness)
    async with harness.db.session() as s:
        first = (await s.scalars(select(Narrative).order_by(Narrative.id))).first()
        assert first is not None
        first.revised_at = dt.datetime(2026, 12, 4, 23, 30, 5, tzinfo=dt.UTC)
    jsonl = read_jsonl(await _export(harness, ExportFormat.JSONL, tmp_path))
    assert jsonl[0]["revised_at"] == "2026-12-04T23:30:05+00:00"  # London is on GMT then
    assert [r["revised_at"] for r in jsonl[1:]] == [None, None, None]
    assert {r["capital"] for r in jsonl if r["cycle"] != "potential"} == {None}
    assert {r["attended"] for r in jsonl} == {True}

    sheet = openpyxl.load_workbook(await _export(harness, ExportFormat.XLSX, tmp_path)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert "answered_at (Europe/London)" in header and "revised_at (Europe/London)" in header
    first_row = dict(zip(header, sheet[2], strict=True))
    # Excel's dates carry no zone: the local time, as the header says.
    assert first_row["event_date"].value.isoformat() == "2026-12-03T00:00:00"
    assert first_row["event_date"].is_date and first_row["event_date"].number_format == "yyyy-mm-dd"
    assert first_row["revised_at (Europe/London)"].value.isoformat() == "2026-12-04T23:30:05"
    assert first_row["answered_at (Europe/London)"].is_date
    assert dict(zip(header, sheet[3], strict=True))["revised_at (Europe/London)"].value is None


async def test_xlsx_keeps_awkward_text_as_text_not_formulas(harness: Harness, tmp_path: Path) -> None:
    await _two_members(harness)
    rows = read_xlsx(await _export(harness, ExportFormat.XLSX, tmp_path))
    awkward = next(r for r in rows if r["question_id"] == "immediate.moment"
                   and "SUM" in (r["answer"] or ""))
    assert awkward["answer"] == AWKWARD  # a string cell, so no formula and no apostrophe needed
    assert isinstance(awkward["narrative_id"], int)
    assert len(rows) == 4


async def test_jsonl_has_one_record_per_narrative(harness: Harness, tmp_path: Path) -> None:
    await _two_members(harness)
    rows = read_jsonl(await _export(harness, ExportFormat.JSONL, tmp_path))
    assert len(rows) == 4
    assert any(r["answer"] == AWKWARD for r in rows)
    assert set(rows[0]) == set(exports.COLUMNS)


async def test_qdpx_validates_against_refi_qda_schema_with_codes_cases_and_variables(
    harness: Harness, tmp_path: Path
) -> None:
    await _two_members(harness)
    project, sources = read_qdpx(await _export(harness, ExportFormat.QDPX, tmp_path))

    top = project.findall(f"{QDA}CodeBook/{QDA}Codes/{QDA}Code")
    assert [c.get("name") for c in top] == [
        "immediate value", "potential value", "applied value", "realised value", "reframing value",
        "plans (intended, not yet done)"]
    capitals = [c.get("name") for c in top[1].findall(f"{QDA}Code")]
    assert capitals == ["human capital", "social capital", "tangible capital",
                        "reputational capital", "learning capital"]
    names = {c.get("guid"): c.get("name") for c in project.iter(f"{QDA}Code")}

    cases = project.findall(f"{QDA}Cases/{QDA}Case")
    assert len(cases) == 2 and all(c.get("name", "").startswith("P-") for c in cases)
    text_sources = project.findall(f"{QDA}Sources/{QDA}TextSource")
    assert len(text_sources) == 4
    assert sum(len(c.findall(f"{QDA}SourceRef")) for c in cases) == 4

    variables = {v.get("guid"): v.get("name") for v in project.iter(f"{QDA}Variable")}
    by_text = {}
    for source in text_sources:
        guid = source.get("guid")
        assert source.get("plainTextPath") == f"internal://{guid}.txt"
        text = sources[guid]
        selection = source.find(f"{QDA}PlainTextSelection")
        assert selection is not None
        assert (selection.get("startPosition"), selection.get("endPosition")) == ("0", str(len(text)))
        codes = [names[c.get("targetGUID")] for c in selection.iter(f"{QDA}CodeRef")]
        values = {}
        for v in source.findall(f"{QDA}VariableValue"):
            ref = v.find(f"{QDA}VariableRef")
            assert ref is not None
            values[variables[ref.get("targetGUID")]] = v[1].text
        by_text[text] = (codes, values)

    assert AWKWARD in by_text  # emoji, Arabic, line breaks and markup all intact
    codes, values = by_text[AWKWARD]
    assert codes == ["immediate value"]
    assert values["event"] == "Winter Learning Session" and values["event_date"] == "2026-12-03"
    assert values["question"] == seed.asked("immediate.moment")
    assert by_text["How to read a CGM trace."][0] == ["potential value", "human capital"]
    # A plan is coded as a plan, never as applied value.
    assert by_text["Use the shared template."][0] == ["plans (intended, not yet done)"]


async def test_an_empty_export_is_still_a_valid_project(harness: Harness, tmp_path: Path) -> None:
    await seed.community(harness.db)
    project, sources = read_qdpx(await _export(harness, ExportFormat.QDPX, tmp_path))
    assert sources == {} and project.find(f"{QDA}Sources") is None


async def test_exports_carry_no_telegram_ids_names_or_usernames(
    harness: Harness, tmp_path: Path
) -> None:
    await _two_members(harness)
    for fmt in ExportFormat:
        path = await _export(harness, fmt, tmp_path)
        blobs = [path.read_bytes()]
        if fmt in (ExportFormat.XLSX, ExportFormat.QDPX):
            with zipfile.ZipFile(path) as z:
                blobs = [z.read(n) for n in z.namelist()]
        for blob in blobs:
            text = blob.decode("utf-8", errors="replace")
            for secret in ("601", "602", "ana_midwife", "ben_gp", "Ana", "Ben"):
                # Bounded, so a digit run inside a random GUID or a timestamp is no false alarm.
                found = re.search(rf"(?<![0-9A-Za-z_-]){secret}(?![0-9A-Za-z_-])", text)
                assert found is None, (fmt, secret)


async def test_withdrawn_member_is_absent_from_every_format(harness: Harness, tmp_path: Path) -> None:
    _, ana, _ = await _two_members(harness)
    async with harness.db.session() as s:
        ana_pseudonym = (await s.scalars(select(Membership.pseudonym).join(Membership.member)
                                         .where(Membership.member.has(telegram_user_id=601)))).one()
    await ana.say("/withdraw")
    await ana.tap(texts.BTN_WITHDRAW_YES)

    csv_rows = read_csv(await _export(harness, ExportFormat.CSV, tmp_path))
    xlsx_rows = read_xlsx(await _export(harness, ExportFormat.XLSX, tmp_path))
    jsonl_rows = read_jsonl(await _export(harness, ExportFormat.JSONL, tmp_path))
    project, sources = read_qdpx(await _export(harness, ExportFormat.QDPX, tmp_path))
    for rows in (csv_rows, xlsx_rows, jsonl_rows):
        assert [r["answer"] for r in rows] == ["A second story, nothing awkward."]
        assert all(r["pseudonym"] != ana_pseudonym for r in rows)
    assert list(sources.values()) == ["A second story, nothing awkward."]
    assert ana_pseudonym not in {c.get("name") for c in project.iter(f"{QDA}Case")}


async def test_filters_by_community_cycle_and_event_date(harness: Harness, tmp_path: Path) -> None:
    first = await seed.community(harness.db, "Diabetes in Pregnancy")
    second = await seed.community(harness.db, "Frailty Network", timezone="Pacific/Auckland")
    autumn = await seed.event(harness.db, first, "Autumn Session", "2026-09-10 14:00",
                              "2026-09-10 16:00")
    winter = await seed.event(harness.db, first, "Winter Session", "2026-12-03 14:00",
                              "2026-12-03 16:00")
    # 00:30 on 1 September in Auckland is still 31 August in UTC: the community's day counts.
    frailty = await seed.event(harness.db, second, "Frailty Huddle", "2026-09-01 00:30",
                               "2026-09-01 01:30")
    cat = await seed.join(harness.person(611), first, second)
    await seed.open_prompt(harness.db, cat, autumn)
    await seed.tell(cat, "autumn story", {seed.INSIGHT: "autumn insight"})
    await seed.open_prompt(harness.db, cat, winter)
    await seed.tell(cat, "winter story")
    await seed.open_prompt(harness.db, cat, frailty)
    await seed.tell(cat, "frailty story")

    async def answers(**kw: Any) -> list[str]:
        rows = read_jsonl(await _export(harness, ExportFormat.JSONL, tmp_path, ExportFilter(**kw)))
        return [r["answer"] for r in rows]

    assert await answers(community_ids=frozenset({first.id})) == [
        "autumn story", "autumn insight", "winter story"]
    assert await answers(cycle="potential") == ["autumn insight"]
    import datetime as dt

    assert await answers(since=dt.date(2026, 9, 1), until=dt.date(2026, 9, 30)) == [
        "autumn story", "autumn insight", "frailty story"]
    assert await answers(since=dt.date(2026, 12, 1)) == ["winter story"]
    assert await answers(until=dt.date(2026, 8, 31)) == []
    two = read_jsonl(await _export(harness, ExportFormat.JSONL, tmp_path))
    assert len({(r["community"], r["pseudonym"]) for r in two}) == 2  # a pseudonym per community


def test_export_requests_typed_in_telegram_are_understood() -> None:
    import datetime as dt

    req = exports.parse_request("csv community=Diabetes in Pregnancy since=2026-09-01 cycle=Applied")
    assert req == exports.ExportRequest(ExportFormat.CSV, "Diabetes in Pregnancy",
                                        dt.date(2026, 9, 1), None, "applied")
    assert exports.parse_request("").format is None
    for bad in ("pdf", "csv since=yesterday", "csv cycle=joy", "csv since=2026-09-02 until=2026-09-01"):
        with pytest.raises(exports.ExportError):
            exports.parse_request(bad)


# --- the command line -------------------------------------------------------------------------


async def _cli(database_url: str, cwd: Path, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": ""}
    env.pop("ADMIN_TELEGRAM_IDS", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "valuestory.cli", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_cli_export_writes_the_file_and_the_audit_log_lists_it(
    harness: Harness, tmp_path: Path
) -> None:
    community, _, _ = await _two_members(harness)
    url = harness.settings.database_url
    output = tmp_path / "narratives.csv"
    code, out, err = await _cli(url, tmp_path, "export", "--format", "csv", "--output", str(output),
                                "--community", community.name, "--cycle", "immediate",
                                "--since", "2026-12-01")
    assert code == 0, err
    assert f"Wrote 2 narratives to {output}" in out
    assert len(read_csv(output)) == 2

    code, out, err = await _cli(url, tmp_path, "audit", "--json")
    assert code == 0, err
    entries = json.loads(out)["entries"]
    assert entries[0]["action"] == "export" and entries[0]["actor"] == "command line"
    assert entries[0]["community"] == community.name
    assert entries[0]["details"] == {
        "format": "csv", "rows": 2,
        "filters": {"communities": [community.name], "since": "2026-12-01", "until": None,
                    "cycle": "immediate"}}
    code, out, _ = await _cli(url, tmp_path, "audit")
    assert "command line  export [Diabetes in Pregnancy]" in out
    assert "format=csv rows=2 communities=['Diabetes in Pregnancy'] since=2026-12-01" in out
    assert "cycle=immediate" in out and "SUM" not in out

    code, _, err = await _cli(url, tmp_path, "export", "--format", "csv", "--output",
                              str(output), "--cycle", "joy")
    assert code == 2 and err.startswith(
        "valuestory: " + texts.EXPORT_BAD_CYCLE.partition("{cycles}")[0])


# --- /export in Telegram ----------------------------------------------------------------------


async def test_export_is_refused_to_someone_without_a_role(harness: Harness) -> None:
    await _two_members(harness)
    nosy = harness.person(699)
    replies = await nosy.say("/export csv")
    assert replies == [texts.NOT_ALLOWED]
    assert nosy.last.document is None
    replies = await nosy.press_data(nosy.last, "ex|csv")
    assert replies == [texts.NOT_ALLOWED]
    async with harness.db.session() as s:
        assert (await s.scalars(select(AuditEntry))).all() == []


async def test_researcher_gets_the_export_as_a_document_and_it_is_audited(harness: Harness) -> None:
    community, _, _ = await _two_members(harness)
    other = await seed.community(harness.db, "Frailty Network")
    await seed.grant(harness.db, 700, "researcher", community)
    rosa = harness.person(700, "Rosa")

    await rosa.say("/export")
    formats = texts.EXPORT_FORMATS
    assert rosa.last.buttons() == [formats["csv"], formats["xlsx"], formats["jsonl"], formats["qdpx"]]
    await rosa.tap(texts.EXPORT_FORMATS["csv"])
    doc = rosa.last.document
    assert doc is not None and doc[0].endswith(".csv")
    assert rosa.last.caption is not None and rosa.last.caption.startswith("Narratives: 4,")

    await rosa.say(f"/export jsonl community={community.name} cycle=potential")
    doc = rosa.last.document
    assert doc is not None and doc[0].endswith(".jsonl")
    rows = [json.loads(line) for line in doc[1].decode().splitlines()]
    assert [r["answer"] for r in rows] == ["How to read a CGM trace."]

    # A community outside their grant: the same answer as one that doesn't exist.
    refused = await rosa.say(f"/export csv community={other.name}")
    missing = await rosa.say("/export csv community=Nowhere")
    assert refused[0].replace(other.name, "X") == missing[0].replace("Nowhere", "X")
    assert rosa.last.document is None

    async with harness.db.session() as s:
        audit = (await s.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(a.action, a.details["rows"], a.details["format"]) for a in audit] == [
        ("export", 4, "csv"), ("export", 1, "jsonl")]
    assert all(a.actor.startswith("researcher grant #") and "700" not in a.actor for a in audit)
    assert audit[0].details["filters"]["communities"] == [community.name]


async def test_admin_and_all_communities_researcher_can_export_everything(harness: Harness) -> None:
    await _two_members(harness)
    await seed.grant(harness.db, 701, "researcher")
    for user_id in (9001, 701):
        person = harness.person(user_id)
        await person.say("/export qdpx")
        doc = person.last.document
        assert doc is not None and doc[0].endswith(".qdpx")
        assert person.last.caption is not None and person.last.caption.startswith("Narratives: 4,")


async def test_a_csv_export_shared_between_two_processes_is_the_same_file(
    harness: Harness, tmp_path: Path
) -> None:
    if harness.db.dialect != "sqlite":
        pytest.skip("only SQLite exports are shared between processes")
    community, _, _ = await _two_members(harness)
    third = await seed.join(harness.person(603, "Cy", "cy_nurse"), community)
    await seed.open_prompt(harness.db, third, await seed.event(harness.db, community, "Spring"))
    await seed.tell(third, "Odd one out.")
    for filt in (ExportFilter(), ExportFilter(cycle="immediate"),
                 ExportFilter(community_ids=frozenset({community.id}))):
        alone, shared = tmp_path / "alone.csv", tmp_path / "shared.csv"
        rows_alone = await exports.write_export(harness.db, ExportFormat.CSV, alone, filt,
                                                processes=1)
        rows_shared = await exports.write_export(harness.db, ExportFormat.CSV, shared, filt,
                                                 processes=2)
        assert rows_shared == rows_alone > 0
        assert shared.read_bytes() == alone.read_bytes()  # one header, every row, in order
        ids = [int(r["narrative_id"]) for r in read_csv(shared)]
        assert ids == sorted(ids)
