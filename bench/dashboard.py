"""How long the dashboard's pages take on the server, each as a ratio to the plain SQL it needs,
measured on the same database in the same run.

    python -m bench.dashboard [--quick] [--database-url postgresql://user@127.0.0.1:5432/postgres]

Seeds 1,000,000 narratives as `bench.matrix` does (a tenth with --quick, a smoke run), then serves
the dashboard's own tornado application on 127.0.0.1 and asks it, signed in as a convener, for one
community's matrix page, for the first and the hundredth page of its narratives, and for its
narratives filtered by a code that one in ten of them carries. Server time is
tornado's own measure of each request (from its arrival to its last byte), so the client's time is
not counted; the page does everything a real request does (the session, the roles, the queries,
the template). The baselines are the plain SQL statements the same figures or rows need, sent
through the same drivers: the session, the community and the roles every page reads (each
plainly, in a statement of its own; the pages read the three in one), then, in a long read off
the loop's thread as the page reads them (`Database.long_read`), the page's own (the
narratives' rows at their cheapest, 51 off the index, then their pseudonyms).
Goal: each page at most 2x its SQL, and page 100 within 1.2x of page 1.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from typing import Any

import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.web
from sqlalchemy import text

from bench import matrix as seeding
from bench.database import database
from storage.db import Database
from storage.models import Community, utcnow
from valuestory import dashboard
from valuestory.dashboard.base import COOKIE
from valuestory.process.settings import SecretStr, Settings
from valuestory.usecases import narratives, roles, sessions

COMMUNITY = 7
CONVENER = 424242
GOAL_RATIO = 2.0
GOAL_DEEP = 1.2

# What every page reads first: the session, the community, and the person's roles now.
ACCESS_SQL = (
    "SELECT token_hash, telegram_user_id, csrf_token, created_at, last_seen_at "
    "FROM dashboard_sessions WHERE token_hash = :h",
    "SELECT * FROM communities WHERE id = :c",
    "SELECT id, role, community_id FROM role_grants WHERE telegram_user_id = :u ORDER BY id",
)
EVENTS_SQL = ("SELECT id, title, starts_at FROM events WHERE community_id = :c "
              "ORDER BY starts_at DESC, id DESC")
MATRIX_SQL = (
    "SELECT event_id, cycle, count(*) FROM narratives WHERE community_id = :c "
    "GROUP BY event_id, cycle",
    "SELECT event_id, count(*), sum(CASE WHEN attended THEN 1 ELSE 0 END), "
    "sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) FROM prompts "
    "WHERE community_id = :c AND kind = 'post_event' AND opened_at IS NOT NULL GROUP BY event_id",
    "SELECT id, title, starts_at FROM events WHERE community_id = :c ORDER BY starts_at",
    # The value indicators the page leads with, and what backs each.
    "SELECT id, cycle, capital, statement, position, status FROM indicators "
    "WHERE community_id = :c ORDER BY position, id",
    "SELECT e.indicator_id, count(*), count(DISTINCT n.story_id), count(DISTINCT n.member_id) "
    "FROM indicator_evidence e JOIN indicators i ON i.id = e.indicator_id "
    "JOIN narratives n ON n.id = e.narrative_id WHERE i.community_id = :c GROUP BY e.indicator_id",
)
# The page's rows at their cheapest: 51 narratives off the index, then their pseudonyms and events.
PAGE_SQL = (
    "SELECT n.id, n.story_id, n.question_text, n.text, m.pseudonym, n.event_id, e.title, "
    "n.answered_at, n.revised_at, n.cycle, n.capital, n.intended FROM ("
    "SELECT id, story_id, question_text, text, member_id, event_id, answered_at, revised_at, "
    "cycle, capital, intended, community_id FROM narratives WHERE community_id = :c {after}"
    "ORDER BY answered_at DESC, id DESC LIMIT 51) n "
    "JOIN memberships m ON m.member_id = n.member_id AND m.community_id = n.community_id "
    "JOIN events e ON e.id = n.event_id ORDER BY n.answered_at DESC, n.id DESC"
)
AFTER = "AND (answered_at, id) < (:at, :id) "
# Filtered by a code: one in ten of the community's narratives carries it.
CODED = "AND id IN (SELECT narrative_id FROM codings WHERE code_id = :code) "
CODE_ID = 1


async def code_a_tenth(db: Database) -> int:
    """A code in the community's codebook on every tenth of its narratives, by one coder."""
    now = utcnow()
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO codes (id, community_id, guid, name, description, colour, created_at) "
            "VALUES (:id, :c, :g, 'A safe space', '', '#4E79A7', :at)"),
            {"id": CODE_ID, "c": COMMUNITY, "g": str(uuid.uuid4()), "at": now})
        await conn.execute(text(
            "INSERT INTO coders (id, community_id, telegram_user_id, label, guid, created_at) "
            "VALUES (1, :c, NULL, 'TK', :g, :at)"), {"c": COMMUNITY, "g": str(uuid.uuid4()),
                                                     "at": now})
        ids = (await conn.execute(text("SELECT id FROM narratives WHERE community_id = :c "
                                       "ORDER BY id"), {"c": COMMUNITY})).scalars().all()
        chosen = ids[::10]
        await conn.execute(text(
            "INSERT INTO codings (code_id, narrative_id, coder_id, guid, created_at) "
            "VALUES (:code, :n, 1, :g, :at)"),
            [{"code": CODE_ID, "n": n, "g": str(uuid.uuid4()), "at": now} for n in chosen])
    return len(chosen)


