"""Real bot processes (`valuestory run --webhook`) for tests about running as a service.

Each process talks to the Bot API double over HTTP and takes updates at its own port on
127.0.0.1, exactly as it would behind a reverse proxy. `Remote` stands in for the harness, so
`tests.harness.Person` can act as a member whose updates go to one process or another.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import httpx
from sqlalchemy import select

from flows import texts
from storage.db import Database
from storage.models import Delivery, Prompt
from tests import seed
from tests.botapi import TOKEN, BotApiDouble, BotApiServer
from tests.harness import Harness, Person
from tests.waiting import PATIENCE, until
from valuestory.process.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = Settings(telegram_bot_token=TOKEN, _env_file=None).webhook_secret_token()

_update_ids = itertools.count(5_000_000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BotProcess:
    """One `valuestory run` subprocess: by webhook, or long polling the double (`webhook=False`).

    Its web server (webhook, /healthz, /metrics) listens on 127.0.0.1 at a free port.
    """

    def __init__(self, workdir: Path, database_url: str, api: BotApiServer, name: str,
                 port: int | None = None, extra_env: dict[str, str] | None = None,
                 webhook: bool = True) -> None:
        self.webhook = webhook
        self.workdir = workdir
        self.port = port or free_port()
        self.log_path = workdir / f"{name}.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK_", "LOG_"))},
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATABASE_URL": database_url,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "WEBHOOK_URL": f"http://127.0.0.1:{self.port}",
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(self.port),
            "HEALTH_PORT": str(self.port),
            "PYTHONPATH": str(ROOT),
            **(extra_env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def spawn(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "valuestory.cli", "run",
                 *(["--webhook"] if self.webhook else [])],
                cwd=self.workdir, env=self.env, stdout=log, stderr=log,
            )

    async def start(self) -> BotProcess:
        """Start the process and wait until it answers on its port."""
        self.spawn()
        assert self.proc is not None
        proc = self.proc
        async with httpx.AsyncClient() as client:
            async def answering_or_ended() -> bool:
                if proc.poll() is not None:
                    return True
                try:
                    await client.get(self.url + "/metrics")
                except httpx.TransportError:
                    return False
                return True

            try:
                await until(answering_or_ended, "the bot to start", every=0.1)
            except AssertionError:
                raise AssertionError(f"bot did not start:\n{self.logs()}") from None
        if proc.poll() is not None:
            raise AssertionError(f"bot exited on start:\n{self.logs()}")
        return self

    async def terminate(self) -> int:
        """SIGTERM, as a container platform sends; returns the exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(self.proc.wait, 60)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Remote:
    """Telegram's webhook side: posts updates to bot processes, alternating between them."""

    def __init__(self, double: BotApiDouble, processes: list[BotProcess]) -> None:
        self.double = double
        self.processes = processes
        self.client = httpx.AsyncClient(timeout=60)
        self.turns: dict[int, int] = {}
        self.sent_to: list[int] = []
        # Chats whose every update reaches all processes at once, as when Telegram redelivers
        # an update to another replica while the first is still handling it.
        self.everywhere: set[int] = set()

    async def post(self, process: BotProcess, data: dict[str, Any],
                   secret: str | None = SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.client.post(process.url + "/telegram", json=data, headers=headers)

    async def feed(self, data: dict[str, Any]) -> None:
        """Deliver an update; a person's updates take turns between the processes."""
        data.setdefault("update_id", next(_update_ids))
        chat = _chat_of(data)
        if chat in self.everywhere:
            responses = await asyncio.gather(*(self.post(p, data) for p in self.processes))
            assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
            return
        turn = self.turns.get(chat, chat)
        self.turns[chat] = turn + 1
        index = turn % len(self.processes)
        self.sent_to.append(index)
        response = await self.post(self.processes[index], data)
        assert response.status_code == 200, response.text

    def person(self, user_id: int, first_name: str = "Alex", username: str | None = None) -> Person:
        return Person(self, user_id, first_name, username)  # type: ignore[arg-type]

    async def close(self) -> None:
        await self.client.aclose()


def _chat_of(data: dict[str, Any]) -> int:
    for kind in ("message", "edited_message"):
        if kind in data:
            return int(data[kind]["chat"]["id"])
    return int(data["callback_query"]["from"]["id"])


class Chat:
    """A member's private chat with a polling bot: updates wait at the double until fetched."""

    def __init__(self, double: BotApiDouble, user_id: int) -> None:
        self.double = double
        self.user_id = user_id
        self.user = {"id": user_id, "is_bot": False, "first_name": "Robin"}
        self.chat = {"id": user_id, "type": "private", "first_name": "Robin"}
        self._message_ids = itertools.count(1)

    def seen(self) -> list[str]:
        return self.double.texts(self.user_id)

    def push_message(self, **content: Any) -> None:
        """Anything a member can send: a voice note, a file..."""
        self.double.push_update({"message": {
            "message_id": next(self._message_ids), "date": 0, "chat": self.chat,
            "from": self.user, **content}})

    def push_text(self, text: str) -> None:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        self.double.push_update({"message": {
            "message_id": next(self._message_ids), "date": 0, "chat": self.chat,
            "from": self.user, **content}})

    def push_tap(self, label: str) -> None:
        for message in reversed(self.double.chat(self.user_id)):
            for row in message.keyboard:
                for button in row:
                    if button["text"] == label:
                        self.double.push_update({"callback_query": {
                            "id": f"{self.user_id}-{len(self.double.calls)}", "from": self.user,
                            "chat_instance": "ci", "message": message.to_api(),
                            "data": button["callback_data"]}})
                        return
        raise AssertionError(f"no {label!r} button in the chat")

    async def expect(self, fragment: str, count: int = 1, within: float = PATIENCE) -> None:
        await until(lambda: sum(fragment in t for t in self.seen()) >= count,
                    f"the bot to say {fragment!r}", within)


@contextmanager
def bot_process(server: BotApiServer, database_url: str, log: Path,
                more: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """`valuestory run`, long polling the double, looking for due work every second; killed
    at the end if still running. Its output is appended to `log`; `more` settings (SMTP_URL...)
    are added to its environment."""
    environment = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": database_url,
                   "TELEGRAM_API_BASE_URL": server.base_url, "SCHEDULER_INTERVAL_SECONDS": "1",
                   "LOG_LEVEL": "INFO", "WEBHOOK_LISTEN": "127.0.0.1",
                   "HEALTH_PORT": str(free_port()), "PYTHONPATH": str(ROOT), **(more or {})}
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "valuestory.cli", "run"],
                                   env=environment, stdout=out, stderr=out, cwd=log.parent)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)


