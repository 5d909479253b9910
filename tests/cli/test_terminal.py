"""`valuestory try` through its real loop: the `Terminal` with scripted lines, the command with
piped input, and the command under a pseudo-terminal where a person presses keys and Ctrl+C."""

from __future__ import annotations

import asyncio
import fcntl
import io
import os
import pty
import re
import select
import sqlite3
import subprocess
import sys
import termios
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select as sql_select

from flows import texts
from storage.db import Database
from storage.models import Choice, Narrative
from tests import matrix_words, seed
from tests.cli.test_cli import clean_env
from valuestory.cli import main
from valuestory.terminal.tryout import Terminal, line_reader
from valuestory.usecases.out import plain

AGREE, ATTENDED = "1", "1"
# The question the participant information ends with, before a member agrees.
ASKED_TO_AGREE = texts.PARTICIPANT_INFO.parts[-1]
# What a stranger is told, never someone who typed something else at consent.
NOT_MET = texts.UNKNOWN_USER.split(". ")[0]
# The terminal's own words: it has no buttons to tap.
TERMINAL = texts.WORDING["terminal"]
GOT_IT, ADDED = TERMINAL["ACK_FIRST"].split(".")[0], TERMINAL["ACK_MORE"].split(".")[0]
# The questions a try-out asks, about the event it makes up; the second up to its question mark,
# as it may wrap after it.
ATTENDANCE = seed.asked("attended", texts.TRY_EVENT_TITLE)
MOMENT = seed.asked("immediate.moment", texts.TRY_EVENT_TITLE).partition("?")[0]
INSIGHT = seed.asked("potential.human")


def question(index: int) -> str:
    """"Question 3", as a question is numbered before the member's choices settle the total."""
    return plain(texts.PROGRESS_SO_FAR.format(index=index))


def keys(*controls: str) -> str:
    """The controls' line, "[s] Skip   [b] Back", for the controls named by their letters."""
    names = {"n": texts.BTN_NEXT, "s": texts.BTN_SKIP, "b": texts.BTN_BACK, "l": texts.BTN_LATER,
             "x": texts.BTN_STOP}
    return "   ".join(f"[{key}] {names[key]}" for key in controls)


class Script:
    """A person at the keyboard typing these lines, then Ctrl+D (or Ctrl+C if `interrupt`)."""

    def __init__(self, lines: Iterable[str], interrupt: bool = False) -> None:
        self.lines = iter(lines)
        self.interrupt = interrupt
        self.out: list[str] = []

    async def read(self, prompt: str) -> str:
        line = next(self.lines, None)
        if line is None:
            raise KeyboardInterrupt if self.interrupt else EOFError
        self.out.append(f"{prompt}{line}")
        return line

    @property
    def text(self) -> str:
        return "\n".join(self.out)


async def drive(db: Database, *lines: str, interrupt: bool = False, kept: bool = True) -> str:
    """The try-out on `db`, kept after it (as `--database` keeps it) unless `kept` is False."""
    script = Script(lines, interrupt)
    await Terminal(db, script.read, script.out.append, kept=kept).run()
    return script.text


async def narratives(db: Database) -> list[tuple[str, str]]:
    async with db.session() as s:
        return [(n.question_id, n.text) for n in (await s.scalars(sql_select(Narrative))).all()]


def after(text: str, marker: str) -> str:
    return text.split(marker)[-1]


async def test_controls_keep_their_letter_on_every_screen_and_numbers_are_only_options(
    db: Database,
) -> None:
    out = await drive(db, AGREE, ATTENDED, "1", "n")
    assert keys("s", "b", "l", "x") in out
    assert keys("n", "b", "l", "x") in out
    assert f"[1] {seed.THERE}" in out
    assert f"[1] {texts.BTN_SKIP}" not in out and f"[1] {texts.BTN_NEXT}" not in out
    # "1" on a text question is an answer, not a button; "n" is always Next.
    assert await narratives(db) == [("immediate.moment", "1")]
    assert question(3) in after(out, "> n")


async def test_controls_are_pressed_by_their_words_too(db: Database) -> None:
    out = await drive(db, AGREE, "yes, i was there", texts.BTN_SKIP.lower(), "An answer",
                      texts.BTN_NEXT)
    assert question(4) in after(out, f"> {texts.BTN_NEXT}")
    assert await narratives(db) == [("immediate.experience", "An answer")]