class Timed:
    """Server time of each request, as tornado measures it."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, handler: tornado.web.RequestHandler) -> None:
        self.last = handler.request.request_time()


async def _sql(db: Database, statements: tuple[str, ...], params: dict[str, Any]) -> float:
    """The access statements as the page sends them (a unit of work), the rest through the
    driver the page's own reads use (a long read, off the loop's thread)."""
    access = [s for s in statements if s in ACCESS_SQL]
    rest = [s for s in statements if s not in ACCESS_SQL]
    t = time.perf_counter()
    async with db.engine.connect() as conn:
        for statement in access:
            (await conn.execute(text(statement), params)).all()
    async with db.long_read() as reading:
        for statement in rest:
            (await reading.execute(text(statement), params)).all()
    return time.perf_counter() - t


async def measure(db: Database, url: str, repeat: int) -> dict[str, tuple[float, float, float]]:
    """For each page: median server time, median SQL time, and the median of the rounds' ratios
    (each round's page against its SQL measured just before it: this kind of machine's speed
    wanders from minute to minute, and a ratio within a round is not thrown by it)."""
    settings = Settings(telegram_bot_token=SecretStr("123456:" + "A" * 35), database_url=url,
                        _env_file=None)
    async with db.session() as session:
        community = await session.get(Community, COMMUNITY)
        assert community is not None
        await roles.queries.grant_role(session, CONVENER, "convener", community)
        await roles.queries.grant_role(session, CONVENER, "researcher", community)
        token = await sessions.queries.open_session(session, CONVENER, utcnow())
    # Page 100 starts after the last narrative of page 99, as its link would say (read after
    # the grants are committed: a page's own read waits for no writer).
    cursor: narratives.Cursor | None = None
    for _ in range(99):
        page = await narratives.page_of(db, COMMUNITY, narratives.NarrativeFilter(), cursor)
        cursor = page.next
    assert cursor is not None, "not enough narratives for a hundredth page"
    coded = await code_a_tenth(db)
    print(f"coded {coded:,} narratives of community {COMMUNITY} with one code")
    async with db.engine.connect() as conn:
        raw_at = (await conn.execute(text(
            "SELECT answered_at FROM narratives WHERE id = :id"), {"id": cursor.id})).scalar_one()
    timed = Timed()
    base = "http://127.0.0.1"
    app = tornado.web.Application(dashboard.routes(db, settings, base), log_function=timed)
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    client = tornado.httpclient.AsyncHTTPClient()
    headers = {"Cookie": f"{COOKIE}={token}"}
    prefix = f"http://127.0.0.1:{port}/dashboard/c/{COMMUNITY}"
    who = {"c": COMMUNITY, "h": sessions.hashed(token), "u": CONVENER}
    cases = {
        "matrix": (f"{prefix}/", (*ACCESS_SQL, *MATRIX_SQL), who),
        "page 1": (f"{prefix}/narratives", (*ACCESS_SQL, PAGE_SQL.format(after=""), EVENTS_SQL),
                   who),
        "page 100": (f"{prefix}/narratives?after={cursor.encode()}",
                     (*ACCESS_SQL, PAGE_SQL.format(after=AFTER), EVENTS_SQL),
                     {**who, "at": raw_at, "id": cursor.id}),
        "coded": (f"{prefix}/narratives?code={CODE_ID}",
                  (*ACCESS_SQL, PAGE_SQL.format(after=CODED), EVENTS_SQL),
                  {**who, "code": CODE_ID}),
    }
    pages: dict[str, list[float]] = {name: [] for name in cases}
    sql: dict[str, list[float]] = {name: [] for name in cases}
    try:
        # Round by round, every page and its SQL in turn, so a busy moment on the machine falls
        # on all of them alike.
        for i in range(repeat + 3):
            for name, (address, statements, params) in cases.items():
                s = await _sql(db, statements, params)
                response = await client.fetch(address, headers=headers, raise_error=False)
                assert response.code == 200, (name, response.code)
                if i >= 3:  # the first rounds warm caches and statement caches
                    sql[name].append(s)
                    pages[name].append(timed.last)
        results = {name: (statistics.median(pages[name]), statistics.median(sql[name]),
                          statistics.median(p / q for p, q in zip(pages[name], sql[name],
                                                                   strict=True)))
                   for name in cases}
        deep = statistics.median(a / b for a, b in zip(pages["page 100"], pages["page 1"],
                                                        strict=True))
        results["page 100 / page 1"] = (deep, deep, deep)
    finally:
        server.stop()
        client.close()
    return results


async def run(url: str | None, quick: bool, repeat: int) -> dict[str, float]:
    scale = 0.1 if quick else 1.0
    t = time.perf_counter()
    data = seeding.rows(scale)
    print(f"generated {len(data['narratives']):,} narratives in {time.perf_counter() - t:.1f}s")
    async with database(url, lambda path: seeding.load_sqlite(path, data),
                        lambda url: seeding.load_postgres(url, data)) as url:
        data.clear()
        db = Database(url)
        try:
            results = await measure(db, url, repeat)
        finally:
            await db.dispose()
    ratios: dict[str, float] = {}
    deep = results.pop("page 100 / page 1")[2]
    print(f"community {COMMUNITY}; server time per page against its plain SQL, medians of {repeat}"
          " rounds (the ratio: of each round's own)")
    for name, (page, sql, ratio) in results.items():
        ratios[name] = ratio
        print(f"{name:9} {page * 1000:8.2f} ms   SQL {sql * 1000:8.2f} ms   ratio {ratio:5.2f}x"
              f"  (goal: at most {GOAL_RATIO}x)")
    ratios["page 100 / page 1"] = deep
    print(f"page 100 / page 1: {deep:.2f}x  (goal: at most {GOAL_DEEP}x)")
    return ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--database-url", default=None,
                        help="sqlite:///file.db, or a PostgreSQL server URL (a database of its "
                             "own is created there and dropped afterwards)")
    parser.add_argument("--repeat", type=int, default=101)
    args = parser.parse_args(argv)
    ratios = asyncio.run(run(args.database_url, args.quick, args.repeat))
    ok = (all(r <= GOAL_RATIO for k, r in ratios.items() if k != "page 100 / page 1")
          and ratios["page 100 / page 1"] <= GOAL_DEEP)
    return 0 if args.quick or ok else 1


if __name__ == "__main__":
    sys.exit(main())
