"""Conveners invite members by email on the command line: one address, or a CSV file of them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Invitation, Member, MemberEmail
from tests.cli.running import json_of, run


async def _kept(url: str) -> tuple[list[tuple[str, str, str | None]], int]:
    """(address, language, Telegram id) of each member, and how many invitations are queued."""
    db = Database(url)
    try:
        async with db.session() as session:
            rows = (await session.execute(
                select(MemberEmail.address, Member.language, Member.telegram_user_id)
                .join(Member, Member.id == MemberEmail.member_id).order_by(MemberEmail.id))).all()
            queued = await session.scalar(select(func.count(Invitation.id))
                                          .where(Invitation.status == "due"))
        return [tuple(r) for r in rows], int(queued or 0)  # type: ignore[misc]
    finally:
        await db.dispose()


def test_a_convener_invites_one_address_then_a_file_of_them(database_url: str,
                                                                  tmp_path: Path) -> None:
    assert run(database_url, "community", "create", "Frailty", "--language", "es").exit_code == 0

    one = json_of(run(database_url, "member", "invite", "--community", "Frailty", "--email",
                      "ana@example.net", "--json"))
    people = tmp_path / "people.csv"
    people.write_text("email,language\nben@example.net,pl\n\nANA@example.net\ncai@example.net\n")
    many = run(database_url, "member", "invite", "--community", "Frailty", "--csv", str(people))

    assert one == {"community": "Frailty", "invited": 1, "already": 0}
    assert many.exit_code == 0, many.output
    assert many.output.splitlines()[:2] == [
        "Invited 2 by email to Frailty; the running bot sends each their invitation within a "
        "minute.", "1 already invited to or in Frailty: nothing sent."]
    assert "@" not in many.output
    kept, queued = asyncio.run(_kept(database_url))
    assert kept == [("ana@example.net", "es", None), ("ben@example.net", "pl", None),
                    ("cai@example.net", "es", None)]
    assert queued == 3


def test_bad_input_is_one_line_and_nothing_is_invited(database_url: str,
                                                           tmp_path: Path) -> None:
    assert run(database_url, "community", "create", "Frailty").exit_code == 0
    people = tmp_path / "people.csv"
    people.write_text("ana@example.net\nnot an address\n")
    cases = {
        ("--email", "ana at example"): "valuestory: --email is not an email address",
        ("--csv", str(people)): "valuestory: line 2 of the file is not an email address",
        ("--csv", str(tmp_path / "none.csv")): "valuestory: can't read",
        ("--email", "ana@example.net", "--language", "xx"): "valuestory: --language takes one of",
        (): "valuestory: give --email ADDRESS or --csv FILE",
    }
    for args, says in cases.items():
        result = run(database_url, "member", "invite", "--community", "Frailty", *args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith(says) and result.output.count("\n") == 1, result.output
    nowhere = run(database_url, "member", "invite", "--community", "Nowhere", "--email",
                  "ana@example.net")
    assert nowhere.exit_code == 2 and nowhere.output.count("\n") == 1
    assert asyncio.run(_kept(database_url)) == ([], 0)
