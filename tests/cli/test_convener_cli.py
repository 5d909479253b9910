"""The matrix and the digest from the command line: `valuestory matrix` and `valuestory digest send`."""

from __future__ import annotations

import asyncio
import datetime as dt

from click.testing import CliRunner

from flows import texts
from storage import repositories as repo
from storage.db import Database
from storage.models import Consent, Event, Member, Membership
from tests import matrix_words
from tests.botapi import TOKEN, BotApiDouble, BotApiServer
from valuestory.cli import main
from valuestory.usecases import communities, roles
from valuestory.usecases.events import planning
from valuestory.usecases.out import plain

AT = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC)


async def _seed(url: str) -> None:
    """A community with a member who answered, seeded by hand in one unit of work (through the
    steps the doors run): a consent no participant information was shown for."""
    db = Database(url)
    async with db.session() as session:
        c = await communities.queries.create_community(session, "Frailty <Network>", "Europe/London")
        e = await planning.create_event(session, c, "Autumn session", "2026-10-01 14:00",
                                       "2026-10-01 16:00")
        await roles.queries.grant_role(session, 4401, "convener", c)
        grant = await roles.queries.grant_role(session, 4402, "convener", c)
        grant.digest_enabled = False
        member = Member(telegram_user_id=4501, chat_id=4501)
        session.add(member)
        await session.flush()
        consent = Consent(member_id=member.id, version="v1")
        session.add(consent)
        await session.flush()
        session.add(Membership(member_id=member.id, community_id=c.id, pseudonym="P-CLI1",
                               consent_id=consent.id))
        await session.flush()
        event = await session.get(Event, e.id)
        assert event is not None
        prompt = (await planning.open_prompt(session, member, event, now=AT)).prompt
        await repo.save_answer(session, prompt, question_id="immediate.moment", question_text="?",
                               cycle="immediate", capital=None, intended=False,
                               text="Hearing the <care home> team & the GP.", append=False, now=AT)
    await db.dispose()


def test_matrix_prints_in_the_terminal_and_digest_sends_to_conveners(database_url: str) -> None:
    asyncio.run(_seed(database_url))
    variables = {"DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN}
    runner = CliRunner()

    result = runner.invoke(main, ["matrix", "--community", "Frailty <Network>"], env=variables)
    assert result.exit_code == 0, result.output
    assert plain(texts.MATRIX_TITLE.partition("\n")[0].format(
        community="Frailty <Network>")) in result.output
    assert "“Hearing the <care home> team & the GP.” (P-CLI1)" in result.output
    assert plain(matrix_words.gap("reframing")) in result.output
    assert "4501" not in result.output

    result = runner.invoke(main, ["matrix", "--community", "Frailty <Network>", "--since", "nope"],
                           env=variables)
    assert result.exit_code == 2 and "not a period" in result.output

    double = BotApiDouble()
    with BotApiServer(double) as server:
        result = runner.invoke(main, ["digest", "send", "--community", "Frailty <Network>"],
                               env={**variables, "TELEGRAM_API_BASE_URL": server.base_url})
    assert result.exit_code == 0, result.output
    assert "to 1 convener(s)" in result.output
    got = double.chat(4401)
    assert texts.DIGEST_INTRO in got[0].text
    assert "<b>Frailty &lt;Network&gt;</b>" in got[0].text  # escaped, as every name is
    assert got[-1].photo is not None and got[-1].photo.startswith(b"\x89PNG")
    assert double.chat(4402) == [] and double.chat(4501) == []
    # Read as HTML by Telegram whatever Bot sends it: conveners see bold, not <b> and &lt;.
    sends = [params for method, params in double.calls if method in ("sendMessage", "sendPhoto")]
    assert sends and all(params.get("parse_mode") == "HTML" for params in sends)


def test_digest_send_with_a_rejected_token_says_so_in_one_line_without_the_token(
    database_url: str,
) -> None:
    asyncio.run(_seed(database_url))
    double = BotApiDouble()
    double.rules.append(lambda method, params: (401, {"ok": False, "error_code": 401,
                                                      "description": "Unauthorized"}))
    with BotApiServer(double) as server:
        result = CliRunner().invoke(
            main, ["digest", "send", "--community", "Frailty <Network>"],
            env={"DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN,
                 "TELEGRAM_API_BASE_URL": server.base_url})
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "valuestory: Telegram rejected TELEGRAM_BOT_TOKEN: copy it again from @BotFather"]
    assert TOKEN not in result.output and TOKEN.split(":")[1] not in result.output
    assert double.chat(4401) == []


