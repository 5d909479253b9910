"""`valuestory member link`: a member's personal link to answer in the browser, printed once and
kept only as a hash; revoked, it opens nothing; bad input is one line and exit 2."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner

from flows import texts
from storage.db import Database
from tests import seed
from tests.botapi import TOKEN
from valuestory.cli import main
from valuestory.usecases import rights, web_answers


def _run(url: str, *args: str) -> object:
    env = {"DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": TOKEN, "PUBLIC_URL": "https://cop.example.org/"}
    return CliRunner().invoke(main, ["member", "link", *args], env=env)


async def _community_and_member(url: str) -> str:
    db = Database(url)
    try:
        c = await seed.community(db, "Frailty Network")
        await seed.member(db, c, 5501)
        return await _pseudonym(db)
    finally:
        await db.dispose()


async def _pseudonym(db: Database) -> str:
    """The member's pseudonym, as /mydata shows it to them."""
    document = await rights.my_data(db, 5501)
    assert document is not None
    return next(word.strip("()") for word in document.split() if word.startswith("P-"))


async def _opens(url: str, link: str) -> bool:
    db = Database(url)
    try:
        page = await web_answers.page(db, link.rsplit("/", 1)[1])
        return not isinstance(page, web_answers.Refused)
    finally:
        await db.dispose()


def test_a_link_is_printed_once_opens_the_members_page_and_stops_when_revoked(
        database_url: str) -> None:
    pseudonym = asyncio.run(_community_and_member(database_url))
    made = _run(database_url, "--community", "Frailty Network", "--member", pseudonym, "--json")
    assert made.exit_code == 0, made.output
    link = json.loads(made.output)["link"]
    assert link.startswith("https://cop.example.org/answer/")
    assert asyncio.run(_opens(database_url, link))
    # A new one for the same member: the older stops working.
    again = json.loads(_run(database_url, "--community", "Frailty Network", "--member",
                            pseudonym, "--json").output)["link"]
    assert not asyncio.run(_opens(database_url, link)) and asyncio.run(_opens(database_url, again))
    revoked = _run(database_url, "--community", "Frailty Network", "--member", pseudonym,
                   "--revoke", "--json")
    assert json.loads(revoked.output) == {"revoked": 1}
    assert not asyncio.run(_opens(database_url, again))
    new = _run(database_url, "--community", "Frailty Network", "--new", "--language", "es")
    assert new.exit_code == 0 and "https://cop.example.org/answer/" in new.output


def test_bad_input_is_one_line_and_exit_2(database_url: str) -> None:
    asyncio.run(_community_and_member(database_url))
    for args, said in (
        ((), "give --member PSEUDONYM, or --new"),
        (("--member", "P-2222", "--new"), "give --member PSEUDONYM, or --new"),
        (("--member", "P-ZZZZ"),
         texts.WEB_NO_SUCH_MEMBER.format(pseudonym="P-ZZZZ", community="Frailty Network")),
        (("--revoke",), "with --revoke give --member PSEUDONYM or --link LINK"),
    ):
        result = _run(database_url, "--community", "Frailty Network", *args)
        assert result.exit_code == 2, result.output
        assert said in result.output and len(result.output.strip().splitlines()) == 1
    unknown = _run(database_url, "--community", "Nowhere", "--new")
    assert unknown.exit_code == 2 and "Traceback" not in unknown.output
