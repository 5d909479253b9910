"""Conversation benchmark: N members answer the default question set at the same moment, each
sending its next update only once the bot has answered the last, to the real bot process and to
a bare python-telegram-bot echo bot, each long polling its own loopback Bot API double.

    python -m bench.flow [--members 20] [--database-url URL] [--rounds 3] [--quick] [--json]
                         [--profile FILE]

Members are seeded straight into a fresh database as joined (invite and consent) with the
post-event prompt open, as an admin opens one silently; then every member answers at once:
/continue, attended Yes, a sentence for each text question, two capitals and Done, Next after
each answer (15 updates each). The echo bot gets the same number of members and updates.

Prints updates a second and reply latency (p50, p95: from pushing an update to the bot's first
reply for it reaching the API, and to the answer the member waits for), the ratios of valuestory
to echo, the CPU time each bot spent per update, how much valuestory's resident memory grew
during the run (after it, against when it was ready), and the answers stored, lost or duplicated.
The echo bot and valuestory (its default settings) run once per round, back to back, each on a
fresh database; the figures are the medians of the rounds (3 by default), each ratio taken
within its round, since this kind of machine's speed wanders from minute to minute; each
round's own ratio is printed too.

A PostgreSQL URL names the server: a fresh database is created beside the one named and dropped
afterwards. `--profile FILE` runs valuestory under cProfile and writes its stats to FILE.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from bench.fanout import BASE_USER, seed
from storage.db import Database
from storage.models import Event, InboxUpdate, Member, Narrative, Prompt, utcnow
from tests.botapi import BOT_ID, TOKEN, BotApiDouble, BotApiServer

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


@dataclass(frozen=True)
class Step:
    """One update a member sends: a typed sentence or a tapped button, and the reply it waits for."""

    kind: str  # "say" or "tap"
    value: str  # the sentence, or the button's label
    awaits: str = "sendMessage"  # a toggled option only redraws its buttons


STORY = (
    Step("say", "/continue"),
    Step("tap", "Yes, I was there"),
    Step("say", "The midwife's case about insulin timing changed how I plan clinics."),
    Step("tap", "Next"),
    Step("say", "I felt heard, and a little challenged by the other teams."),
    Step("tap", "Next"),
    Step("tap", "A new insight or skill", awaits="editMessageReplyMarkup"),
    Step("tap", "A useful connection", awaits="editMessageReplyMarkup"),
    Step("tap", "Done"),
    Step("say", "How to read a glucose trace together with the patient."),
    Step("tap", "Next"),
    Step("say", "A dietitian from the neighbouring trust who runs a similar clinic."),
    Step("tap", "Next"),
    Step("say", "Try the shared clinic template with my team next month."),
    Step("tap", "Next"),
)
# The text questions STORY answers: two immediate, two potential (one a capital), one applied.
NARRATIVES_PER_MEMBER = 5
READY_WITHIN = 120.0  # a guard against a bot that never starts, not a speed goal
SETTLE_SECONDS = 1.0  # after the last answer: time for a duplicated reply to show up
FIRST_MESSAGE_ID = 1_000_000  # members' own message ids, far from the bot's


# --- The members, in the double's process -----------------------------------------------------


class RecordingDouble(BotApiDouble):
    """The Bot API double, queueing every call but getUpdates with the moment it arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: queue.Queue[tuple[float, str, dict[str, Any]]] = queue.Queue()

    def handle(self, method: str, params: dict[str, Any],
               files: dict[str, tuple[str, bytes]] | None = None) -> tuple[int, dict[str, Any]]:
        at = time.perf_counter()
        answer = super().handle(method, params, files)
        if method != "getUpdates":
            self.replies.put((at, method, params))  # after handle: the message is in the chat
        return answer


def chat_of(method: str, params: dict[str, Any]) -> int | None:
    """Whose chat a call answers: callback query ids carry the member's chat (see Person)."""
    if method == "answerCallbackQuery":
        return int(str(params["callback_query_id"]).split(":")[0])
    if "chat_id" in params:
        return int(params["chat_id"])
    return None


