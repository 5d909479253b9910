"""How long the report's data takes for one big community, as a ratio to the plain SQL it needs,
on the same database in the same run; and, beside it, how long typesetting it takes.

    python -m bench.report [--quick] [--database-url postgresql://user@127.0.0.1:5432/postgres]

One community of 1,000,000 narratives (2,000 members, 50 events, each member's story about each
event as the default questions store it, follow-ups included), with 200 value indicators (40 per
cycle) backed by 20,000 evidence links (a tenth of the narratives and links with --quick, a smoke
run: fixed per-query costs dominate there, so the goal is judged at full size only).

The report's data is what `valuestory report` reads before typesetting (`report.gather`: the
all-time matrix with the indicators it leads with, their counts, quotes and members' check, and
the furthest-reaching stories). The baseline is the plain SQL the same figures need, written by
hand and reading what the report reads (the trigger-kept tallies for the all-time counts, the
newest narratives for excerpts and the traced story, the indicators' evidence joined to current
members, the check, the stories' narratives), run through the database's own driver (sqlite3,
asyncpg): no SQLAlchemy, no objects. The two run back to back in each round and must agree on
the narratives counted; the ratio is the median of the rounds' own. Goal: at most 2x.
Typesetting (the PDF through Typst, the DOCX through python-docx, the slide picture included)
is reported beside it, in seconds.

On PostgreSQL (`--database-url postgresql://...`) a database of its own is made, loaded by COPY
with the tallies copied from a SQLite load (`bench.database`), and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import re
import statistics
import sys
import time
import uuid
from typing import Any

from sqlalchemy.engine import make_url

from bench import matrix as seeding
from bench.database import copy_in, database, plain
from storage.db import Database
from storage.models import Community
from valuestory.usecases import report
from valuestory.usecases.matrix.build import EPOCH, NEVER

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
    await copy_in(url, data, COLUMNS, load_sqlite)


# The plain SQL the report's figures need, written by hand, reading what the report reads: the
# trigger-kept tallies for the all-time matrix, the newest narratives for its excerpts and the
# story it traces, the indicators' evidence joined to current members, the members' check, and
# the furthest-reaching stories. :cid the community; :epoch the start of all time; :now the
# report's moment; :never "no digest yet" (so nothing is new since one).
_EXCERPTS = " UNION ALL ".join(
    f"""SELECT * FROM (SELECT '{stage}' AS stage, n.text, n.answered_at, n.id, n.member_id
         FROM narratives n WHERE n.community_id = :cid AND n.answered_at >= :epoch
         AND n.cycle = '{cycle}' AND n.intended = {'true' if plan else 'false'}
         ORDER BY n.answered_at DESC, n.id DESC LIMIT 12) AS s{i}"""
    for i, (stage, cycle, plan) in enumerate(
        [(c, c, False) for c in CYCLES] + [("intended", "applied", True)]))
_FURTHEST = " UNION ALL ".join(
    f"""SELECT * FROM (SELECT n.story_id, {rank} AS reached, n.answered_at FROM narratives n
         WHERE n.community_id = :cid AND n.cycle = '{cycle}' AND n.intended = false
         AND n.answered_at >= :epoch ORDER BY n.answered_at DESC, n.id DESC LIMIT 12) AS f{rank}"""
    for rank, cycle in ((4, "reframing"), (3, "realised"), (2, "applied")))
_THREADS = """SELECT n.story_id, n.id, n.cycle, n.intended, n.question_text, n.text, n.answered_at,
                     n.revised_at, ms.pseudonym, e.id, e.title, e.starts_at
              FROM narratives n
              JOIN memberships ms ON ms.member_id = n.member_id
                                 AND ms.community_id = n.community_id
              JOIN events e ON e.id = n.event_id
              WHERE n.community_id = :cid AND n.story_id IN ({stories})"""
CELLS = """SELECT c.cycle, sum(c.narratives), count(*), max(s.stories) FROM matrix_cells c
           LEFT JOIN matrix_cycle_stories s ON s.community_id = c.community_id
                                           AND s.cycle = c.cycle
           WHERE c.community_id = :cid GROUP BY c.cycle"""
BASELINE = [
    # The community, and the matrix's all-time tallies: members, stories, the unreachable,
    # the plans pipeline.
    "SELECT name, timezone, language FROM communities WHERE id = :cid",
    """SELECT (SELECT count(*) FROM matrix_members WHERE community_id = :cid),
              (SELECT told FROM matrix_communities WHERE community_id = :cid),
              (SELECT stories FROM matrix_communities WHERE community_id = :cid),
              (SELECT count(*) FROM memberships ms JOIN members m ON m.id = ms.member_id
               WHERE ms.community_id = :cid AND m.unreachable_at IS NOT NULL),
              p.made, p.followed_up, p.done, p.difference
       FROM (SELECT 1 AS one) AS x
       LEFT JOIN matrix_plans p ON p.community_id = :cid""",
    # Narratives, members and stories by cycle; by event and cycle; participation by event.
    CELLS,
    "SELECT event_id, cycle, narratives FROM matrix_event_cells WHERE community_id = :cid",
    """SELECT event_id, sum(prompts), sum(CASE WHEN attended = 1 THEN prompts ELSE 0 END),
              sum(CASE WHEN status = 'completed' THEN prompts ELSE 0 END)
       FROM matrix_event_prompts WHERE community_id = :cid AND opened = 1
       AND status IN ('open', 'completed', 'stopped', 'not_attended', 'closed')
       GROUP BY event_id""",
    """SELECT event_id, count(*) FROM matrix_prompt_narratives WHERE community_id = :cid
       GROUP BY event_id""",
    """SELECT id, title, starts_at FROM events WHERE community_id = :cid
       AND cancelled_at IS NULL AND starts_at <= :now ORDER BY starts_at, id""",
    # The excerpts (the newest of each cycle and of the plans, under pseudonyms), the stories
    # that reached realised or reframing value, and what is new since the last digest.
    f"""SELECT x.stage, x.text, x.answered_at, x.id, ms.pseudonym FROM ({_EXCERPTS}) AS x
        JOIN memberships ms ON ms.member_id = x.member_id AND ms.community_id = :cid""",
    """SELECT f.story_id, f.last_at, n.cycle, n.intended, ms.pseudonym, e.title
       FROM (SELECT story_id, last_at FROM matrix_followups WHERE community_id = :cid
             ORDER BY last_at DESC LIMIT 5) AS f
       JOIN narratives n ON n.story_id = f.story_id
       JOIN memberships ms ON ms.member_id = n.member_id AND ms.community_id = n.community_id
       JOIN events e ON e.id = n.event_id WHERE n.community_id = :cid""",
    """SELECT CASE WHEN intended THEN 'intended' ELSE cycle END, count(*), max(answered_at)
       FROM narratives WHERE community_id = :cid AND answered_at > :never
       GROUP BY CASE WHEN intended THEN 'intended' ELSE cycle END""",
    # The indicators, their evidence counted and quoted, and the members' check.
    """SELECT id, cycle, capital, statement, position FROM indicators
       WHERE community_id = :cid AND status = 'active' ORDER BY position, id""",
    """SELECT e.indicator_id, count(*), count(DISTINCT n.story_id), count(DISTINCT n.member_id)
       FROM indicators i JOIN indicator_evidence e ON e.indicator_id = i.id
       JOIN narratives n ON n.id = e.narrative_id
       JOIN memberships ms ON ms.member_id = n.member_id AND ms.community_id = n.community_id
       WHERE i.community_id = :cid AND i.status = 'active' GROUP BY e.indicator_id""",
    """SELECT e.indicator_id, n.id, n.text, ms.pseudonym
       FROM indicators i JOIN indicator_evidence e ON e.indicator_id = i.id AND e.quoted
       JOIN narratives n ON n.id = e.narrative_id
       JOIN memberships ms ON ms.member_id = n.member_id AND ms.community_id = n.community_id
       WHERE i.community_id = :cid AND i.status = 'active' ORDER BY e.indicator_id, n.id""",
    """SELECT a.indicator_id, c.member_id, a.answer, a.answered_at, a.sentence
       FROM checks c JOIN check_answers a ON a.check_id = c.id
       WHERE c.community_id = :cid AND (a.answer IS NOT NULL OR EXISTS (
         SELECT 1 FROM deliveries d WHERE d.check_id = c.id AND d.status = 'sent'))""",
    # The stories it traces: those featured, else the furthest-reaching (then, below, theirs).
    "SELECT story_id FROM featured_stories WHERE community_id = :cid ORDER BY chosen_at, id",
    _FURTHEST,
]


def _furthest(rows: list[Any]) -> list[str]:
    """The three stories that reached furthest, newest first, from `_FURTHEST`'s rows."""
    reached: dict[str, tuple[int, str]] = {}
    for story, rank, at in rows:
        best = reached.get(story)
        reached[story] = max(best, (rank, str(at))) if best else (rank, str(at))
    return sorted(reached, key=lambda s: reached[s], reverse=True)[:3]


