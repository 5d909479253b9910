"""`valuestory try`: the member conversation in a terminal, on the same engine and storage.

Everything typed goes through the same use cases as Telegram, so each answer is committed the
moment it is sent: however the try-out ends (the story's end, /quit, Ctrl+D or Ctrl+C) nothing is
lost, and it always ends by showing what was kept. A question's options are numbered; the controls
keep one letter each on every screen (`[n] Next`, `[s] Skip`, ...), so a key never changes meaning.
"""

from __future__ import annotations

import asyncio
import html
import re
import shutil
import sys
import textwrap
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TextIO

from flows import engine, i18n, texts
from storage.db import Database
from valuestory.usecases import conversation, parsing, pausing, rights, tryout
from valuestory.usecases.out import Buttons, Out, plain

TRY_USER_ID = 1
HERE = conversation.IN_TERMINAL  # where the narratives told here say they were told
MAX_WIDTH = 100  # wider lines are hard to read, however wide the terminal
PICKS = re.compile(r"^[0-9]+(?:[\s,]+[0-9]+)*$")  # ASCII digits: "²" or "٣" are words

# Reads one line; raises EOFError at the end of input and KeyboardInterrupt on Ctrl+C.
Reader = Callable[[str], Awaitable[str]]

# The controls and the key that presses each, the same on every screen.
CONTROL_KEYS: dict[type, str] = {
    engine.Next: "n", engine.Done: "d", engine.Skip: "s", engine.Back: "b", engine.Later: "l",
    engine.Continue: "c", engine.Stop: "x",
}
CONTROL_WORDS: dict[str, tuple[str, ...]] = {
    "n": ("next",), "d": ("done",), "s": ("skip",), "b": ("back",), "l": ("later",),
    "c": ("continue", "carry on"), "x": ("stop",),
}


def line_reader(stdin: TextIO | None = None) -> Reader:
    """A line editor with history on a terminal; plain lines from a pipe or a file."""
    source = stdin or sys.stdin
    if source.isatty() and sys.stdout.isatty():
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory

        session: PromptSession[str] = PromptSession(history=InMemoryHistory())

        async def edited(prompt: str) -> str:
            return await session.prompt_async(prompt)

        return edited

    async def lines(prompt: str) -> str:
        # Read in a thread of its own, so whatever else runs on the loop (the demo's dashboard)
        # is served while the person thinks; a daemon, so an unfinished read never holds up exit.
        loop = asyncio.get_running_loop()
        arrived: asyncio.Future[str] = loop.create_future()

        def arrive(line: str) -> None:
            if not arrived.done():  # not if the wait was given up (Ctrl+C)
                arrived.set_result(line)

        def read() -> None:
            loop.call_soon_threadsafe(arrive, source.readline())

        threading.Thread(target=read, name="terminal-reader", daemon=True).start()
        line = await arrived
        if not line:
            raise EOFError
        return line

    return lines


@dataclass(frozen=True)
class Key:
    """One button as the terminal shows it: `[key] label`, pressed by typing the key or a word."""

    key: str
    label: str
    token: str
    words: tuple[str, ...] = ()


def _control(token: str) -> str | None:
    """The letter of a conversation control (Next, Skip...), or None for an option."""
    parts = token.split("|", 2)
    if parts[0] != "p" or len(parts) != 3:
        return None
    action = engine.decode_action(parts[2])
    return CONTROL_KEYS.get(type(action))