class Hold(Protocol):
    """A hold at the double or the mail server: `reached` once the send to kill at waits."""

    reached: threading.Event


async def killed_when_held(server: BotApiServer, database_url: str, log: Path, hold: Hold,
                           what: str, within: float, more: dict[str, str] | None = None) -> None:
    """Run a `bot_process` until `hold` is reached, then kill it (SIGKILL) as a crash would:
    what the hold keeps waiting stays unanswered until the test releases it."""
    with bot_process(server, database_url, log, more) as first:
        async def reached() -> bool:
            assert first.poll() is None, log.read_text(errors="replace")
            return hold.reached.is_set()

        await until(reached, what, within)
        first.send_signal(signal.SIGKILL)
        first.wait(30)


async def restarted_until(server: BotApiServer, database_url: str, log: Path,
                          done: Callable[[], Awaitable[bool]], what: str, within: float,
                          more: dict[str, str] | None = None) -> None:
    """Run a `bot_process` again until `done` (the work the killed one left is over)."""
    with bot_process(server, database_url, log, more):
        await until(done, what, within)


class HeldAt:
    """A hold for the double: the `at`-th send saying `marker`, and every send after it, wait
    (written by the bot, not yet answered by Telegram) until released."""

    def __init__(self, at: int, marker: str, wait: float) -> None:
        self.at, self.marker, self.wait = at, marker, wait
        self.seen = 0
        self.held = 0  # requests written by the bot and held here, unanswered
        self.chats: list[int] = []  # the chats they were sent to
        self.lock = threading.Lock()
        self.reached = threading.Event()
        self.released = threading.Event()

    def __call__(self, method: str, params: dict[str, Any]) -> None:
        if not method.startswith("send"):
            return
        with self.lock:
            if self.marker in str(params.get("text", params.get("caption", ""))):
                self.seen += 1
            if self.seen >= self.at:
                self.reached.set()
            held = self.reached.is_set()
            self.held += held
            if held and "chat_id" in params:
                self.chats.append(int(params["chat_id"]))
        if held:
            self.released.wait(self.wait)


# --- an outage while a fan-out runs: what the outage tests share ---------------------------