async def test_several_picks_at_once_on_a_multi_choice_screen(db: Database) -> None:
    out = await drive(db, AGREE, ATTENDED, "s", "s", "1,3", "d")
    assert texts.PLEASE_TAP not in out
    picked = after(out, "> 1,3").split("> d")[0]
    assert picked.count(f"[1] ✓ {seed.INSIGHT}") == 1
    assert "[3] ✓ A document, tool or resource" in picked
    assert INSIGHT in after(out, "> d") and "5 of 7" in out
    async with db.session() as s:
        chosen = {c.question_id: c.values for c in (await s.scalars(sql_select(Choice))).all()}
    assert chosen["potential.capitals"] == ["human", "tangible"]


async def test_picks_separated_by_spaces_toggle_each_option(db: Database) -> None:
    await drive(db, AGREE, ATTENDED, "s", "s", "2 5 2")
    async with db.session() as s:
        chosen = {c.question_id: c.values for c in (await s.scalars(sql_select(Choice))).all()}
    assert chosen["potential.capitals"] == ["learning"]


async def test_several_picks_on_a_one_answer_screen_or_a_key_not_shown_are_refused_kindly(
    db: Database,
) -> None:
    out = await drive(db, AGREE, "1,2", "7", "n")
    assert texts.TRY_ONE_PICK in after(out, "> 1,2")
    assert texts.TRY_NO_SUCH.format(key="7").split(".")[0] in after(out, "> 7")
    assert texts.TRY_NO_SUCH.format(key="n").split(".")[0] in after(out, "> n")
    async with db.session() as s:
        assert (await s.scalars(sql_select(Choice))).all() == []


async def test_an_empty_line_at_consent_asks_the_consent_question_again(db: Database) -> None:
    out = await drive(db, "", "  ", "hello", AGREE)
    assert NOT_MET not in out
    assert out.count(ASKED_TO_AGREE) == 4
    assert "Welcome to Try-out community" in out


async def test_member_commands_work_in_the_terminal(db: Database) -> None:
    out = await drive(db, AGREE, ATTENDED, "Meeting the midwives", "/privacy", "/pause",
                      "/resume", "/mydata", "/help")
    assert texts.UNKNOWN_COMMAND not in out
    assert plain(str(texts.PRIVACY).partition("\n")[0]) in after(out, "> /privacy")
    assert texts.PAUSED_ONE.partition(" ")[0] in after(out, "> /pause")
    assert texts.RESUMED_ONE.partition(" {community}")[0].rpartition(" after")[0] in after(
        out, "> /resume")
    mydata = after(out, "> /mydata")
    assert texts.MYDATA_TITLE in mydata and "Meeting the midwives" in mydata
    assert keys("n") in after(out, "> /help")


async def test_withdraw_in_the_terminal_erases_after_confirming(db: Database) -> None:
    out = await drive(db, AGREE, ATTENDED, "Meeting the midwives", "/withdraw", "1")
    assert "Leave Try-out community?" in after(out, "> /withdraw")
    assert f"[1] {texts.BTN_WITHDRAW_YES}" in out
    assert texts.WITHDRAWN_ALL.partition(" and ")[0].partition(". ")[2] in after(out, "> 1")
    assert await narratives(db) == []


async def test_after_later_a_typed_message_waits_for_keep(db: Database) -> None:
    out = await drive(db, AGREE, ATTENDED, "l", "hello?", "/mydata", "1")
    assert f"[1] {texts.BTN_KEEP}" in after(out, "> hello?") and f"[2] {texts.BTN_DISCARD}" in out
    assert "Your answer" not in after(out, "> /mydata").split("> 1")[0]  # not stored yet
    assert GOT_IT in after(out, "> 1")
    assert await narratives(db) == [("immediate.moment", "hello?")]


async def test_stop_before_answering_says_nothing_was_saved(db: Database) -> None:
    out = await drive(db, AGREE, ATTENDED, "x")
    assert texts.STOPPED_NOTHING in " ".join(after(out, "> x").split())


