"""How long the report's data takes for one big community, as a ratio to the plain SQL it needs,
on the same database in the same run; and, beside it, how long typesetting it takes.

    python -m bench.report [--quick] [--database-url postgresql://user@127.0.0.1:5432/postgres]

One community of 1,000,000 narratives (2,000 members, 50 events, each member's story about each
event as the default questions store it, follow-ups included), with 200 value indicators (40 per
cycle) backed by 20,000 evidence links (a tenth of the narratives and links with --quick, a smoke
run: fixed per-query costs dominate there, so the goal is judged at full size only).

The report's data is what `valuestory report` reads before typesetting (`report.gather`: the
all-time matrix, the furthest-reaching stories, the indicators with their counts and quotes).
The baseline is the plain SQL holding the same figures: narratives, members and stories counted
by cycle, participation by event, the indicators with their evidence counted, and the three
furthest-reaching stories' narratives; each statement written by hand and run as text. The two
run back to back in each round; the ratio is the median of the rounds' own. Goal: at most 2x.
Typesetting (the PDF through Typst, the DOCX through python-docx, the slide picture included)
is reported beside it, in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench import matrix as seeding
from storage.db import Database
from storage.models import Community
from valuestory.usecases import indicators, report

GOAL = 2.0
START, NOW = seeding.START, seeding.NOW
CYCLES = ("immediate", "potential", "applied", "realised", "reframing")
INDICATOR_COLUMNS = ("id", "community_id", "cycle", "capital", "statement", "position", "status",
                     "created_at", "updated_at")
EVIDENCE_COLUMNS = ("indicator_id", "narrative_id", "quoted", "added_at")


def rows(scale: float, seed: int = 11) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows for one community, built in memory as `bench.matrix` builds its 20."""
    rnd = random.Random(seed)
    members, events = int(2000 * scale), 50
    out: dict[str, list[tuple[Any, ...]]] = {k: [] for k in (*seeding.COLUMNS, "indicators",
                                                             "indicator_evidence")}
    out["communities"].append((1, "Big Community", "Europe/London", "invite000000001", "default",
                               120, 48, 7, "20:00", "08:00", 42, 91, 0, "09:00", None, START))
    for m in range(1, members + 1):
        out["members"].append((m, 10_000_000 + m, 10_000_000 + m, False, None, START))
        out["consents"].append((m, m, "v1", START))
        out["memberships"].append((m, m, 1, f"P-{m:05d}", m, False, START))
    by_cycle: dict[str, list[int]] = {c: [] for c in CYCLES}
    prompt_id = narrative_id = 0
    span = (NOW - START).total_seconds()
    for e in range(1, events + 1):
        starts = START + dt.timedelta(seconds=span * (e - 0.5) / (events + 1))
        out["events"].append((e, 1, f"Event {e}", starts, starts + dt.timedelta(hours=2), None,
                              None, START, START))
        for m in range(1, members + 1):
            story = str(uuid.UUID(int=rnd.getrandbits(128)))
            for kind, answers, delay in (("post_event", seeding.POST_EVENT, 0.1),
                                         ("followup_applied", seeding.FOLLOWUP_APPLIED, 42),
                                         ("followup_reframing", seeding.FOLLOWUP_REFRAMING, 91)):
                prompt_id += 1
                at = min(starts + dt.timedelta(days=delay, minutes=rnd.randrange(600)), NOW)
                out["prompts"].append((
                    prompt_id, m, 1, e, kind, story, "completed", "default", None, True, False,
                    True, at, at + dt.timedelta(days=7), None, at, at, at, at))
                for question_id, cycle in answers:
                    narrative_id += 1
                    intended = question_id in seeding.INTENDED
                    out["narratives"].append((
                        narrative_id, prompt_id, m, 1, e, story, question_id, "?", cycle, None,
                        intended, " ".join(rnd.sample(seeding.WORDS, 12)).capitalize() + ".", 1,
                        at, None, at))
                    if not intended:
                        by_cycle[cycle].append(narrative_id)
    links = int(20_000 * scale)
    per = links // 200
    for i in range(200):
        cycle = CYCLES[i % len(CYCLES)]
        out["indicators"].append((i + 1, 1, cycle, None, f"Indicator {i + 1} of {cycle} value",
                                  i // len(CYCLES), "active", START, START))
        for k, nid in enumerate(rnd.sample(by_cycle[cycle], per)):
            out["indicator_evidence"].append((i + 1, nid, k < 2, START))
    return out


COLUMNS = {**seeding.COLUMNS, "indicators": INDICATOR_COLUMNS,
           "indicator_evidence": EVIDENCE_COLUMNS}


def load_sqlite(path: str, data: dict[str, list[tuple[Any, ...]]]) -> None:
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    with con:
        for table, cols in COLUMNS.items():
            marks = ", ".join("?" for _ in cols)
            con.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",
                            ([seeding._sqlite_value(v) for v in row] for row in data[table]))
    con.execute("ANALYZE")
    con.close()


async def load_postgres(url: str, data: dict[str, list[tuple[Any, ...]]]) -> None:
    import asyncpg

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    con = await asyncpg.connect(plain)
    try:
        for table, cols in COLUMNS.items():
            await con.copy_records_to_table(table, records=data[table], columns=list(cols))
        for table in ("communities", "members", "consents", "memberships", "events", "prompts",
                      "narratives", "indicators"):
            await con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))")
        await con.execute("VACUUM ANALYZE")
    finally:
        await con.close()


