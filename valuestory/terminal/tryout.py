"""`valuestory try`: the member conversation in a terminal, on the same engine and storage."""

from __future__ import annotations

from collections.abc import Callable

from flows import engine, texts
from flows.questions import PromptKind
from storage import repositories as repo
from storage.db import Database
from valuestory.usecases import communities, conversation, events, parsing
from valuestory.usecases.out import Out, plain

TRY_USER_ID = 1
class Terminal:
    """Shows the bot's messages and turns what the person types into the same actions."""

    def __init__(self, db: Database, read: Callable[[str], str], write: Callable[[str], None],
                 question_set: str = "default", language: str = "en") -> None:
        self.db = db
        self.language = language
        self.read = read
        self.write = write
        self.question_set = question_set
        self.buttons: list[tuple[str, str]] = []

    def show(self, outs: list[Out]) -> None:
        for out in outs:
            if out.edit:
                self.write("")
            elif out.text:
                self.write("\n" + plain(out.text))
            if out.buttons:
                self.buttons = [b for row in out.buttons for b in row]
                self.write("   " + "   ".join(
                    f"[{i}] {label}" for i, (label, _) in enumerate(self.buttons, 1)))

    async def run(self) -> None:
        async with self.db.session() as session:
            community = await communities.create_community(
                session, "Try-out community", "Europe/London", self.question_set, self.language
            )
            event = await events.create_event(
                session, community, "your last community event", "2026-01-01 14:00",
                "2026-01-01 16:00",
            )
            code, event_id = community.invite_code, event.id
        self.write("This is what a member sees, in the terminal instead of Telegram.")
        self.write("Type your answers. Type a number to press a button; /help for help; "
                   "/quit to finish.")
        self.show(await conversation.start(self.db, TRY_USER_ID, TRY_USER_ID, code,
                                           telegram_language=self.language))
        opened = False
        while True:
            if not opened and await self._is_member():
                async with self.db.session() as session:
                    member = await repo.member_by_telegram_id(session, TRY_USER_ID)
                    e = await repo.events(session)
                    assert member is not None
                    event = next(x for x in e if x.id == event_id)
                    await events.open_prompt(session, member, event, PromptKind.POST_EVENT)
                opened = True
                self.show(await conversation.act(self.db, TRY_USER_ID, TRY_USER_ID,
                                                 engine.Begin()))
            try:
                line = self.read("> ").strip()
            except EOFError:
                break
            if line in ("/quit", "/exit", "quit"):
                break
            choice = parsing.parse_id(line)
            if choice is not None and 1 <= choice <= len(self.buttons):
                _, token = self.buttons[choice - 1]
                outs = await conversation.press(self.db, TRY_USER_ID, TRY_USER_ID, token)
            elif line == "/help":
                outs = await conversation.help_text(self.db, TRY_USER_ID)
            elif line.startswith("/") and line[1:] in engine.COMMANDS:
                outs = await conversation.act(self.db, TRY_USER_ID, TRY_USER_ID,
                                              engine.COMMANDS[line[1:]])
            elif line.startswith("/"):
                outs = [Out(texts.UNKNOWN_COMMAND)]
            else:
                outs = await conversation.act(self.db, TRY_USER_ID, TRY_USER_ID,
                                              engine.Text(line))
            self.show(outs)
            if opened and not await self._has_open_prompt():
                break
        await self.show_stored()

    async def _is_member(self) -> bool:
        async with self.db.session() as session:
            member = await repo.member_by_telegram_id(session, TRY_USER_ID)
            return member is not None and bool(await repo.memberships_of(session, member.id))

    async def _has_open_prompt(self) -> bool:
        async with self.db.session() as session:
            member = await repo.member_by_telegram_id(session, TRY_USER_ID)
            return member is not None and bool(await repo.open_prompts(session, member.id))

    async def show_stored(self) -> None:
        stored = await conversation.stored_story(self.db, TRY_USER_ID)
        self.write("\n=== What was stored, by value cycle ===")
        if not stored:
            self.write("Nothing: no answer was given.")
        for cycle in ("immediate", "potential", "applied", "realised", "reframing"):
            for question, answer in stored.get(cycle, []):
                indented = "\n".join(f"  {line}" for line in answer.splitlines())
                self.write(f"\n[{texts.CYCLE_NAMES[cycle]}] {question}\n{indented}")
        await self.show_matrix()

    async def show_matrix(self) -> None:
        """End with the community's matrix, as its conveners would see it."""
        from storage.models import Community
        from valuestory.usecases import matrix

        async with self.db.session() as session:
            communities = await repo.communities(session)
            if not communities:
                return
            community = await session.get(Community, communities[0].id)
            assert community is not None
            built = await matrix.build_matrix(session, community)
        self.write("\n=== The convener's Value Creation Matrix ===")
        self.write(matrix.render_terminal(built))