async def test_ctrl_c_at_the_prompt_ends_with_what_was_kept(db: Database) -> None:
    out = await drive(db, AGREE, ATTENDED, "Meeting the midwives", interrupt=True)
    assert texts.TRY_INTERRUPTED in out
    assert "Meeting the midwives" in after(out, texts.TRY_STORED)
    assert await narratives(db) == [("immediate.moment", "Meeting the midwives")]


async def test_ctrl_c_while_the_database_is_busy_also_ends_with_what_was_kept(
    db: Database,
) -> None:
    # There asyncio delivers Ctrl+C by cancelling the running task, at whatever it awaits.
    script = Script([AGREE, ATTENDED, "Meeting the midwives"])
    reads = 0

    async def then_cancelled(prompt: str) -> str:
        nonlocal reads
        reads += 1
        if reads > 3:
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
            await asyncio.sleep(0)  # where the cancellation lands
        return await script.read(prompt)

    await Terminal(db, then_cancelled, script.out.append, kept=True).run()
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0, "the try-out finished, not cancelled"
    assert texts.TRY_INTERRUPTED in script.text
    assert "Meeting the midwives" in after(script.text, texts.TRY_STORED)


async def test_a_long_pasted_line_reaches_the_conversation_whole() -> None:
    long_line = "word " * 900  # 4,500 characters: past a terminal's 4095-character line limit
    read = line_reader(io.StringIO(long_line + "\nnext\n"))
    assert (await read("> ")).rstrip("\n") == long_line
    assert await read("> ") == "next\n"


def test_try_with_piped_input_reads_lines_and_shows_what_was_stored() -> None:
    result = CliRunner().invoke(main, ["try"], input="\n1\n1\nThe case review\nn\n")
    assert result.exit_code == 0, result.output
    assert NOT_MET not in result.output
    stored = after(result.output, texts.TRY_STORED)
    assert "The case review" in stored


# --- Under a pseudo-terminal: a person at a real keyboard ------------------------------------

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")


class Keyboard:
    """A `valuestory try` process on a pseudo-terminal, read and typed into like a person would."""

    def __init__(self, tmp_path: Path, database: Path | None,
                 command: tuple[str, ...] = ("try",), **env_extra: str) -> None:
        self.master, slave = pty.openpty()
        env = clean_env(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", COLUMNS="100", LINES="40",
                        **env_extra)
        where = ("--database", f"sqlite+aiosqlite:///{database}") if database else ()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "valuestory.cli", *command, *where],
            stdin=slave, stdout=slave, stderr=slave, cwd=tmp_path, env=env,
            start_new_session=True,
            # The pseudo-terminal becomes the process's own terminal, so Ctrl+C means what it
            # means at a real one.
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.seen = ""

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the process has gone and closed its side
            return False
        self.seen += ESCAPES.sub("", data.decode(errors="replace"))
        return bool(data)

    def expect(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            if time.monotonic() > deadline or (not self._read(0.2) and self.proc.poll() is not None):
                raise AssertionError(f"never saw {text!r}; saw:\n{self.seen[-2000:]}")
        time.sleep(0.2)  # let the line editor take the terminal before typing

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.1):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            raise AssertionError(f"still running after {timeout}s; saw:\n{self.seen[-2000:]}")
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self.master)


def test_ctrl_c_under_a_terminal_ends_at_once_with_what_was_kept_and_loses_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "try.db"
    keyboard = Keyboard(tmp_path, database)
    try:
        keyboard.expect(ASKED_TO_AGREE)
        keyboard.type("1\r")
        keyboard.expect(ATTENDANCE)
        keyboard.type("1\r")
        keyboard.expect(MOMENT)
        # Line editing: the left arrow moves back, so the missing letter goes in its place.
        keyboard.type("Meeting the midwies\x1b[D\x1b[Dv\r")
        keyboard.expect(GOT_IT)
        keyboard.type("\x03")
        started = time.monotonic()
        code = keyboard.wait(timeout=15)
        took = time.monotonic() - started
    finally:
        keyboard.close()
    assert code == 0, keyboard.seen[-2000:]
    assert took < 10, f"Ctrl+C took {took:.1f}s"
    assert "Aborted!" not in keyboard.seen and "^[[" not in keyboard.seen
    assert texts.TRY_INTERRUPTED in keyboard.seen
    stored = after(keyboard.seen, texts.TRY_STORED)
    assert "Meeting the midwives" in stored
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT question_id, text FROM narratives").fetchall()
    assert rows == [("immediate.moment", "Meeting the midwives")]