class Terminal:
    """Shows the bot's messages and turns what the person types into the same actions."""

    def __init__(self, db: Database, read: Reader, write: Callable[[str], None],
                 question_set: str = "default", language: str = "en", *,
                 user_id: int = TRY_USER_ID, place: tryout.Place | None = None,
                 kept: bool = False,
                 extra: Mapping[str, Callable[[], Awaitable[str]]] | None = None) -> None:
        self.db = db
        self.language = language
        self.say = texts.In(language)
        self.read = read
        width = min(shutil.get_terminal_size((100, 24)).columns, MAX_WIDTH) - 1
        self.write = lambda text: write(wrap(text, width))
        self.question_set = question_set
        self.user_id = user_id
        self.place = place
        self.kept = kept  # the database outlives the try-out (--database), or is thrown away
        # Commands of whoever composed this terminal (the demo's /dashboard), each saying a line.
        self.extra = dict(extra or {})
        self.options: list[Key] = []
        self.controls: list[Key] = []
        self.consent: list[Out] = []

    def _set_buttons(self, rows: Buttons) -> None:
        self.options, self.controls = [], []
        for label, token in (b for row in rows for b in row):
            letter = _control(token)
            if letter is None:
                self.options.append(Key(str(len(self.options) + 1), label, token,
                                        (label.removeprefix("✓ ").lower(),)))
            else:
                self.controls.append(Key(letter, label, token,
                                         (label.lower(), *CONTROL_WORDS[letter])))

    def show(self, outs: list[Out]) -> None:
        for out in outs:
            if out.text:
                self.write("\n" + plain(out.text))
            if out.buttons:
                self._set_buttons(out.buttons)
                for k in self.options:
                    self.write(f"   [{k.key}] {k.label}")
                if self.controls:
                    self.write("   " + "   ".join(f"[{k.key}] {k.label}" for k in self.controls))

    async def run(self) -> None:
        # The texts are said in the terminal's own words where it has some (no "tap").
        wording = i18n.FRONT_END.set("terminal")
        try:
            await self._run()
        finally:
            i18n.FRONT_END.reset(wording)

    async def _run(self) -> None:
        if self.place is None:
            self.place = await tryout.place(self.db, self.question_set, self.language)
        self.write(self.say.TRY_WELCOME)
        self.write(self.say.TRY_KEYS)
        try:
            await self._converse(self.place.invite_code, self.place.event_id)
        except (KeyboardInterrupt, asyncio.CancelledError) as exc:
            # Ctrl+C: at the prompt it arrives as KeyboardInterrupt; while the database is busy
            # asyncio turns it into cancelling this task. Either way what was sent is committed
            # (an interrupted transaction rolls back whole), so end here and say what was kept.
            task = asyncio.current_task()
            if isinstance(exc, asyncio.CancelledError) and task is not None:
                task.uncancel()
            self.write("\n" + (self.say.TRY_INTERRUPTED if self.kept
                                else self.say.TRY_INTERRUPTED_THROWAWAY))
        await self.show_stored()

    async def _converse(self, code: str, event_id: int) -> None:
        # A member already (a former try-out on this database): carry on where they left off.
        opened = await tryout.ask(self.db, self.user_id, event_id)
        if opened:
            self.show(await conversation.act(
                self.db, self.user_id, self.user_id, engine.Begin(), channel=HERE))
        else:
            self.consent = await conversation.start(self.db, self.user_id, self.user_id, code,
                                                    telegram_language=self.language)
            self.show(self.consent)
        telling = opened and await tryout.asking(self.db, self.user_id)
        if opened and not telling:
            self.write("\n" + self.say.TRY_TOLD_BEFORE)
        # The try-out goes on after the story ends (/mydata, /withdraw...) until /quit or Ctrl+C.
        while True:
            if not opened and await tryout.ask(self.db, self.user_id, event_id):
                opened = True
                self.show(await conversation.act(
                    self.db, self.user_id, self.user_id, engine.Begin(), channel=HERE))
                telling = await tryout.asking(self.db, self.user_id)
            try:
                line = (await self.read("> ")).strip()
            except EOFError:
                return
            if line in ("/quit", "/exit", "quit"):
                return
            self.show(await self._handle(line, opened))
            if opened:
                was_telling, telling = telling, await tryout.asking(self.db, self.user_id)
                if was_telling and not telling:
                    self.write("\n" + self.say.TRY_STORY_OVER)

    async def _handle(self, line: str, joined: bool) -> list[Out]:
        """What one typed line means: a button, a command, or words for the conversation."""
        pressed = self._pressed(line)
        if pressed is not None:
            return await pressed
        if line.startswith("/"):
            name = line[1:].split()[0] if len(line) > 1 else ""
            if name == "start" and not joined:
                return self.consent
            said = await self._command(name)
            if name in engine.COMMANDS or name == "start":
                return said
            return said + await self._question_again(said)
        if not joined:
            return self.consent  # nothing is kept before they agree: ask again
        if not line:
            return await conversation.act(self.db, self.user_id, self.user_id, engine.Where(),
                                          channel=HERE)
        return await conversation.act(self.db, self.user_id, self.user_id, engine.Text(line),
                                      channel=HERE)

    def _pressed(self, line: str) -> Awaitable[list[Out]] | None:
        """The buttons a line presses, if it names any; None when it is words or a command."""
        typed = line.lower()
        if self.options and PICKS.match(typed):
            picks = [parsing.parse_id(n) for n in re.split(r"[\s,]+", typed)]
            keys = {k.key: k for k in self.options}
            missing = [str(n) for n in picks if str(n) not in keys]
            if missing:
                return _say(self.say.TRY_NO_SUCH.format(key=missing[0]))
            if len(picks) > 1 and not any(k.key == "d" for k in self.controls):
                return _say(self.say.TRY_ONE_PICK)
            return self._press_all([keys[str(n)].token for n in picks])
        for k in (*self.controls, *self.options):
            if typed == k.key or typed in k.words:
                return self._press_all([k.token])
        if typed in CONTROL_WORDS:
            return _say(self.say.TRY_NO_SUCH.format(key=typed))
        return None

    async def _press_all(self, tokens: list[str]) -> list[Out]:
        outs: list[Out] = []
        for token in tokens:
            # Several picks each redraw the options; show them once, after the last.
            outs = [o for o in outs if not o.edit] + await self._press(token)
        return outs

    async def _press(self, token: str) -> list[Out]:
        if token.startswith("z|"):
            said = await pausing.press(self.db, self.user_id, token)
            return said + await self._question_again(said)
        if token.startswith("wd|"):
            said = await rights.withdraw_press(self.db, self.user_id, token)
            return said + await self._question_again(said)
        return await conversation.press(self.db, self.user_id, self.user_id, token, channel=HERE)

    async def _question_again(self, said: list[Out]) -> list[Out]:
        """The open question, shown again after an aside (/mydata, /pause, a withdrawal not
        made), so its options are on the screen to answer; not while the aside asks something."""
        if any(out.buttons for out in said) or not await tryout.asking(self.db, self.user_id):
            return []
        return await conversation.act(self.db, self.user_id, self.user_id, engine.Where(),
                                          channel=HERE)

    async def _command(self, name: str) -> list[Out]:
        if name in self.extra:
            return [Out(html.escape(await self.extra[name]()))]
        if name == "help":
            return [*await conversation.help_text(self.db, self.user_id), Out(self.say.TRY_KEYS)]
        if name in engine.COMMANDS:
            return await conversation.act(self.db, self.user_id, self.user_id,
                                          engine.COMMANDS[name], channel=HERE)
        if name == "start":
            return await conversation.start(self.db, self.user_id, self.user_id, None)
        if name == "privacy":
            return [Out(self.say.PRIVACY)]
        if name == "pause":
            return await pausing.pause(self.db, self.user_id)
        if name == "resume":
            return await pausing.resume(self.db, self.user_id)
        if name == "mydata":
            document = await rights.my_data(self.db, self.user_id)
            if document is None:
                return [Out(self.say.MYDATA_NONE)]
            return [Out(html.escape(self.say.TRY_MYDATA.format(document=document.rstrip())))]
        if name == "withdraw":
            return await rights.withdraw_start(self.db, self.user_id)
        return [Out(self.say.UNKNOWN_COMMAND)]

    async def show_stored(self) -> None:
        stored = await conversation.stored_story(self.db, self.user_id)
        self.write(f"\n=== {self.say.TRY_STORED} ===")
        if not stored:
            self.write(self.say.TRY_STORED_NOTHING)
        # Plans (what the member might do) stand apart from applied value, as in the matrix.
        for cycle in ("immediate", "potential", "intended", "applied", "realised", "reframing"):
            name = self.say.MATRIX_PLANS if cycle == "intended" else self.say.CYCLE_NAMES[cycle]
            for question, answer in stored.get(cycle, []):
                indented = "\n".join(f"  {line}" for line in answer.splitlines())
                self.write(f"\n[{name}] {question}\n{indented}")
        await self.show_matrix()

    async def show_matrix(self) -> None:
        """End with the matrix of the community the conversation filled, as its conveners see it."""
        if self.place is None:
            return
        shown = await tryout.matrix_text(self.db, self.place.community_id)
        if shown is not None:
            self.write(f"\n=== {self.say.TRY_MATRIX} ===")
            self.write(shown)


async def _say(text: str) -> list[Out]:
    return [Out(text)]


def wrap(text: str, width: int) -> str:
    """`text` for a terminal: lines broken between words, never inside one, each continuation
    indented as its line was; without the isolate marks that keep a value's direction in a chat
    (a terminal draws them as visible marks)."""
    lines = []
    for line in text.replace(i18n.FSI, "").replace(i18n.PDI, "").split("\n"):
        if len(line) <= width:
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        hanging = indent + "  " if line.lstrip().startswith("• ") else indent
        lines.append(textwrap.fill(line.strip(), width, initial_indent=indent,
                                   subsequent_indent=hanging, break_long_words=False,
                                   break_on_hyphens=False))
    return "\n".join(lines)
