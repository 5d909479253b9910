"""Does a long read stall the members? Members answering while a dashboard user downloads.

    python -m bench.stall [--members 20] [--narratives 1000000] [--rounds 2] [--quick]

On SQLite holding 1,000,000 narratives (20 communities, 200 events, 5,000 members, built as
`bench.matrix` builds them and kept under the temp folder, keyed by size and schema, so a rerun
starts at once), the real bot process long polls a loopback Bot API double while members answer
the default question set as `bench.flow` drives them (each waiting for the bot's answer before
sending the next update). In one run, on one bot process:

0. N members answer their story to warm the bot up (its caches, its connections): not counted;
then, in each of R rounds (2 by default), back to back so a busy minute on the machine falls on
both alike:
1. without the download: N other members answer theirs; their reply latency is the baseline;
2. with it: N more members answer theirs while a researcher signed in to the dashboard of the
   same process downloads a community's whole CSV export (the dashboard exports one community
   at a time: about 50,000 narratives each) and opens its all-time matrix, then the next
   community's, round all of them and again, until the members are done.

Prints the members' p50 and p95 reply latency in each phase and the ratio of the second's p95 to
the first's, and what the researcher got meanwhile; the ratio is the median of the rounds' own.
Goal: the ratio at most 2x.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bench import flow
from bench import matrix as seeding
from storage.db import HEAD, Database
from storage.models import (
    Community,
    Consent,
    DashboardSession,
    Event,
    Member,
    Membership,
    Narrative,
    Prompt,
    utcnow,
)
from tests.botapi import TOKEN
from valuestory.dashboard.base import COOKIE
from valuestory.usecases import roles, sessions

GOAL = 2.0
# Members of this run's own community: far from the seeded members' Telegram ids.
FIRST_MEMBER = 20_000_000
RESEARCHER = 30_000_000
# Before the members of the second phase start, the download is under way.
HEAD_START = 1.0


def cached_database(narratives: int) -> Path:
    """A SQLite file of `narratives` narratives at the newest schema, built once and kept."""
    folder = Path(tempfile.gettempdir()) / "valuestory-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"narratives-{narratives}-{HEAD}.db"
    if path.exists():
        return path
    scale = narratives / 1_000_000
    started = time.perf_counter()
    data = seeding.rows(scale)
    building = path.with_suffix(f".{os.getpid()}.building")

    async def schema() -> None:
        db = Database(f"sqlite+aiosqlite:///{building}")
        try:
            await db.upgrade()
        finally:
            await db.dispose()

    asyncio.run(schema())
    seeding.load_sqlite(str(building), data)
    building.replace(path)
    print(f"built {len(data['narratives']):,} narratives in {time.perf_counter() - started:.0f} s "
          f"(kept for reruns: {path.name})")
    return path


async def prepare(url: str, n: int) -> dict[str, Any]:
    """N joined members of a new community with their post-event prompts open, and a
    researcher of every community signed in to the dashboard: the cookie and form token."""
    db = Database(url)
    now = utcnow().replace(microsecond=0)
    try:
        async with db.session() as s:
            community = Community(name="Stall Network", timezone="UTC", invite_code="stall",
                                  prompt_delay_minutes=0, quiet_start="00:00", quiet_end="00:00",
                                  created_at=now - dt.timedelta(days=30))
            s.add(community)
            await s.flush()
            event = Event(community_id=community.id, title="Stall Session",
                          starts_at=now - dt.timedelta(hours=2), ends_at=now,
                          created_at=now - dt.timedelta(days=1),
                          updated_at=now - dt.timedelta(days=1))
            s.add(event)
            await s.flush()
            joined = now - dt.timedelta(days=10)
            for i in range(n):
                member = Member(telegram_user_id=FIRST_MEMBER + i, chat_id=FIRST_MEMBER + i,
                                created_at=joined)
                s.add(member)
                await s.flush()
                consent = Consent(member_id=member.id, version="bench", given_at=joined)
                s.add(consent)
                await s.flush()
                s.add(Membership(member_id=member.id, community_id=community.id,
                                 pseudonym=f"S-{i:06d}", consent_id=consent.id, joined_at=joined))
                await s.execute(insert(Prompt), [{
                    "member_id": member.id, "community_id": community.id, "event_id": event.id,
                    "kind": "post_event", "story_id": str(uuid.uuid4()), "status": "open",
                    "due_at": now, "opened_at": now, "closes_at": now + dt.timedelta(days=7)}])
            await roles.queries.grant_role(s, RESEARCHER, "researcher", None)
            token = await sessions.queries.open_session(s, RESEARCHER, now)
        async with db.session() as s:
            csrf = await s.scalar(select(DashboardSession.csrf_token)
                                  .where(DashboardSession.token_hash == sessions.hashed(token)))
            communities = list((await s.scalars(
                select(Community.id).where(Community.id != community.id)
                .order_by(Community.id))).all())
            total = await s.scalar(select(func.count()).select_from(Narrative))
        return {"token": token, "csrf": csrf, "communities": communities, "narratives": total}
    finally:
        await db.dispose()


class Researcher(threading.Thread):
    """Downloads each community's whole CSV export and opens its all-time matrix, in turn."""

    def __init__(self, base: str, who: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.base, self.who = base, who
        self.stop = threading.Event()
        self.exports = self.matrices = self.bytes = 0
        self.error: str | None = None

    def fetch(self, path: str, form: dict[str, str] | None = None) -> int:
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=body,
                                         headers={"Cookie": f"{COOKIE}={self.who['token']}"})
        got = 0
        with urllib.request.urlopen(request, timeout=600) as response:
            while chunk := response.read(1 << 16):
                got += len(chunk)
        return got

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                for c in self.who["communities"]:
                    self.bytes += self.fetch(f"/dashboard/c/{c}/export",
                                             {"format": "csv", "csrf": self.who["csrf"]})
                    self.exports += 1
                    self.fetch(f"/dashboard/c/{c}/")
                    self.matrices += 1
                    if self.stop.is_set():
                        return
        except Exception as exc:  # reported with the figures
            self.error = f"{type(exc).__name__}: {exc}"