# The minute; a shorter one may be asked for when trying the tests by hand.
OUTAGE = float(os.environ.get("VALUESTORY_TEST_OUTAGE_SECONDS", "60"))
FAN_OUT = 30  # members due a prompt as the bot starts
STORY = "Did you take part in Evening Session?"
IN_CASE = texts.IN_CASE.format(event="Evening Session", minutes="5 minutes")


def polling_bot(workdir: Path, database_url: str, api: BotApiServer,
                **env: str) -> BotProcess:
    """A bot long polling the double, looking for due work every second, logging at INFO."""
    return BotProcess(workdir, database_url, api, "bot", webhook=False,
                      extra_env={"SCHEDULER_INTERVAL_SECONDS": "1", "LOG_LEVEL": "INFO", **env})


async def fan_out_finished(db: Database, count: int = FAN_OUT) -> bool:
    """The fan-out to `count` members is over: none waits, none is claimed or on the wire, each
    opening is claimed once, and every opening in doubt was followed by its "in case"."""
    async with db.session() as s:
        rows = (await s.execute(select(Delivery.purpose, Delivery.status))).all()
        waiting = (await s.scalars(select(Prompt.id).where(Prompt.status == "scheduled"))).all()
    doubts = sum(1 for p, st in rows if p == "prompt" and st == "uncertain")
    again = sum(1 for p, st in rows if p == "again" and st == "sent")
    busy = any(st in ("claimed", "sending") for _, st in rows)
    return not waiting and not busy and doubts == again and sum(
        1 for p, _ in rows if p == "prompt") == count


async def count_deliveries(db: Database, status: str) -> int:
    """How many sends are `status` ("sending": marked on the wire, with no outcome recorded)."""
    async with db.session() as s:
        return len((await s.scalars(select(Delivery.id).where(Delivery.status == status))).all())


def asked_once(double: BotApiDouble, people: list[Person]) -> None:
    """Every member of the fan-out was reached, none asked twice (a prompt in doubt followed by
    its "in case" counts as reached once)."""
    asked = [sum(STORY in t for t in double.texts(p.user_id)) for p in people]
    again = [sum(IN_CASE in t for t in double.texts(p.user_id)) for p in people]
    assert max(asked) == 1 and max(again) <= 1, f"someone was asked twice: {asked}, {again}"
    assert all(a + b >= 1 for a, b in zip(asked, again, strict=True)), "someone was never asked"


async def chats_with_a_prompt_open(harness: Harness, first_user_id: int,
                                   count: int) -> list[Chat]:
    """`count` members of one community, each with a prompt about its event open and not yet
    started, as chats with a polling bot."""
    frailty = await seed.community(harness.db, "Frailty Network")
    winter = await seed.event(harness.db, frailty)
    people = [harness.person(first_user_id + i) for i in range(count)]
    for person in people:
        await seed.join(person, frailty)
        await seed.open_prompt(harness.db, person, winter)
    return [Chat(harness.double, p.user_id) for p in people]


async def at_question_2(chats: list[Chat]) -> None:
    """Each member starts their story and says they were there: the bot has asked Question 2."""
    for chat in chats:
        chat.push_text("/continue")
        await chat.expect("Question 1")
        chat.push_tap(seed.THERE)
        await chat.expect("Question 2")


@asynccontextmanager
async def running(bot: BotProcess) -> AsyncIterator[BotProcess]:
    """The bot started, and killed at the end if it still runs."""
    await bot.start()
    try:
        yield bot
    finally:
        bot.kill()


def read_log(bot: BotProcess, about: str, seconds: float, words: list[str]) -> list[str]:
    """The log of a run with an outage of `seconds`, read as an operator would: no traceback,
    none of the members' `words`, and the lines `about` the outage at most the first word, one
    a minute while it lasts and the word it is back. Returns those lines."""
    log = bot.logs()
    print(log)
    assert "Traceback" not in log
    assert not any(word in log for word in words), "a member's words in the log"
    lines = [line for line in log.splitlines() if about in line]
    assert len(lines) <= 2 + seconds // 60 + 1, lines
    return lines


def _seen_twice_or_out_of_order(said: list[str], first: str, then: str) -> bool:
    return not (sum(first in t for t in said) == 1 and sum(then in t for t in said) == 1
                and said.index(next(t for t in said if first in t))
                < said.index(next(t for t in said if then in t)))


def replied_once_in_order(chats: list[Chat], first: str, then: str) -> None:
    """Each chat got `first` once, then `then` once."""
    wrong = [c.user_id for c in chats if _seen_twice_or_out_of_order(c.seen(), first, then)]
    assert wrong == [], f"replies missing, twice or out of order in chats {wrong}"