@dataclass
class Person:
    """A member in a private chat with the bot, one step of STORY at a time."""

    chat: int
    step: int = 0
    pushed: float = 0.0
    first: float | None = None
    sent: int = 0

    def user(self) -> dict[str, Any]:
        return {"id": self.chat, "is_bot": False, "first_name": "Member"}

    def update(self, double: BotApiDouble, step: Step, echo: bool) -> dict[str, Any]:
        self.sent += 1
        chat = {"id": self.chat, "type": "private", "first_name": "Member"}
        message: dict[str, Any]
        if step.kind == "say":
            message = {"message_id": FIRST_MESSAGE_ID + self.sent, "date": int(time.time()),
                       "chat": chat, "from": self.user(), "text": step.value}
            if step.value.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0,
                                        "length": len(step.value.split()[0])}]
            return {"message": message}
        inbox = double.chat(self.chat)
        if echo:
            # The echo bot shows no buttons: press one on its last message, with the label as data.
            message = inbox[-1].to_api() if inbox else {
                "message_id": 1, "date": 0, "chat": chat,
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "echo"}}
            data = step.value
        else:
            found = next(((m, b["callback_data"]) for m in reversed(inbox) for row in m.keyboard
                          for b in row if b["text"] in (step.value, f"✓ {step.value}")), None)
            if found is None:
                raise RuntimeError(f"no button {step.value!r} in chat {self.chat}")
            message, data = found[0].to_api(), found[1]
        return {"callback_query": {"id": f"{self.chat}:{self.sent}", "from": self.user(),
                                   "chat_instance": str(self.chat), "message": message,
                                   "data": data}}


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user and system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def converse(double: RecordingDouble, n: int, echo: bool, limit: float,
             pid: int, first: int = BASE_USER) -> dict[str, Any]:
    """Wait for the bot to be ready, then let N members (chats `first` on) answer STORY at once;
    latencies in seconds."""
    members = {first + i: Person(first + i) for i in range(n)}
    called = time.perf_counter()
    while not double.count("getUpdates"):
        if time.perf_counter() > called + READY_WITHIN:
            return {"error": f"no getUpdates within {READY_WITHIN:g} s"}
        time.sleep(0.05)

    first: list[float] = []
    answered: list[float] = []
    finished = 0
    started = last = time.perf_counter()
    cpu_before = cpu_seconds(pid)
    rss_ready = memory(pid)["VmRSS"]
    deadline = started + limit
    ready = started - called
    for member in members.values():
        member.pushed = time.perf_counter()
        double.push_update(member.update(double, STORY[0], echo))
    while finished < n and time.perf_counter() < deadline:
        try:
            at, method, params = double.replies.get(timeout=0.5)
        except queue.Empty:
            continue
        member_or_none = members.get(chat_of(method, params) or 0)
        if member_or_none is None or member_or_none.step >= len(STORY):
            continue
        member = member_or_none
        if member.first is None:
            member.first = at
        if method != ("sendMessage" if echo else STORY[member.step].awaits):
            continue
        first.append(member.first - member.pushed)
        answered.append(at - member.pushed)
        last = at
        member.step, member.first = member.step + 1, None
        if member.step == len(STORY):
            finished += 1
            continue
        member.pushed = time.perf_counter()
        double.push_update(member.update(double, STORY[member.step], echo))
    cpu = cpu_seconds(pid) - cpu_before
    time.sleep(SETTLE_SECONDS)
    # Messages each chat should hold: one per awaited sendMessage (a toggle edits its message).
    expected = sum(1 for s in STORY if echo or s.awaits == "sendMessage")
    held = [len(double.chat(chat)) for chat in members]
    return {"ready": ready, "updates": len(answered), "elapsed": last - started, "cpu": cpu,
            "rss_ready": rss_ready,
            "first": first,
            "answered": answered, "finished": finished,
            "lost": sum(1 for m in members.values() if m.step < len(STORY)),
            "duplicated": sum(1 for h in held if h > expected)}


