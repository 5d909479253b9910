"""Members answering in the browser: N members tell their stories through their pages at the
same moment, against a bare tornado handler that only renders a form, on the same machine in the
same run.

    python -m bench.web [--members 120] [--at-once 24] [--rounds 3] [--quick]
                        [--database-url URL] [--json]

Members are made through the doors a convener's `member link --new` and the member's own I agree
call, in one community with the post-event prompt open for each (as an admin opens one
silently). The server runs in a process of its own (the members' pages as `valuestory run`
serves them, on SQLite or PostgreSQL, and beside them the bare handler), so the clients' work
is not counted against it. Each member, with at most `--at-once` of them at a time, reads their
page, then sends what it asks for, as a browser does: the form (with its XSRF token and cookie)
posted, followed to the page it redirects to, until the story is told (attended Yes, a sentence
for each text question, one capital and Done: 7 answers each). The bare handler gets the same
number of posts and pages: a form posted, a redirect, the form again.

Prints answers a second through the pages and through the bare handler and their ratio (goal:
at least 0.3x), and the server time of the answer page against the bare form's (goal: at most
3x): tornado's own measure of a GET, from its arrival to its last byte, asked one at a time after
the crowd has gone (under load a request's time is mostly its wait behind the others). Medians of
the rounds, each ratio taken within its round; then the sentences stored, which must be every
one sent.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import multiprocessing
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

GOAL_ANSWERS = 0.3
GOAL_SERVER_TIME = 3.0
BASE = "http://127.0.0.1"
ANSWERS_EACH = 7
SAMPLES = 40  # requests of each, one at a time, for the server times
SENTENCE = "Hearing how the other team triages at night, and trying it on our ward."

_XSRF = re.compile(r'name="_xsrf" value="([^"]+)"')
_PROMPT = re.compile(r'name="prompt" value="([0-9]+)"')
_DO = re.compile(r'<button type="submit" name="do" value="([^"]+)"([^>]*)>')
_TEXT_BOX = 'id="text"'


# --- The server, in a process of its own --------------------------------------------------------


def _serve(url: str, ports: Any) -> None:
    asyncio.run(_serving(url, ports))


async def _serving(url: str, ports: Any) -> None:
    import tornado.httpserver
    import tornado.netutil
    import tornado.web

    from storage.db import Database
    from valuestory import answers

    times: dict[str, list[float]] = {"page": [], "bare": []}

    def timed(handler: tornado.web.RequestHandler) -> None:
        path = handler.request.path
        if handler.request.method == "GET" and path.startswith("/answer/") and path.count("/") == 2:
            times["page"].append(handler.request.request_time())
        elif handler.request.method == "GET" and path == "/bare":
            times["bare"].append(handler.request.request_time())

    class Bare(tornado.web.RequestHandler):
        """A form and nothing else: what the least a page that asks a question costs."""

        def get(self) -> None:
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(BARE_FORM.format(xsrf=self.xsrf_form_html(), question=html.escape(
                "What happened at the Winter Learning Session that mattered to you?")))

        def post(self) -> None:
            self.check_xsrf_cookie()
            self.get_body_argument("text", "")
            self.redirect("/bare", status=303)

    class Times(tornado.web.RequestHandler):
        def get(self) -> None:
            self.finish(json.dumps(times))

        def delete(self) -> None:
            for kept in times.values():
                kept.clear()

    db = Database(url)
    app = tornado.web.Application(
        [*answers.routes(db, BASE), (r"/bare", Bare), (r"/times", Times)], log_function=timed)
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    ports.put(sockets[0].getsockname()[1])
    await asyncio.Event().wait()  # until the process is ended


BARE_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bare</title></head>
<body><main><form method="post" action="/bare">{xsrf}<input type="hidden" name="prompt" value="1">
<p>2 of 6</p><h1><label for="text">{question}</label></h1>
<textarea id="text" name="text" rows="7"></textarea>
<button type="submit" name="do" value="n|q">Next</button><button type="submit" name="do"
value="s|q">Skip</button><button type="submit" name="do" value="b|q">Back</button>
<button type="submit" name="do" value="l">Later</button><button type="submit" name="do"
value="x">Stop</button></form></main></body></html>"""


# --- Seeding, through the doors -------------------------------------------------------------------