def test_the_up_arrow_brings_back_an_earlier_line(tmp_path: Path) -> None:
    database = tmp_path / "try.db"
    keyboard = Keyboard(tmp_path, database)
    try:
        keyboard.expect(ASKED_TO_AGREE)
        keyboard.type("1\r")
        keyboard.expect(ATTENDANCE)
        keyboard.type("1\r")
        keyboard.expect(MOMENT)
        keyboard.type("The case review\r")
        keyboard.expect(GOT_IT)
        keyboard.type("\x1b[A\r")  # the same line again, from history
        keyboard.expect(ADDED)
        keyboard.type("/quit\r")
        assert keyboard.wait(timeout=15) == 0
    finally:
        keyboard.close()
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT text FROM narratives").fetchall()
    assert rows == [("The case review\n\nThe case review",)]


def test_a_long_pasted_answer_under_a_terminal_is_kept_whole(tmp_path: Path) -> None:
    database = tmp_path / "try.db"
    keyboard = Keyboard(tmp_path, database)
    answer = ("The midwife's case about insulin timing. " * 100)[:4096].strip()
    try:
        keyboard.expect(ASKED_TO_AGREE)
        keyboard.type("1\r")
        keyboard.expect(ATTENDANCE)
        keyboard.type("1\r")
        keyboard.expect(MOMENT)
        keyboard.type(answer + "\r")  # past the 4095 characters a terminal's own line takes
        keyboard.expect(GOT_IT)
        keyboard.type("/quit\r")
        assert keyboard.wait(timeout=15) == 0
    finally:
        keyboard.close()
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT text FROM narratives").fetchall()
    assert rows == [(answer,)]


# --- a newcomer's first hour: the try-out's rough edges --------------------------------------


async def test_try_on_a_database_with_other_communities_ends_with_the_matrix_it_filled(
    db: Database,
) -> None:

    await seed.community(db, "Aardvark Network")  # first by name, and with nothing in it
    out = await drive(db, AGREE, ATTENDED, "Meeting the midwives", "n")
    shown = after(out, texts.TRY_MATRIX)
    assert "Try-out community" in shown and "Aardvark" not in shown
    assert "1 narrative in 1 story" in shown


async def test_a_story_paused_with_later_is_resumed_next_time_and_another_member_can_be_tried(
    db: Database,
) -> None:
    await drive(db, AGREE, ATTENDED, "Meeting the midwives", "l")
    again = await drive(db, "c")  # the same database, as `try --database URL` opens it again
    assert texts.COMMUNITY_EXISTS.partition(" {")[0] not in again
    assert ASKED_TO_AGREE not in again  # a member already: no consent again
    assert texts.WELCOME_BACK in again and MOMENT in again
    script = Script([AGREE, ATTENDED, "The parents' panel"])
    await Terminal(db, script.read, script.out.append, user_id=2, kept=True).run()
    assert ASKED_TO_AGREE in script.text  # a new member, in the same community
    assert sorted(await narratives(db)) == [("immediate.moment", "Meeting the midwives"),
                                            ("immediate.moment", "The parents' panel")]
    assert matrix_words.summary(2, 2, 2) in after(script.text, texts.TRY_MATRIX)


async def test_the_try_out_goes_on_after_the_story_ends_until_quit(db: Database) -> None:
    out = await drive(db, AGREE, ATTENDED, "Meeting the midwives", "x", "/mydata", "/quit")
    assert texts.TRY_STORY_OVER in " ".join(after(out, "> x").split())  # as one line, unwrapped
    assert texts.MYDATA_TITLE in after(out, "> /mydata")
    withdrawn = await drive(db, "/withdraw", "1", "/mydata", "/quit")
    assert texts.WITHDRAWN_ALL in " ".join(withdrawn.split())
    assert texts.MYDATA_NONE in after(withdrawn, "> /mydata")