def serve(conn: Any) -> None:
    """The double and the members, in their own process so they never compete with the bot."""
    double = RecordingDouble()
    server = BotApiServer(double)
    handler: Any = server.server.RequestHandlerClass
    handler.protocol_version = "HTTP/1.1"  # keep connections open, as Telegram does
    # Headers and body go out in two writes: with Nagle's algorithm the body waits for the bot's
    # delayed ACK, 40 ms a call, which would dwarf the bots being measured.
    handler.disable_nagle_algorithm = True
    # A long poll answered after the bot hung up at the end is no error worth a traceback.
    server.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    with server:
        conn.send(server.base_url)
        # One conversation per order (bench.stall gives two), until told to stop.
        while (order := conn.recv()) is not None:
            try:
                conn.send(converse(double, **order))
            except Exception as exc:  # said to the main process, which stops the bot
                conn.send({"error": f"{type(exc).__name__}: {exc}"})


# --- The bots ---------------------------------------------------------------------------------


def echo_bot() -> None:
    """The baseline: a bare python-telegram-bot Application that answers each message and button."""
    from telegram import Update
    from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer()
        await context.bot.send_message(query.message.chat.id, query.data or "")

    application = (Application.builder().token(TOKEN)
                   .base_url(os.environ["TELEGRAM_API_BASE_URL"]).build())
    application.add_handler(MessageHandler(filters.TEXT, on_message))
    application.add_handler(CallbackQueryHandler(on_button))
    application.run_polling(allowed_updates=ALLOWED_UPDATES)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak, in MB, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def measure(command: list[str], env: dict[str, str], workdir: Path, name: str, n: int, echo: bool,
            limit: float) -> dict[str, Any]:
    """One bot process against its own double: start both, converse, read memory, stop both."""
    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(child,), daemon=True)
    server.start()
    log_path = workdir / f"{name}.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        base_url = conn.recv()
        full_env = {
            **{k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "WEBHOOK_", "LOG_", "DATABASE_", "HEALTH_"))},
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": base_url,
            "PYTHONPATH": str(ROOT), **env,
        }
        with log_path.open("ab") as log:
            proc = subprocess.Popen(command, cwd=workdir, env=full_env, stdout=log, stderr=log)
        conn.send({"n": n, "echo": echo, "limit": limit, "pid": proc.pid})
        deadline = time.monotonic() + READY_WITHIN + limit + 30
        while not conn.poll(0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} stopped or hung (status {proc.poll()}):\n{tail}")
        result: dict[str, Any] = conn.recv()
        if "error" in result:
            raise RuntimeError(f"{name}: {result['error']}\n"
                               f"{log_path.read_text(errors='replace')[-3000:]}")
        result["memory"] = memory(proc.pid)
        stopping = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            result["exit"] = proc.wait(60)
            result["stop"] = time.monotonic() - stopping
        except subprocess.TimeoutExpired:
            proc.kill()
            result["exit"] = proc.wait()
        return result
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        with suppress(OSError):
            conn.send(None)  # stop
        server.join(10)
        if server.is_alive():
            server.kill()


# --- The databases ------------------------------------------------------------------------------


async def _admin(url: str, sql: str) -> None:
    db = Database(url, isolation_level="AUTOCOMMIT")
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await db.dispose()


async def prepare(url: str, n: int) -> None:
    """A fresh schema, N joined members, and each one's post-event prompt open and not begun."""
    db = Database(url)
    now = utcnow().replace(microsecond=0)
    try:
        await db.upgrade()
        await seed(db, n, now)
        async with db.session() as s:
            event = (await s.scalars(select(Event))).one()
            members = (await s.scalars(select(Member.id).order_by(Member.id))).all()
            await s.execute(insert(Prompt), [
                {"member_id": m, "community_id": event.community_id, "event_id": event.id,
                 "kind": "post_event", "story_id": str(uuid.uuid4()), "status": "open",
                 "due_at": now, "opened_at": now, "closes_at": now + dt.timedelta(days=7)}
                for m in members])
    finally:
        await db.dispose()