async def seed(url: str, members: int) -> list[str]:
    """A community, an event, and `members` members who joined by their links, each with the
    post-event prompt open: their links' tokens."""
    from storage.db import Database
    from valuestory.usecases import web_answers
    from valuestory.usecases.communities.queries import create_community
    from valuestory.usecases.events import planning
    from valuestory.usecases.events.queries import create_event

    db = Database(url)
    try:
        async with db.session() as session:
            community = await create_community(session, "Bench Network", "Europe/London")
            event = await create_event(session, community, "Winter Learning Session",
                                       "2026-12-03 14:00", "2026-12-03 16:00")
            name, event_id = community.name, event.id
        tokens = []
        for _ in range(members):
            made = await web_answers.make(db, name, None, BASE)
            token = made.url.rsplit("/", 1)[1]
            page = await web_answers.page(db, token)
            assert isinstance(page, web_answers.Page) and page.joining is not None
            j = page.joining
            await web_answers.agree(db, token, str(j.community_id), j.version, j.language)
            tokens.append(token)
        await planning.open_by_hand(db, event_id, None, "post_event", quietly=True)
        return tokens
    finally:
        await db.dispose()


async def stored(url: str) -> int:
    """The narratives stored: one for each sentence sent."""
    from storage.db import Database
    from storage.models import Narrative

    db = Database(url)
    try:
        async with db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Narrative)) or 0)
    finally:
        await db.dispose()


# --- The members, as browsers ---------------------------------------------------------------------


class Browser:
    """One member's browser: its cookie, and the page it is on."""

    def __init__(self, client: Any, port: int) -> None:
        self.client, self.port = client, port
        self.cookie = ""

    async def fetch(self, path: str, form: dict[str, str] | None = None) -> str:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if form is None:
            response = await self.client.fetch(f"{BASE}:{self.port}{path}", headers=headers)
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            response = await self.client.fetch(f"{BASE}:{self.port}{path}", method="POST",
                                               headers=headers, body=urlencode(form))
        for value in response.headers.get_list("Set-Cookie"):
            self.cookie = value.split(";", 1)[0]
        return str(response.body.decode())


async def tell(browser: Browser, token: str, sentences: list[int]) -> int:
    """A whole story through the page: how many answers were sent (the sentences among them
    counted in `sentences`)."""
    path = f"/answer/{token}"
    page = await browser.fetch(path)
    sent = 0
    while "form method=\"post\"" in page and sent < 20:
        xsrf = _XSRF.search(page)
        prompt = _PROMPT.search(page)
        buttons = _DO.findall(page)
        assert xsrf and prompt and buttons, page[:500]
        form = {"_xsrf": html.unescape(xsrf.group(1)), "prompt": prompt.group(1)}
        options = [value for value, rest in buttons if 'class="option"' in rest]
        picked = any('aria-pressed="true"' in rest for _, rest in buttons)
        if _TEXT_BOX in page:
            form |= {"do": html.unescape(buttons[0][0]), "text": SENTENCE}
            sentences[0] += 1
        elif options and not picked:
            form["do"] = html.unescape(options[0])
        else:  # several picked: Done, the first control
            controls = [value for value, rest in buttons if 'class="option"' not in rest]
            form["do"] = html.unescape(controls[0])
        page = await browser.fetch(path, form)
        sent += 1
    return sent


async def bare(browser: Browser, answers: int) -> int:
    page = await browser.fetch("/bare")
    for _ in range(answers):
        xsrf = _XSRF.search(page)
        assert xsrf
        page = await browser.fetch("/bare", {"_xsrf": html.unescape(xsrf.group(1)),
                                             "prompt": "1", "do": "n|q", "text": SENTENCE})
    return answers


async def crowd(jobs: list[Any], at_once: int) -> float:
    """Run the jobs, at most `at_once` at a time; the seconds they took."""
    gate = asyncio.Semaphore(at_once)

    async def one(job: Any) -> int:
        async with gate:
            return int(await job())

    t = time.perf_counter()
    done = await asyncio.gather(*(one(job) for job in jobs))
    return time.perf_counter() - t if sum(done) else 0.0


