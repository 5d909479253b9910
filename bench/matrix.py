"""How long one community's Value Creation Matrix takes, as a ratio to the plain SQL aggregation
(narratives counted by cycle for that community) on the same database in the same run.

    python -m bench.matrix [--quick] [--database-url postgresql://user@127.0.0.1:5432/postgres]

Builds 1,000,000 narratives across 20 communities, 200 events and 5,000 members (a tenth of that
with --quick, a smoke run: at that size fixed per-query costs dominate, so the goal is judged at
full size only). With a PostgreSQL URL it creates a database of its own on that server and drops it
afterwards. Goal: a ratio of at most 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sqlite3
import statistics
import sys
import time
import uuid
from typing import Any

from sqlalchemy import func, select

from bench.database import copy_in, database
from storage.db import Database
from storage.models import Community, Narrative, SchedulerState
from valuestory.usecases import matrix

COMMUNITIES = 20
START = dt.datetime(2025, 11, 1, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
# One member's answers about one event, as the default question set stores them.
POST_EVENT = [("immediate.moment", "immediate"), ("immediate.experience", "immediate"),
              ("potential.human", "potential"), ("potential.social", "potential"),
              ("potential.tangible", "potential"), ("potential.reputational", "potential"),
              ("applied.intention", "applied")]
FOLLOWUP_APPLIED = [("applied.action", "applied"), ("realised.difference", "realised")]
FOLLOWUP_REFRAMING = [("reframing.success", "reframing")]
# The answer that is a plan (what they might do), counted apart from applied value.
INTENDED = {"applied.intention"}
SENTENCE = ("the session on insulin timing helped me see how our clinic could share the template "
            "with the next trust and a dietitian I met there. We tried it with two patients.")
WORDS = SENTENCE.split(" ")


def rows(scale: float, seed: int = 7) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, built in memory (ids given explicitly so tables can be copied in)."""
    rnd = random.Random(seed)
    members = int(5000 * scale)
    events_per = 10
    per_community = members * 2 // COMMUNITIES  # each member belongs to two communities
    out: dict[str, list[tuple[Any, ...]]] = {k: [] for k in (
        "communities", "members", "consents", "memberships", "events", "prompts", "narratives")}
    for c in range(1, COMMUNITIES + 1):
        out["communities"].append((c, f"Community {c}", "Europe/London", f"invite{c:09d}",
                                   "default", 120, 48, 7, "20:00", "08:00", 42, 91, 0, "09:00",
                                   None, START))
    for m in range(1, members + 1):
        unreachable = NOW if m % 97 == 0 else None
        out["members"].append((m, 10_000_000 + m, 10_000_000 + m, False, unreachable, START))
        out["consents"].append((m, m, "v1", START))
    membership_id = 0
    roster: dict[int, list[int]] = {}
    for c in range(1, COMMUNITIES + 1):
        first = (c - 1) * (members // COMMUNITIES)
        roster[c] = [(first + i) % members + 1 for i in range(per_community)]
        for m in roster[c]:
            membership_id += 1
            out["memberships"].append((membership_id, m, c, f"P-{membership_id:05d}", m, False,
                                       START))
    event_id = prompt_id = narrative_id = 0
    span = (NOW - START).total_seconds()
    for c in range(1, COMMUNITIES + 1):
        for k in range(events_per):
            event_id += 1
            starts = START + dt.timedelta(seconds=span * (k + 0.5) / (events_per + 1))
            out["events"].append((event_id, c, f"Event {event_id}", starts,
                                  starts + dt.timedelta(hours=2), None, None, START, START))
            for m in roster[c]:
                story = str(uuid.UUID(int=rnd.getrandbits(128)))
                for kind, answers, delay in (("post_event", POST_EVENT, 0.1),
                                             ("followup_applied", FOLLOWUP_APPLIED, 42),
                                             ("followup_reframing", FOLLOWUP_REFRAMING, 91)):
                    prompt_id += 1
                    at = min(starts + dt.timedelta(days=delay, minutes=rnd.randrange(600)), NOW)
                    out["prompts"].append((
                        prompt_id, m, c, event_id, kind, story, "completed", "default", None,
                        True, False, True, at, at + dt.timedelta(days=7), None, at, at, at, at))
                    for question_id, cycle in answers:
                        narrative_id += 1
                        words = rnd.sample(WORDS, 12)
                        out["narratives"].append((
                            narrative_id, prompt_id, m, c, event_id, story, question_id, "?",
                            cycle, None, question_id in INTENDED,
                            " ".join(words).capitalize() + ".", 1, at, None,
                            at))
    return out


COLUMNS = {
    "communities": ("id", "name", "timezone", "invite_code", "question_set",
                    "prompt_delay_minutes", "reminder_after_hours", "window_days", "quiet_start",
                    "quiet_end", "followup_applied_days", "followup_reframing_days",
                    "digest_weekday", "digest_time", "retention_months", "created_at"),
    "members": ("id", "telegram_user_id", "chat_id", "paused", "unreachable_at", "created_at"),
    "consents": ("id", "member_id", "version", "given_at"),
    "memberships": ("id", "member_id", "community_id", "pseudonym", "consent_id", "paused",
                    "joined_at"),
    "events": ("id", "community_id", "title", "starts_at", "ends_at", "cancelled_at",
               "checkin_code", "created_at", "updated_at"),
    "prompts": ("id", "member_id", "community_id", "event_id", "kind", "story_id", "status",
                "question_set", "question_id", "fresh", "held", "attended", "due_at",
                "closes_at", "remind_at", "opened_at", "finished_at", "created_at", "updated_at"),
    "narratives": ("id", "prompt_id", "member_id", "community_id", "event_id", "story_id",
                   "question_id", "question_text", "cycle", "capital", "intended", "text",
                   "version", "answered_at", "revised_at", "updated_at"),
}


def _sqlite_value(v: Any) -> Any:
    # The same text form SQLAlchemy writes for a UTC timestamp on SQLite.
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return v


def load_sqlite(path: str, data: dict[str, list[tuple[Any, ...]]]) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    with con:
        for table, cols in COLUMNS.items():
            marks = ", ".join("?" for _ in cols)
            con.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",
                            ([_sqlite_value(v) for v in row] for row in data[table]))
    con.execute("ANALYZE")
    con.close()