# The plain SQL holding the report's figures, written by hand.
BASELINE = [
    # Narratives, members and stories by cycle, plans apart.
    """SELECT cycle, intended, count(*), count(DISTINCT member_id), count(DISTINCT story_id)
       FROM narratives WHERE community_id = :cid GROUP BY cycle, intended""",
    # Participation by event: asked, attended, completed, answered.
    """SELECT p.event_id, count(*), sum(CASE WHEN p.attended THEN 1 ELSE 0 END),
              sum(CASE WHEN p.status = 'completed' THEN 1 ELSE 0 END)
       FROM prompts p WHERE p.community_id = :cid AND p.kind = 'post_event'
       GROUP BY p.event_id""",
    # The indicators, and their evidence counted.
    """SELECT i.id, i.cycle, i.statement, count(n.id), count(DISTINCT n.story_id),
              count(DISTINCT n.member_id)
       FROM indicators i JOIN indicator_evidence e ON e.indicator_id = i.id
       JOIN narratives n ON n.id = e.narrative_id
       WHERE i.community_id = :cid AND i.status = 'active' GROUP BY i.id, i.cycle, i.statement""",
    # The three furthest-reaching stories' narratives: the newest stories with reframing value.
    """SELECT n.story_id, n.cycle, n.text FROM narratives n WHERE n.story_id IN (
         SELECT story_id FROM narratives WHERE community_id = :cid AND cycle = 'reframing'
         ORDER BY answered_at DESC LIMIT 3)""",
]


async def measure(db: Database, repeat: int) -> tuple[float, float, report.Report]:
    """Median of the rounds' ratios (report data / plain SQL), the median data time, the data."""
    async with db.session() as session:
        community = await session.get(Community, 1)
        assert community is not None
    ratios: list[float] = []
    took: list[float] = []
    gathered: report.Report | None = None
    for i in range(repeat + 2):
        async with db.long_read() as session:
            t = time.perf_counter()
            for statement in BASELINE:
                (await session.execute(text(statement), {"cid": 1})).all()
            base = time.perf_counter() - t
        t = time.perf_counter()
        gathered = await report.gather(db, community, "", NOW, indicators.COMMAND_LINE)
        ours = time.perf_counter() - t
        if i >= 2:  # the first rounds warm caches and statement caches
            ratios.append(ours / base)
            took.append(ours)
            print(f"  round {i - 1}: data {ours * 1000:8.1f} ms, plain SQL {base * 1000:8.1f} ms")
    assert gathered is not None
    return statistics.median(ratios), statistics.median(took), gathered


async def run(url: str | None, quick: bool, repeat: int) -> float:
    scale = 0.1 if quick else 1.0
    t = time.perf_counter()
    data = rows(scale)
    print(f"generated {len(data['narratives']):,} narratives, {len(data['prompts']):,} prompts, "
          f"{len(data['indicators'])} indicators, {len(data['indicator_evidence']):,} evidence "
          f"links in {time.perf_counter() - t:.1f}s")
    tmp = tempfile.TemporaryDirectory()
    created: str | None = None
    if url is None or url.startswith("sqlite"):
        path = url.split("///", 1)[1] if url else str(Path(tmp.name) / "bench.db")
        url = f"sqlite+aiosqlite:///{path}"
        db = Database(url)
        await db.upgrade()
        await db.dispose()
        t = time.perf_counter()
        load_sqlite(path, data)
    else:
        url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
        server = Database(url, isolation_level="AUTOCOMMIT")
        created = f"valuestory_bench_{uuid.uuid4().hex[:8]}"
        async with server.engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{created}"'))
        await server.dispose()
        url = make_url(url).set(database=created).render_as_string(hide_password=False)
        db = Database(url)
        await db.upgrade()
        await db.dispose()
        t = time.perf_counter()
        await load_postgres(url, data)
    print(f"loaded into {make_url(url).get_backend_name()} in {time.perf_counter() - t:.1f}s")
    del data
    db = Database(url)
    try:
        ratio, took, gathered = await measure(db, repeat)
    finally:
        await db.dispose()
        if created:
            server = Database(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
            async with server.engine.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)'))
            await server.dispose()
        tmp.cleanup()
    typeset = {}
    for fmt in report.ReportFormat:
        t = time.perf_counter()
        made = await asyncio.to_thread(report.render, gathered, fmt)
        typeset[fmt] = (time.perf_counter() - t, len(made))
    print(f"one community: {gathered.matrix.total:,} narratives, "
          f"{len(gathered.indicators)} indicators, {len(gathered.stories)} stories traced")
    print(f"report data {took * 1000:8.1f} ms (median of {repeat})")
    print(f"ratio       {ratio:8.2f}x  (to the plain SQL it needs; goal: at most {GOAL:.0f}x)")
    for fmt, (seconds, size) in typeset.items():
        print(f"typesetting {fmt.value:>4}: {seconds:6.2f} s ({size / 1024:,.0f} KiB)")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--database-url", default=None,
                        help="sqlite:///file.db, or a PostgreSQL server URL (a database of its "
                             "own is created there and dropped afterwards)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    ratio = asyncio.run(run(args.database_url, args.quick, args.repeat))
    return 0 if args.quick or ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