async def round_(url: str, members: int, at_once: int) -> dict[str, float]:
    import tornado.httpclient

    tokens = await seed(url, members)
    ports: Any = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(url, ports))
    server.start()
    try:
        port = ports.get(timeout=60)
        client = tornado.httpclient.AsyncHTTPClient(max_clients=at_once * 2)
        try:
            # Warm both: templates, statement caches, the first connections.
            await bare(Browser(client, port), 20)
            await Browser(client, port).fetch(f"/answer/{tokens[-1]}")
            await client.fetch(f"{BASE}:{port}/times", method="DELETE")
            counted, sentences = [0], [0]

            def member(token: str) -> Any:
                async def job() -> int:
                    told = await tell(Browser(client, port), token, sentences)
                    counted[0] += told
                    return told
                return job

            pages = await crowd([member(t) for t in tokens], at_once)
            answers = counted[0]
            each = max(1, answers // members)
            bares = await crowd([(lambda: bare(Browser(client, port), each))
                                 for _ in tokens], at_once)
            # A page's own cost: one request at a time, the answer page and the bare form in
            # turn (under load, a request's time is mostly its wait behind the others).
            await client.fetch(f"{BASE}:{port}/times", method="DELETE")
            alone = Browser(client, port)
            for _ in range(SAMPLES):
                for token in tokens[:SAMPLES // 4 or 1]:
                    await alone.fetch(f"/answer/{token}")
                    await alone.fetch("/bare")
            times = json.loads((await client.fetch(f"{BASE}:{port}/times")).body)
        finally:
            client.close()
    finally:
        server.terminate()
        server.join(10)
    kept = await stored(url)
    page_time = statistics.median(times["page"])
    bare_time = statistics.median(times["bare"])
    return {"answers": answers, "sentences": sentences[0], "stored": kept, "pages_per_s": answers / pages,
            "bare_per_s": each * members / bares, "answers_ratio": (answers / pages) / (
                each * members / bares),
            "page_ms": page_time * 1000, "bare_ms": bare_time * 1000,
            "time_ratio": page_time / bare_time}


async def fresh_database(url: str | None, folder: Path) -> tuple[str, str | None]:
    """A new, migrated database: a SQLite file in `folder`, or one created on the PostgreSQL
    server `url` names (its name returned, to drop afterwards)."""
    from storage.db import Database

    if url is None or url.startswith("sqlite"):
        found = f"sqlite+aiosqlite:///{folder / f'bench-{uuid.uuid4().hex[:6]}.db'}"
        created = None
    else:
        server_url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
        admin = Database(server_url, isolation_level="AUTOCOMMIT")
        created = f"valuestory_bench_web_{uuid.uuid4().hex[:8]}"
        async with admin.engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{created}"'))
        await admin.dispose()
        found = make_url(server_url).set(database=created).render_as_string(hide_password=False)
    db = Database(found)
    await db.upgrade()
    await db.dispose()
    return found, created


async def drop(url: str, created: str | None) -> None:
    from storage.db import Database

    if created is None:
        return
    admin = Database(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    async with admin.engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)'))
    await admin.dispose()


async def run(url: str | None, members: int, at_once: int, rounds: int) -> dict[str, Any]:
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for i in range(rounds):
            found, created = await fresh_database(url, Path(folder))
            try:
                r = await round_(found, members, at_once)
            finally:
                await drop(found, created)
            results.append(r)
            print(f"round {i + 1}: {r['pages_per_s']:.0f} answers/s through the pages, "
                  f"{r['bare_per_s']:.0f}/s bare ({r['answers_ratio']:.2f}x); answer page "
                  f"{r['page_ms']:.2f} ms, bare form {r['bare_ms']:.2f} ms "
                  f"({r['time_ratio']:.2f}x); {r['stored']} of {r['sentences']} sentences stored")
    return {key: statistics.median(r[key] for r in results) for key in results[0]} | {
        "lost": sum(r["sentences"] - r["stored"] for r in results),
        "backend": "sqlite" if url is None or url.startswith("sqlite") else "postgresql"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=120)
    parser.add_argument("--at-once", type=int, default=24, help="members answering at a time")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 members, one round: a smoke run")
    parser.add_argument("--database-url", default=None,
                        help="sqlite:///file.db, or a PostgreSQL server URL (a database of its "
                             "own is created there and dropped afterwards)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args(argv)
    members, rounds = (20, 1) if args.quick else (args.members, args.rounds)
    found = asyncio.run(run(args.database_url, members, min(args.at_once, members), rounds))
    print(f"{members} members, {min(args.at_once, members)} at a time, {found['backend']}, "
          f"medians of {rounds} round(s):")
    print(f"answers a second: {found['pages_per_s']:.0f} through the pages, "
          f"{found['bare_per_s']:.0f} bare: {found['answers_ratio']:.2f}x "
          f"(goal: at least {GOAL_ANSWERS}x)")
    print(f"answer page's server time: {found['page_ms']:.2f} ms, bare form "
          f"{found['bare_ms']:.2f} ms: {found['time_ratio']:.2f}x (goal: at most {GOAL_SERVER_TIME}x)")
    print(f"answers lost: {found['lost']}")
    if args.json:
        print(json.dumps(found))
    ok = (found["answers_ratio"] >= GOAL_ANSWERS and found["time_ratio"] <= GOAL_SERVER_TIME
          and found["lost"] == 0)
    return 0 if args.quick or ok else 1


if __name__ == "__main__":
    sys.exit(main())