async def load_postgres(url: str, data: dict[str, list[tuple[Any, ...]]]) -> None:
    await copy_in(url, data, COLUMNS, load_sqlite)


async def measure(db: Database, community_id: int, repeat: int) -> tuple[float, float, int]:
    """Median seconds for the matrix and for the baseline aggregation, interleaved."""
    async with db.session() as session:
        community = await session.get(Community, community_id)
        assert community is not None
        # A digest went out a week ago, so "new since the last digest" has real work to do.
        session.add(SchedulerState(key=matrix.digest_key(community_id), value="sent",
                                   at=NOW - dt.timedelta(days=7)))
    baseline_q = (select(Narrative.cycle, func.count())
                  .where(Narrative.community_id == community_id).group_by(Narrative.cycle))
    matrix_times: list[float] = []
    baseline_times: list[float] = []
    total = 0
    for i in range(repeat + 2):
        async with db.session() as session:
            t = time.perf_counter()
            counts = (await session.execute(baseline_q)).all()
            b = time.perf_counter() - t
        async with db.session() as session:
            t = time.perf_counter()
            built = await matrix.build_matrix(db, community, matrix.Period(), NOW)
            m = time.perf_counter() - t
        if i >= 2:  # the first rounds warm caches and statement caches
            baseline_times.append(b)
            matrix_times.append(m)
        assert sum(n for _, n in counts) == built.total
        total = built.total
    # For information: a period reads narratives directly, not the tallies.
    period = matrix.Period(NOW - dt.timedelta(days=90), "the last 90 days")
    period_times = []
    for _ in range(max(3, repeat // 3)):
        async with db.session() as session:
            t = time.perf_counter()
            await matrix.build_matrix(db, community, period, NOW)
            period_times.append(time.perf_counter() - t)
    print(f"(for information: the last 90 days, read from narratives: "
          f"{statistics.median(period_times) * 1000:.2f} ms)")
    return statistics.median(matrix_times), statistics.median(baseline_times), total


async def run(url: str | None, quick: bool, repeat: int, keep: bool = False) -> float:
    scale = 0.1 if quick else 1.0
    t = time.perf_counter()
    data = rows(scale)
    print(f"generated {len(data['narratives']):,} narratives, {len(data['prompts']):,} prompts, "
          f"{len(data['events'])} events, {len(data['members']):,} members "
          f"in {time.perf_counter() - t:.1f}s")
    async with database(url, lambda path: load_sqlite(path, data),
                        lambda url: load_postgres(url, data), keep=keep) as url:
        data.clear()
        db = Database(url)
        try:
            took, baseline, total = await measure(db, community_id=7, repeat=repeat)
        finally:
            await db.dispose()
    ratio = took / baseline
    print(f"one community: {total:,} narratives")
    print(f"matrix   {took * 1000:8.2f} ms (median of {repeat})")
    print(f"baseline {baseline * 1000:8.2f} ms (counts by cycle, plain SQL)")
    print(f"ratio    {ratio:8.2f}x  (goal: at most 1.5x)")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matrix", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--database-url", default=None,
                        help="sqlite:///file.db, or a PostgreSQL server URL (a database of its "
                             "own is created there and dropped afterwards)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true",
                        help="keep the PostgreSQL database it built, to look at query plans")
    args = parser.parse_args(argv)
    ratio = asyncio.run(run(args.database_url, args.quick, args.repeat, args.keep))
    return 0 if args.quick or ratio <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
