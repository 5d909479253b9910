"""A project goes to another tool and comes back: export a .qdpx, change it as NVivo, ATLAS.ti,
MAXQDA or QualCoder would (a new code, a coding on a passage, the project file renamed, line
endings made CRLF), import it, and find the coding on that narrative at the same passage in the
codebook, the CSV and a fresh .qdpx; a file that is not a project changes nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import uuid
import zipfile
from pathlib import Path

import openpyxl
import xmlschema
from click.testing import Result

from storage.db import Database
from tests.cli.running import json_of, run
from tests.cli.test_coding_cli import SCHEMA
from tests.storage.test_coding import _community
from valuestory.usecases import coding
from valuestory.usecases.coding import COMMAND_LINE

NEW_CODE = "3f9a3a52-0b8e-4c36-9f0e-1d2b3c4d5e6f"
NEW_CODING = "8d0f5b1a-6c2e-4a7d-9b3f-2e1d0c9b8a76"
OTHER_USER = "0b7e2f4c-1a3d-4e5f-8a9b-0c1d2e3f4a5b"


def _seed_with_codings(url: str) -> list[int]:
    async def go() -> list[int]:
        db = Database(url)
        try:
            _, ids = await _community(db)
            await coding.add_code(db, COMMAND_LINE, "Coding", "A safe space", cycle="immediate")
            await coding.apply(db, COMMAND_LINE, "Coding", ids[0], "A safe space", 4, 13,
                               coder="AK")
            return ids
        finally:
            await db.dispose()
    return asyncio.run(go())


def _as_another_tool(exported: Path, changed: Path, narrative_text: str, source: str) -> None:
    """What another tool writes back: CRLF everywhere, its own project file name, a new code in
    the codebook, a user of its own, and a coding of "energy" in the narrative's second line."""
    with zipfile.ZipFile(exported) as original:
        qde = original.read("project.qde").decode("utf-8")
        entries = {n: original.read(n) for n in original.namelist() if n != "project.qde"}
    crlf_text = narrative_text.replace("\n", "\r\n")
    start = crlf_text.index("energy")
    end = start + len("energy")
    qde = qde.replace("</Codes>", f'<Code guid="{NEW_CODE}" name="Energy" isCodable="true" '
                                  'color="#E15759"/></Codes>')
    qde = qde.replace("<CodeBook>", f'<Users><User guid="{OTHER_USER}" name="MQ"/></Users>'
                                    "<CodeBook>") if "<Users>" not in qde else qde.replace(
        "</Users>", f'<User guid="{OTHER_USER}" name="MQ"/></Users>')
    selection = (f'<PlainTextSelection guid="{uuid.uuid4()}" startPosition="{start}" '
                 f'endPosition="{end}" creatingUser="{OTHER_USER}">'
                 f'<Coding guid="{NEW_CODING}" creatingUser="{OTHER_USER}">'
                 f'<CodeRef targetGUID="{NEW_CODE}"/></Coding></PlainTextSelection>')
    qde = re.sub(rf'(<TextSource guid="{source}"[^>]*>)', rf"\1{selection}", qde)
    qde = qde.replace("\n", "\r\n")
    entries[f"sources/{source}.txt"] = crlf_text.encode("utf-8")
    with zipfile.ZipFile(changed, "w") as out:
        out.writestr("Coding study.qde", qde.encode("utf-8"))
        for name, data in entries.items():
            out.writestr(name, data)


def _csv_codes(result: Result, path: Path) -> dict[int, str]:
    assert result.exit_code == 0, result.output
    rows = csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))
    return {int(r["narrative_id"]): r["codes"] for r in rows}