async def test_the_terminal_says_type_not_tap_and_its_help_lists_only_what_it_knows(
    db: Database,
) -> None:
    out = await drive(db, "2", "x", AGREE, ATTENDED, "Meeting the midwives", "n", "Heard", "n",
                      "1,2", "d", "An insight", "/help", "l", "/quit")
    assert not re.search(r"\btap", out, re.IGNORECASE), [
        line for line in out.splitlines() if "tap" in line.lower()]
    assert texts.WORDING["terminal"]["ASK_MULTI_HINT"] in out
    helped = after(out, "> /help").split("> l")[0]
    assert "/quit" in helped and "/language" not in helped


async def test_the_question_count_never_moves_backwards(db: Database) -> None:
    out = await drive(db, AGREE, ATTENDED, "Meeting the midwives", "n", "Heard", "n", "1,2,3",
                      "d", "An insight", "n", "A connection", "n", "A tool", "n", "Try it", "n")
    assert not re.search(r"\d+ questions", out)  # no count before it is known
    shown = re.findall(r"^(?:Question (\d+)|(\d+) of (\d+))$", out, re.MULTILINE)
    assert [int(q) for q, _, _ in shown[:4]] == [1, 2, 3, 4]
    totals = {int(t) for _, _, t in shown[4:]}
    assert totals == {8}, shown  # once known, the same to the end: 8 with three capitals
    assert [int(i) for _, i, _ in shown[4:]] == [5, 6, 7, 8]


async def test_long_lines_break_between_words(db: Database, monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    answer = "insulin pens " * 12
    out = await drive(db, AGREE, ATTENDED, answer, "/mydata", "/quit")
    printed = [line for line in out.splitlines() if not line.startswith("> ")]
    assert max(len(line) for line in printed) <= 59
    words = set(" ".join(printed).split())
    assert "conversation," in words and "midwives" not in words  # whole words, none cut
    assert not any(w in words for w in ("insu", "lin", "pe"))


async def test_mydata_reads_in_plain_words_and_asides_show_the_question_again(
    db: Database,
) -> None:
    out = await drive(db, AGREE, ATTENDED, "Meeting the midwives", "n", "Heard", "n", "1", "d",
                      "/mydata", "/withdraw", "2", "/pause", "An aside", "/quit")
    mydata = after(out, "> /mydata").split("> /withdraw")[0]
    assert texts.MYDATA_CHOICE.format(question="What you gained",
                                      values=seed.INSIGHT) in mydata
    assert not re.search(r"potential\.|post event|status open", mydata)
    erase = texts.MYDATA_ERASE.partition(",")[0]
    assert INSIGHT in mydata.split(erase)[1]
    declined = after(out, "> 2").split("> /pause")[0]
    assert texts.WITHDRAW_KEPT in declined and INSIGHT in declined
    paused = after(out, "> /pause").split("> An aside")[0]
    assert texts.PAUSED_ONE.partition(" ")[0] in paused and INSIGHT in paused
    # After /pause the story waits, as after Later: a message is not an answer unless kept.
    assert texts.KEEP_HELD.rpartition("\n\n")[2] in after(out, "> An aside")
    assert ("potential.human", "An aside") not in await narratives(db)


async def test_try_in_spanish_names_the_event_in_spanish_without_isolate_marks(
    db: Database,
) -> None:
    script = Script([AGREE, ATTENDED, "/quit"])
    await Terminal(db, script.read, script.out.append, language="es", kept=True).run()
    assert "tu último encuentro de la comunidad" in script.text
    assert texts.TRY_EVENT_TITLE not in script.text
    assert "\u2068" not in script.text and "\u2069" not in script.text


def test_ctrl_c_on_a_throwaway_database_does_not_claim_nothing_is_lost(tmp_path: Path) -> None:
    keyboard = Keyboard(tmp_path, None)
    try:
        keyboard.expect(ASKED_TO_AGREE)
        keyboard.type("1\r")
        keyboard.expect(ATTENDANCE)
        keyboard.type("\x03")
        assert keyboard.wait(timeout=15) == 0
    finally:
        keyboard.close()
    seen = " ".join(keyboard.seen.split())
    assert texts.TRY_INTERRUPTED_THROWAWAY in seen and texts.TRY_INTERRUPTED not in seen