async def stored(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        async with db.session() as s:
            return {
                "narratives": await s.scalar(select(func.count()).select_from(Narrative)) or 0,
                "completed": await s.scalar(select(func.count()).select_from(Prompt)
                                            .where(Prompt.status == "completed")) or 0,
                "inbox": await s.scalar(select(func.count()).select_from(InboxUpdate)) or 0,
            }
    finally:
        await db.dispose()


def async_url(url: str) -> str:
    for plain, driver in (("postgres://", "postgresql+asyncpg://"),
                          ("postgresql://", "postgresql+asyncpg://"),
                          ("sqlite://", "sqlite+aiosqlite://")):
        if url.startswith(plain):
            return driver + url[len(plain):]
    return url


VALUESTORY = "valuestory"
# Figures added up over the rounds rather than taken as their median.
COUNTED = ("narratives", "narratives_expected", "prompts_completed", "inbox_left", "lost",
           "duplicated")


# --- The report ---------------------------------------------------------------------------------


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def figures(result: dict[str, Any]) -> dict[str, float]:
    return {
        "updates_per_s": result["updates"] / result["elapsed"] if result["elapsed"] else 0.0,
        "p50_ms": percentile(result["first"], 50) * 1000,
        "p95_ms": percentile(result["first"], 95) * 1000,
        "answered_p50_ms": percentile(result["answered"], 50) * 1000,
        "answered_p95_ms": percentile(result["answered"], 95) * 1000,
        "cpu_ms_per_update": 1000 * result["cpu"] / result["updates"] if result["updates"] else 0.0,
    }


def one_round(args: argparse.Namespace, n: int, index: int) -> dict[str, Any]:
    """The echo bot, then valuestory, each on a fresh database with prompts open."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        echo = run_bot(args, workdir, n, index, "echo")
        vs, kept, url = run_bot(args, workdir, n, index, VALUESTORY)
    e = figures(echo)
    report: dict[str, Any] = {"echo": e, "lost": echo["lost"], "duplicated": echo["duplicated"]}
    v = figures(vs)
    report["database"] = url.split(":", 1)[0]
    report[VALUESTORY] = {
        **v,
        "throughput_ratio": v["updates_per_s"] / e["updates_per_s"],
        "p50_ratio": v["p50_ms"] / e["p50_ms"],
        "answered_p50_ratio": v["answered_p50_ms"] / e["answered_p50_ms"],
        "cpu_ratio": v["cpu_ms_per_update"] / e["cpu_ms_per_update"],
        "rss_ready_mb": vs["rss_ready"], "rss_after_mb": vs["memory"]["VmRSS"],
        "rss_growth_mb": vs["memory"]["VmRSS"] - vs["rss_ready"],
        "narratives": kept["narratives"], "narratives_expected": n * NARRATIVES_PER_MEMBER,
        "prompts_completed": kept["completed"], "inbox_left": kept["inbox"],
        "lost": vs["lost"], "duplicated": vs["duplicated"],
    }
    report["lost"] += vs["lost"]
    report["duplicated"] += vs["duplicated"]
    return report


def run_bot(args: argparse.Namespace, workdir: Path, n: int, index: int, path: str) -> Any:
    """One bot's conversation on a fresh database: `path` is "echo" or VALUESTORY."""
    name = f"{path}-{index}"
    url = async_url(args.database_url or f"sqlite:///{workdir / (name + '.db')}")
    scratch, server_url = None, url
    if url.startswith("postgresql"):
        scratch = f"valuestory_bench_flow_{os.getpid()}_{path}_{index}"
        url = make_url(url).set(database=scratch).render_as_string(hide_password=False)
        asyncio.run(_admin(server_url, f'CREATE DATABASE "{scratch}"'))
    try:
        if path == "echo":
            return measure([sys.executable, "-m", "bench.flow", "--echo-bot"], {}, workdir,
                           name, n, True, args.limit)
        asyncio.run(prepare(url, n))
        bot = [sys.executable, "-m", "valuestory.cli", "run"]
        if args.profile:
            bot[1:1] = ["-m", "cProfile", "-o", str(Path(f"{args.profile}.{index}").resolve())]
        env = {"DATABASE_URL": url, "TELEGRAM_MAX_RATE": "100000",
               "WEBHOOK_LISTEN": "127.0.0.1", "HEALTH_PORT": str(free_port()),
               # Nothing is due: the scheduler's looks are kept as rare as they can be.
               "SCHEDULER_INTERVAL_SECONDS": "60"}
        vs = measure(bot, env, workdir, name, n, False, args.limit)
        return vs, asyncio.run(stored(url)), url
    finally:
        if scratch is not None:
            asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20, help="members answering at once")
    parser.add_argument("--database-url", default=None,
                        help="SQLite file or PostgreSQL server (default: a temp SQLite file)")
    parser.add_argument("--quick", action="store_true", help="a smaller run (5 members, 1 round)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of both bots; the figures are their medians")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--limit", type=float, default=600.0,
                        help="seconds each bot's conversation may take at most")
    parser.add_argument("--profile", default=None, metavar="FILE",
                        help="run valuestory under cProfile; each round's stats to FILE.ROUND")
    parser.add_argument("--echo-bot", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo_bot:
        echo_bot()
        return
    n = 5 if args.quick else args.members
    rounds = [one_round(args, n, i) for i in range(1 if args.quick else args.rounds)]
    # The machine's speed wanders from one minute to the next: each round measures the bots
    # back to back, and the figures are the rounds' medians (each ratio within its own round).
    report: dict[str, Any] = {
        "members": n, "updates_per_member": len(STORY), "database": rounds[0]["database"],
        "rounds": rounds,
        "echo": {k: statistics.median(r["echo"][k] for r in rounds) for k in rounds[0]["echo"]},
        "lost": sum(r["lost"] for r in rounds), "duplicated": sum(r["duplicated"] for r in rounds),
    }
    report[VALUESTORY] = {
        k: (sum if k in COUNTED else statistics.median)(r[VALUESTORY][k] for r in rounds)
        for k in rounds[0][VALUESTORY]}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    e = report["echo"]
    print(f"{n} members x {len(STORY)} updates each, closed loop, database {report['database']}, "
          f"median of {len(rounds)} round(s)")
    print(f"{'':12}{'updates/s':>10}{'p50 ms':>9}{'p95 ms':>9}   answered{'p50 ms':>8}{'p95 ms':>9}"
          f"{'CPU ms/update':>15}")
    for name, f in (("echo", e), (VALUESTORY, report[VALUESTORY])):
        print(f"{name:12}{f['updates_per_s']:>10.1f}{f['p50_ms']:>9.1f}{f['p95_ms']:>9.1f}"
              f"{'':11}{f['answered_p50_ms']:>8.1f}{f['answered_p95_ms']:>9.1f}"
              f"{f['cpu_ms_per_update']:>15.2f}")
    v = report[VALUESTORY]
    print(f"throughput/echo {v['throughput_ratio']:.2f} (goal >= 0.3; by round "
          + ", ".join(f"{r[VALUESTORY]['throughput_ratio']:.2f}" for r in rounds)
          + f"), p50 first reply/echo {v['p50_ratio']:.2f} (goal <= 3 on SQLite, 20 members),"
          f" answered {v['answered_p50_ratio']:.2f}, CPU per update {v['cpu_ratio']:.2f}x (by "
          "round " + ", ".join(f"{r[VALUESTORY]['cpu_ratio']:.2f}" for r in rounds) + ")")
    print(f"memory grew {v['rss_growth_mb']:+.1f} MB during the run (by round "
          + ", ".join(f"{r[VALUESTORY]['rss_growth_mb']:+.1f}" for r in rounds)
          + f"; {v['rss_ready_mb']:.0f} MB when ready, {v['rss_after_mb']:.0f} MB after)")
    print(f"narratives stored {v['narratives']} of {v['narratives_expected']}, "
          f"prompts completed {v['prompts_completed']} of {n * len(rounds)}, inbox left "
          f"{v['inbox_left']}; lost {v['lost']}, duplicated {v['duplicated']}")
    print(f"echo: lost {report['lost'] - v['lost']}, "
          f"duplicated {report['duplicated'] - v['duplicated']}")

if __name__ == "__main__":
    main()
