"""Fan-out benchmark: N members with a due prompt, sent by the real scheduler and Application
against a loopback Bot API double that enforces Telegram's limits and answers 429 beyond them.

    python -m bench.fanout [--n 10000] [--quick] [--database URL]

Prints elapsed time as a ratio to the floor the limits set (N / rate), and how many prompts were
duplicated or lost. To finish in under a minute the limits may be scaled up by one factor on both
sides (the double's and the bot's); the output says so.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import multiprocessing
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from storage.db import Database
from storage.models import Community, Consent, Delivery, Event, Member, Membership, Prompt
from valuestory.process.settings import SecretStr, Settings

TELEGRAM_RATE = 30.0  # messages a second, overall
PER_CHAT_RATE = 1.0  # messages a second, per chat
TARGET_SECONDS = 48.0  # the floor at the scaled rate; with setup, a run stays under a minute
BASE_USER = 10_000_000
ATTENDANCE = "Did you take part in"


class Bucket:
    """A token bucket: `capacity` at once, refilled at `rate` a second, as Telegram meters."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity, self.tokens = rate, capacity, capacity
        self.at = time.monotonic()

    def take(self) -> float:
        """0 if a message may go now, else the seconds until it may."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


def serve(rate: float, per_chat: float, ready: Any, stop: Any) -> None:
    """The limited Bot API double, in its own process so it never competes with the bot."""
    from tests.botapi import BotApiDouble, BotApiServer

    double = BotApiDouble()
    overall = Bucket(rate, rate)
    chats: dict[int, Bucket] = {}
    lock = threading.Lock()
    stats = {"rejected": 0}

    def limits(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method == "benchStats":
            per_chat_count: dict[str, int] = {}
            for chat_id, messages in double.messages.items():
                per_chat_count[str(chat_id)] = sum(ATTENDANCE in m.text for m in messages)
            return 200, {"ok": True, "result": {"chats": per_chat_count, **stats}}
        if method != "sendMessage":
            return None
        with lock:
            chat = chats.setdefault(int(params["chat_id"]), Bucket(per_chat, 1))
            wait = max(overall.take(), chat.take())
        if wait > 0:
            stats["rejected"] += 1
            return 429, {"ok": False, "error_code": 429,
                         "description": f"Too Many Requests: retry after {wait:.3f}",
                         "parameters": {"retry_after": max(wait, 0.001)}}
        return None

    double.rules.append(limits)
    server = BotApiServer(double)
    handler: Any = server.server.RequestHandlerClass
    handler.protocol_version = "HTTP/1.1"  # keep connections open, as Telegram does
    with server:
        ready.send(server.base_url)
        stop.recv()


def call(base_url: str, method: str) -> Any:
    request = urllib.request.Request(f"{base_url}{TOKEN}/{method}", data=b"{}",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["result"]


TOKEN = "7000001:AAH-test-token-not-real-0123456789abcdef"


async def seed(db: Database, n: int, now: dt.datetime) -> None:
    """N consented members of one community, and an event whose prompt is due at `now`."""
    async with db.session() as s:
        community = Community(name="Bench Network", timezone="UTC", invite_code="bench",
                              prompt_delay_minutes=0, quiet_start="00:00", quiet_end="00:00",
                              created_at=now - dt.timedelta(days=30))
        s.add(community)
        await s.flush()
        s.add(Event(community_id=community.id, title="Bench Session",
                    starts_at=now - dt.timedelta(hours=2), ends_at=now,
                    created_at=now - dt.timedelta(days=1), updated_at=now - dt.timedelta(days=1)))
        joined = now - dt.timedelta(days=10)
        for start in range(0, n, 2000):
            ids = range(start, min(n, start + 2000))
            await s.execute(insert(Member), [
                {"id": i + 1, "telegram_user_id": BASE_USER + i, "chat_id": BASE_USER + i,
                 "created_at": joined} for i in ids])
            await s.execute(insert(Consent), [
                {"id": i + 1, "member_id": i + 1, "version": "bench", "given_at": joined}
                for i in ids])
            await s.execute(insert(Membership), [
                {"member_id": i + 1, "community_id": community.id, "pseudonym": f"P-{i:06d}",
                 "consent_id": i + 1, "joined_at": joined} for i in ids])


async def run(n: int, url: str, rate: float, base_url: str) -> dict[str, Any]:
    from bot.app import build_application
    from bot.scheduling import sender_for
    from valuestory.usecases import scheduler

    db = Database(url)
    await db.upgrade()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    await seed(db, n, now)
    settings = Settings(telegram_bot_token=SecretStr(TOKEN), database_url=url,
                        telegram_api_base_url=base_url, telegram_max_rate=rate,
                        _env_file=None)
    app = build_application(settings, db)
    await app.initialize()
    try:
        # Planning (creating the N prompt rows) is not sending: done before the clock starts.
        await scheduler.tick(db, sender_for(app), now - dt.timedelta(minutes=1))
        started = time.perf_counter()
        report = await scheduler.tick(db, sender_for(app), now)
        elapsed = time.perf_counter() - started
    finally:
        await app.shutdown()
    async with db.session() as s:
        statuses = (await s.scalars(select(Delivery.status))).all()
        errors = (await s.scalars(select(Delivery.error).where(Delivery.error.is_not(None)))).all()
        opened = len((await s.scalars(select(Prompt.id).where(Prompt.status == "open"))).all())
    await db.dispose()
    return {"elapsed": elapsed, "report": report, "deliveries": statuses, "opened": opened,
            "errors": sorted(set(errors))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="members with a due prompt")
    parser.add_argument("--quick", action="store_true", help="a smaller run (N=1000)")
    parser.add_argument("--database", default=None, help="database URL (default: a temp SQLite)")
    parser.add_argument("--scale", type=float, default=None,
                        help="multiply Telegram's limits on both sides (default: fit under a minute)")
    args = parser.parse_args()
    n = 1000 if args.quick else args.n
    scale = args.scale or max(1.0, math.ceil(n / TELEGRAM_RATE / TARGET_SECONDS))
    rate = TELEGRAM_RATE * scale

    ctx = multiprocessing.get_context("spawn")
    parent_ready, child_ready = ctx.Pipe()
    parent_stop, child_stop = ctx.Pipe()
    server = ctx.Process(target=serve, args=(rate, PER_CHAT_RATE, child_ready, child_stop),
                         daemon=True)
    server.start()
    base_url = parent_ready.recv()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            result = asyncio.run(run(n, url, rate, base_url))
            stats = call(base_url, "benchStats")
    finally:
        parent_stop.send("stop")
        server.join(10)

    received = [stats["chats"].get(str(BASE_USER + i), 0) for i in range(n)]
    duplicated = sum(1 for r in received if r > 1)
    lost = sum(1 for r in received if r == 0)
    floor = n / rate
    ratio = result["elapsed"] / floor
    print(f"fan-out of {n} prompts, database {url.split(':', 1)[0]}")
    if scale != 1:
        print(f"limits scaled up x{scale:g} on both sides: {rate:g} messages/s overall "
              f"(Telegram: {TELEGRAM_RATE:g}/s), so the floor is N/{rate:g} s")
    print(f"elapsed {result['elapsed']:.2f} s, floor {floor:.2f} s, ratio {ratio:.3f} (goal <= 1.05)")
    print(f"duplicated {duplicated}, lost {lost}, 429s answered {stats['rejected']}, "
          f"sent {result['report'].sent}, uncertain {result['report'].uncertain}, "
          f"failed {result['report'].failed}")
    if result["errors"]:
        print(f"errors: {', '.join(result['errors'])}")


if __name__ == "__main__":
    main()