class PlainSQL:
    """The baseline's statements through the database's own driver: the standard library's
    sqlite3, or asyncpg; no SQLAlchemy, no objects, rows as the driver gives them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = make_url(url).get_backend_name() == "sqlite"
        self.con: Any = None

    async def __aenter__(self) -> PlainSQL:
        if self.sqlite:
            import sqlite3

            self.con = sqlite3.connect(f"file:{self.url.split('///', 1)[1]}?mode=ro", uri=True)
        else:
            import asyncpg

            self.con = await asyncpg.connect(plain(self.url))
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.sqlite:
            self.con.close()
        else:
            await self.con.close()

    async def run(self, statement: str) -> list[Any]:
        values: dict[str, Any] = {"cid": 1, "epoch": EPOCH, "now": NOW, "never": NEVER}
        if self.sqlite:
            return self.con.execute(statement, {k: seeding._sqlite_value(v)
                                                for k, v in values.items()}).fetchall()
        names: list[str] = []

        def number(m: re.Match[str]) -> str:
            if m.group(1) not in names:
                names.append(m.group(1))
            return f"${names.index(m.group(1)) + 1}"

        numbered = re.sub(r"(?<!:):(\w+)", number, statement)
        return list(await self.con.fetch(numbered, *(values[n] for n in names)))

    async def figures(self) -> int:
        """Every statement the report's figures need, in turn; the narratives the matrix's
        cells hold (to check the report's figures against)."""
        said = [await self.run(statement) for statement in BASELINE]
        stories = _furthest(said[-1])  # the last statement: the furthest-reaching stories
        if stories:
            marks = ", ".join(f"'{s}'" for s in stories)  # uuids we made: safe to inline
            await self.run(_THREADS.format(stories=marks))
        return sum(int(row[1]) for row in said[BASELINE.index(CELLS)])


async def measure(db: Database, repeat: int) -> tuple[float, float, float, report.Report]:
    """Medians of the rounds' ratios (report data / plain SQL), of the data's time and of the
    plain SQL's, and the data."""
    async with db.session() as session:
        community = await session.get(Community, 1)
        assert community is not None
    ratios: list[float] = []
    took: list[float] = []
    bases: list[float] = []
    gathered: report.Report | None = None
    async with PlainSQL(db.url) as baseline:
        for i in range(repeat + 2):
            t = time.perf_counter()
            told = await baseline.figures()
            base = time.perf_counter() - t
            t = time.perf_counter()
            gathered = await report.gather(db, community, "", NOW)
            ours = time.perf_counter() - t
            assert told == gathered.matrix.total, (told, gathered.matrix.total)
            if i >= 2:  # the first rounds warm caches and statement caches
                ratios.append(ours / base)
                took.append(ours)
                bases.append(base)
                print(f"  round {i - 1}: data {ours * 1000:8.1f} ms, "
                      f"plain SQL {base * 1000:8.1f} ms")
    assert gathered is not None
    return (statistics.median(ratios), statistics.median(took), statistics.median(bases),
            gathered)


async def run(url: str | None, quick: bool, repeat: int) -> float:
    scale = 0.1 if quick else 1.0
    t = time.perf_counter()
    data = rows(scale)
    print(f"generated {len(data['narratives']):,} narratives, {len(data['prompts']):,} prompts, "
          f"{len(data['indicators'])} indicators, {len(data['indicator_evidence']):,} evidence "
          f"links in {time.perf_counter() - t:.1f}s")
    async with database(url, lambda path: load_sqlite(path, data),
                        lambda url: load_postgres(url, data)) as url:
        data.clear()
        db = Database(url)
        try:
            ratio, took, base, gathered = await measure(db, repeat)
        finally:
            await db.dispose()
        backend = make_url(url).get_backend_name()
    typeset = {}
    for fmt in report.ReportFormat:
        t = time.perf_counter()
        made = await asyncio.to_thread(report.render, gathered, fmt)
        typeset[fmt] = (time.perf_counter() - t, len(made))
    print(f"one community on {backend}: {gathered.matrix.total:,} narratives, "
          f"{len(gathered.indicators)} indicators, {len(gathered.stories)} stories traced")
    print(f"report data {took * 1000:8.1f} ms (median of {repeat})")
    print(f"plain SQL   {base * 1000:8.1f} ms (the same figures, through the driver)")
    print(f"ratio       {ratio:8.2f}x  (median of the rounds' own; goal: at most {GOAL:.0f}x)")
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
