"""Coding benchmark: importing a REFI-QDA project written back by another tool, as a ratio to the
standard library merely parsing the same project XML, in the same run.

    python -m bench.coding [--narratives 1000000] [--codings 100000] [--quick] [--rounds 1]

Builds a SQLite database of N narratives in one community (bulk insert, as bench.export does),
then writes the project another tool would hand back: every narrative a text source (with the
guid our exports give it, its text under sources/, a whole-text selection coded with its cycle,
as our export has it) and M coded passages with 20 codes of its own, by one user, and its
project file named as ATLAS.ti names it. Each round times, back to back:
- the baseline: Python's xml.etree.ElementTree.iterparse reading the project file out of the
  archive, element by element, clearing as it goes (no work but parsing);
- ours: `coding.import_project` into a fresh copy of the database (read, match the codes, map
  every source to its narrative, re-anchor each passage to our text, store the codings and what
  the coder has seen), in this process.
Goal: at most 3x. `--quick` is a tenth of the size, a smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from xml.etree.ElementTree import iterparse
from xml.sax.saxutils import escape, quoteattr

from bench.export import build
from storage.db import Database
from valuestory.usecases import coding
from valuestory.usecases.coding import COMMAND_LINE
from valuestory.usecases.exports.refiqda import codebook_xml, guid

GOAL = 3.0
CODES = 20
USER = "6a1f0c3e-5b2d-4e8f-9a7c-1d0e2f3a4b5c"


def one_community(path: Path) -> None:
    """All narratives in community 1, so one import covers them all."""
    con = sqlite3.connect(path)
    with con:
        for table in ("narratives", "prompts", "events", "memberships"):
            con.execute(f"UPDATE {table} SET community_id = 1")
    con.close()


def write_project(db_path: Path, out: Path, codings: int, seed: int = 7) -> int:
    """The project another tool hands back; how many passages it codes."""
    rnd = random.Random(seed)
    con = sqlite3.connect(db_path)
    rows = con.execute("SELECT id, cycle, text FROM narratives ORDER BY id").fetchall()
    con.close()
    coded = set(rnd.sample(range(len(rows)), min(codings, len(rows))))
    codes = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(CODES)]
    book = codebook_xml().replace("</Codes>", "".join(
        f'<Code guid="{g}" name="Theme {i}" isCodable="true" color="#4E79A7"/>'
        for i, g in enumerate(codes)) + "</Codes>")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("Coding study.qde", "w", force_zip64=True) as qde:
            def put(text: str) -> None:
                qde.write(text.encode("utf-8"))

            put('<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" '
                f'name="bench" origin="another tool"><Users><User guid="{USER}" name="TK"/>'
                f"</Users>{book}<Sources>")
            part: list[str] = []
            for i, (nid, cycle, text) in enumerate(rows):
                source = guid("narrative", nid)
                part.append(
                    f'<TextSource guid="{source}" name={quoteattr(f"narrative {nid}")} '
                    f'plainTextPath="internal://{source}.txt">'
                    f'<PlainTextSelection guid="{guid("selection", nid)}" startPosition="0" '
                    f'endPosition="{len(text)}"><Coding guid="{guid("coding", nid)}">'
                    f'<CodeRef targetGUID="{guid("code", cycle)}"/></Coding></PlainTextSelection>')
                if i in coded and len(text) > 4:
                    start = rnd.randrange(0, len(text) // 2)
                    end = rnd.randrange(start + 1, len(text) + 1)
                    part.append(
                        f'<PlainTextSelection guid="{uuid.UUID(int=rnd.getrandbits(128), version=4)}" '
                        f'startPosition="{start}" endPosition="{end}" creatingUser="{USER}">'
                        f'<Coding guid="{uuid.UUID(int=rnd.getrandbits(128), version=4)}" '
                        f'creatingUser="{USER}"><CodeRef targetGUID="{rnd.choice(codes)}"/>'
                        "</Coding></PlainTextSelection>")
                part.append(f"<Description>{escape('sample')}</Description></TextSource>")
                if len(part) > 3000:
                    put("".join(part))
                    part.clear()
            put("".join(part) + "</Sources></Project>\n")
        for nid, _cycle, text in rows:
            z.writestr(f"sources/{guid('narrative', nid)}.txt", text)
    return len(coded)


def parse_only(project: Path) -> tuple[float, int]:
    """Seconds for the standard library to parse the project file alone; elements seen."""
    started = time.perf_counter()
    seen = 0
    with zipfile.ZipFile(project) as z:
        name = next(n for n in z.namelist() if n.endswith(".qde"))
        with z.open(name) as stream:
            for _event, element in iterparse(stream, events=("end",)):
                seen += 1
                if element.tag.endswith("TextSource"):
                    element.clear()
    return time.perf_counter() - started, seen


async def import_once(db_path: Path, project: Path) -> tuple[float, coding.ProjectImport]:
    db = Database(f"sqlite+aiosqlite:///{db_path}")
    try:
        started = time.perf_counter()
        done = await coding.import_project(db, COMMAND_LINE, 1, project, coder="TK")
        return time.perf_counter() - started, done
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--narratives", type=int, default=1_000_000)
    parser.add_argument("--codings", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="a tenth of the size")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None,
                        help="build into (and reuse from) this folder instead of a temporary one")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write cProfile stats of the last import to this file")
    args = parser.parse_args(argv)
    n, m = (args.narratives // 10, args.codings // 10) if args.quick else (args.narratives,
                                                                            args.codings)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        base = Path(tmp) / f"base-{n}.db"
        project = Path(tmp) / f"back-{n}-{m}.qdpx"
        started = time.perf_counter()
        if not (base.exists() and project.exists()):
            base.unlink(missing_ok=True)
            build(base, n)
            one_community(base)
            write_project(base, project, m)
        with zipfile.ZipFile(project) as z:
            name = next(x for x in z.namelist() if x.endswith(".qde"))
            passages = z.read(name).count(b'creatingUser="' + USER.encode() + b'"><Coding')
        print(f"built {n:,} narratives and a project coding {passages:,} passages "
              f"({project.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.0f}s")
        ratios, ours, parses = [], [], []
        for _ in range(args.rounds):
            parsed, elements = parse_only(project)
            copy = Path(tmp) / "round.db"
            shutil.copyfile(base, copy)
            if args.profile is not None:
                import cProfile

                profiler = cProfile.Profile()
                took, done = profiler.runcall(asyncio.run, import_once(copy, project))
                profiler.dump_stats(args.profile)
            else:
                took, done = asyncio.run(import_once(copy, project))
            ratios.append(took / parsed)
            ours.append(took)
            parses.append(parsed)
            copy.unlink()
        print(f"parse alone (ElementTree.iterparse): {statistics.median(parses):.1f}s "
              f"({elements:,} elements)")
        print(f"import_project:                     {statistics.median(ours):.1f}s "
              f"(codings added {done.codings_added:,}, narratives seen {done.seen:,}, "
              f"unmatched {len(done.unmatched)})")
        ratio = statistics.median(ratios)
        print(f"ratio: {ratio:.2f}x (goal <= {GOAL}x; by round "
              f"{', '.join(f'{r:.2f}' for r in ratios)})")
        ok = done.codings_added == passages and done.seen == n and not done.unmatched
        print("PASS" if ok and ratio <= GOAL else "MISS")
        return 0 if ok and ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