def test_try_ends_with_the_conveners_matrix() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["try"], input="1\n1\nMeeting the <b>dietitian</b> & team.\n/stop\n")
    assert result.exit_code == 0, result.output
    tail = result.output.split(f"=== {texts.TRY_MATRIX} ===", 1)[1]
    assert plain(matrix_words.column("immediate", 1, 1, 1)) + ", 1 new" in tail
    assert "“Meeting the <b>dietitian</b> & team.”" in tail
    assert plain(matrix_words.gap("reframing")) in tail


def test_try_reads_an_odd_digit_as_typed_text_not_a_button() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["try"], input="²\n1\n1\nMeeting the team.\n/stop\n")
    assert result.exit_code == 0, result.output
    # "²" was typed text, not a button: before joining, that asks the consent question again.
    assert texts.UNKNOWN_USER.split(". ")[0] not in result.output
    assert result.output.count(texts.PARTICIPANT_INFO.parts[-1]) == 2
    assert "Welcome to Try-out community" in result.output
    assert "“Meeting the team.”" in result.output


def test_event_create_refuses_a_start_too_far_off_in_one_line(database_url: str) -> None:
    variables = {"DATABASE_URL": database_url}
    runner = CliRunner()
    created = runner.invoke(main, ["community", "create", "Far Network", "--timezone",
                                   "America/New_York"], env=variables)
    assert created.exit_code == 0, created.output
    for starts, ends in (("9999-12-30 10:00", "9999-12-30 12:00"),
                         ("9999-12-31 23:00", "9999-12-31 23:59"),
                         ("1999-01-01 10:00", "1999-01-01 12:00")):
        result = runner.invoke(main, ["event", "create", "--community", "Far Network", "--title",
                                      "Far", "--starts", starts, "--ends", ends], env=variables)
        assert result.exit_code == 2, result.output
        assert result.output.strip().splitlines() == [
            f"valuestory: '{starts}' is too far off: events can be from 2000 up to two years "
            "from now"]
    listed = runner.invoke(main, ["event", "list"], env=variables)
    assert listed.output.strip() == "No events yet."


def test_matrix_share_plans_the_members_check_and_says_what_to_fix_in_one_line(
    database_url: str,
) -> None:
    from valuestory.usecases import indicators

    asyncio.run(_seed(database_url))
    variables = {"DATABASE_URL": database_url}
    runner = CliRunner()
    share = ["matrix", "share", "--community", "Frailty <Network>"]

    result = runner.invoke(main, share, env=variables)
    assert result.exit_code == 2
    assert result.output.strip() == f"valuestory: {texts.CHECK_NOTHING_TO_SHARE}"

    async def add() -> None:
        db = Database(database_url)
        await indicators.add(db, indicators.COMMAND_LINE, "Frailty <Network>", "immediate",
                             "It's a safe space to ask questions")
        await db.dispose()

    asyncio.run(add())
    result = runner.invoke(main, [*share, "--json"], env=variables)
    assert result.exit_code == 0, result.output
    assert '"members": 1' in result.output and '"statements": 1' in result.output
    result = runner.invoke(main, share, env=variables)
    assert result.exit_code == 2
    assert result.output.strip() == "valuestory: " + texts.CHECK_UNDER_WAY.format(
        members=texts.plural(1, "member"))
    result = runner.invoke(main, ["matrix", "share", "--community", "Nowhere"], env=variables)
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