def test_a_project_coded_elsewhere_comes_back_at_the_same_passage(database_url: str,
                                                                  tmp_path: Path) -> None:
    ids = _seed_with_codings(database_url)
    first = tmp_path / "first.qdpx"
    assert run(database_url, "export", "--community", "Coding", "--format", "qdpx",
                "--output", str(first)).exit_code == 0
    with zipfile.ZipFile(first) as z:
        qde = z.read("project.qde").decode("utf-8")
    xmlschema.XMLSchema(str(SCHEMA)).validate(qde)
    # Our own coding travels as a selection of the passage, by its coder.
    assert re.search(r'<User guid="[^"]+" name="AK"/>', qde)
    assert 'startPosition="4" endPosition="13"' in qde
    source = re.search(r'<TextSource guid="([^"]+)" name="[^"]*"[^>]*>(?:(?!</TextSource>).)*'
                       r'startPosition="4" endPosition="13"', qde, re.S)
    assert source is not None
    # A multi-line narrative, so CRLF shifts every position after the first line.
    text = "601 felt safe to ask a silly question\nand then\nleft with energy"
    asyncio.run(_set_text(database_url, ids[0], text))
    changed = tmp_path / "from-another-tool.qdpx"
    _as_another_tool(first, changed, text, source.group(1))

    done = json_of(run(database_url, "coding", "import", "--community", "Coding",
                      str(changed), "--json"))
    assert done["codes"]["added"] == ["Energy"]
    assert (done["codings_added"], done["codings_unchanged"]) == (1, 1)
    assert done["coders"] == ["AK", "MQ"] and done["unmatched"] == []
    assert done["seen"] >= 10  # MQ saw every narrative the project holds

    codes = {c["name"]: c for c in json_of(run(database_url, "coding", "codes", "--community",
                                              "Coding", "--json"))["codes"]}
    assert codes["Energy"]["narratives"] == 1
    csv_path = tmp_path / "after.csv"
    by_narrative = _csv_codes(run(database_url, "export", "--community", "Coding", "--format",
                                   "csv", "--output", str(csv_path)), csv_path)
    assert by_narrative[ids[0]] == "A safe space; Energy"
    jsonl = tmp_path / "after.jsonl"
    assert run(database_url, "export", "--community", "Coding", "--format", "jsonl",
                "--output", str(jsonl)).exit_code == 0
    records = {r["narrative_id"]: r for r in map(json.loads, jsonl.read_text("utf-8").splitlines())}
    assert records[ids[0]]["codes"] == ["A safe space", "Energy"]
    assert records[ids[1]]["codes"] == []
    xlsx = tmp_path / "after.xlsx"
    assert run(database_url, "export", "--community", "Coding", "--format", "xlsx",
                "--output", str(xlsx)).exit_code == 0
    sheet = openpyxl.load_workbook(xlsx, read_only=True).active
    table = list(sheet.iter_rows(values_only=True))
    codes_at = table[0].index("codes")
    assert {row[0]: row[codes_at] for row in table[1:]}[ids[0]] == "A safe space; Energy"
    again = tmp_path / "again.qdpx"
    assert run(database_url, "export", "--community", "Coding", "--format", "qdpx",
                "--output", str(again)).exit_code == 0
    with zipfile.ZipFile(again) as z:
        fresh = z.read("project.qde").decode("utf-8")
    xmlschema.XMLSchema(str(SCHEMA)).validate(fresh)
    at = text.index("energy")
    # Re-anchored to our LF text, not left at the CRLF copy's positions (two further on).
    assert re.search(rf'startPosition="{at}" endPosition="{at + 6}" creatingUser="[^"]+"[^>]*>'
                     rf'<Coding guid="{NEW_CODING}"', fresh)
    assert f'<Code guid="{NEW_CODE}" name="Energy"' in fresh


async def _set_text(url: str, narrative_id: int, text: str) -> None:
    from sqlalchemy import update

    from storage.models import Narrative

    db = Database(url)
    try:
        async with db.session() as session:
            await session.execute(update(Narrative).where(Narrative.id == narrative_id)
                                  .values(text=text))
    finally:
        await db.dispose()


def test_a_file_that_is_not_a_project_is_refused_and_changes_nothing(database_url: str,
                                                                     tmp_path: Path) -> None:
    _seed_with_codings(database_url)
    before = json_of(run(database_url, "coding", "codes", "--community", "Coding", "--json"))
    plain = tmp_path / "notes.qdpx"
    plain.write_text("not a zip", "utf-8")
    empty_zip = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("readme.txt", "hello")
    not_project = tmp_path / "codebook-in-a-zip.qdpx"
    with zipfile.ZipFile(not_project, "w") as z:
        z.writestr("x.qde", '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>')
    for path, said in ((plain, "is not a REFI-QDA project (.qdpx)"),
                       (empty_zip, "holds no .qde project file"),
                       (not_project, "holds a CodeBook, not a Project"),
                       (tmp_path / "missing.qdpx", "no such file")):
        result = run(database_url, "coding", "import", "--community", "Coding", str(path))
        assert result.exit_code == 2, result.output
        assert said in result.output and len(result.output.strip().splitlines()) == 1
    assert json_of(run(database_url, "coding", "codes", "--community", "Coding", "--json")) == before