def measure(source: Path, n: int, rounds: int, limit: float) -> dict[str, Any]:
    """Both phases on one bot process, on a fresh copy of the database."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        db_path = workdir / "stall.db"
        shutil.copyfile(source, db_path)
        url = f"sqlite+aiosqlite:///{db_path}"
        who = asyncio.run(prepare(url, (1 + 2 * rounds) * n))
        ctx = multiprocessing.get_context("spawn")
        conn, child = ctx.Pipe()
        server = ctx.Process(target=flow.serve, args=(child,), daemon=True)
        server.start()
        port = flow.free_port()
        log_path = workdir / "bot.log"
        proc: subprocess.Popen[bytes] | None = None
        try:
            base_url = conn.recv()
            env = {**{k: v for k, v in os.environ.items()
                      if not k.startswith(("TELEGRAM_", "WEBHOOK_", "LOG_", "DATABASE_",
                                           "HEALTH_", "VALUESTORY_"))},
                   "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": base_url,
                   "PYTHONPATH": str(flow.ROOT), "DATABASE_URL": url,
                   "TELEGRAM_MAX_RATE": "100000", "WEBHOOK_LISTEN": "127.0.0.1",
                   "HEALTH_PORT": str(port), "SCHEDULER_INTERVAL_SECONDS": "60"}
            with log_path.open("ab") as log:
                proc = subprocess.Popen([sys.executable, "-m", "valuestory.cli", "run"],
                                        cwd=workdir, env=env, stdout=log, stderr=log)

            def converse(first: int) -> dict[str, Any]:
                assert proc is not None
                conn.send({"n": n, "echo": False, "limit": limit, "pid": proc.pid,
                           "first": first})
                while not conn.poll(0.5):
                    if proc.poll() is not None:
                        raise RuntimeError(f"the bot stopped:\n{log_path.read_text()[-3000:]}")
                result: dict[str, Any] = conn.recv()
                if "error" in result or result["lost"]:
                    raise RuntimeError(f"{result.get('error') or 'members lost'}\n"
                                       f"{log_path.read_text(errors='replace')[-3000:]}")
                return result

            converse(FIRST_MEMBER)  # warming up
            pairs = []
            exports = matrices = got = 0
            for i in range(rounds):
                quiet = converse(FIRST_MEMBER + (1 + 2 * i) * n)
                researcher = Researcher(f"http://127.0.0.1:{port}", who)
                researcher.start()
                time.sleep(HEAD_START)
                busy = converse(FIRST_MEMBER + (2 + 2 * i) * n)
                researcher.stop.set()
                researcher.join(600)
                if researcher.error:
                    raise RuntimeError(f"the researcher's download failed: "
                                       f"{researcher.error}\n{log_path.read_text()[-3000:]}")
                pairs.append((flow.figures(quiet), flow.figures(busy)))
                exports += researcher.exports
                matrices += researcher.matrices
                got += researcher.bytes
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        finally:
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
            with suppress(OSError):
                conn.send(None)
            server.join(10)
            if server.is_alive():
                server.kill()
    q = {k: statistics.median(p[0][k] for p in pairs) for k in pairs[0][0]}
    b = {k: statistics.median(p[1][k] for p in pairs) for k in pairs[0][1]}
    return {"quiet": q, "busy": b,
            "ratio": statistics.median(p[1]["answered_p95_ms"] / p[0]["answered_p95_ms"]
                                       for p in pairs),
            "by_round": [p[1]["answered_p95_ms"] / p[0]["answered_p95_ms"] for p in pairs],
            "first_ratio": statistics.median(p[1]["p95_ms"] / p[0]["p95_ms"] for p in pairs),
            "narratives": who["narratives"], "exports": exports, "matrices": matrices,
            "mb": got / 1e6}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stall", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=20, help="members answering in each phase")
    parser.add_argument("--narratives", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of a phase without the download and one with it")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 100,000 narratives, 5 members, 1 round")
    parser.add_argument("--limit", type=float, default=600.0,
                        help="seconds each phase's conversation may take at most")
    args = parser.parse_args(argv)
    n, size, rounds = ((5, 100_000, 1) if args.quick
                       else (args.members, args.narratives, max(1, args.rounds)))
    source = cached_database(size)
    r = measure(source, n, rounds, args.limit)
    print(f"{r['narratives']:,} narratives, {n} members a phase x "
          f"{len(flow.STORY)} updates, medians of {rounds} round(s)")
    for name in ("quiet", "busy"):
        f = r[name]
        print(f"  {'without' if name == 'quiet' else 'during':7} the download: answered "
              f"p50 {f['answered_p50_ms']:7.1f} ms, p95 {f['answered_p95_ms']:7.1f} ms; "
              f"first reply p95 {f['p95_ms']:7.1f} ms; {f['updates_per_s']:.1f} updates/s")
    print(f"  meanwhile the researcher downloaded {r['exports']} whole CSV exports "
          f"({r['mb']:.0f} MB) and opened {r['matrices']} all-time matrices")
    print(f"  members' p95 during / without: {r['ratio']:.2f}x (goal: at most {GOAL:g}x; "
          f"by round {', '.join(f'{x:.2f}' for x in r['by_round'])}); "
          f"first reply {r['first_ratio']:.2f}x")
    return 0 if r["ratio"] <= GOAL or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
