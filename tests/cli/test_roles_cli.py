"""Admins list and revoke roles on the command line, as they grant them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows import texts
from valuestory.cli import main


def vs(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url})
    return result.exit_code, result.output


def test_admin_lists_and_revokes_roles_with_json_for_scripts(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("Diabetes in Pregnancy", "Frailty"):
        assert vs(database_url, "community", "create", name)[0] == 0
    assert vs(database_url, "role", "grant", "4242", "convener", "--community",
              "Diabetes in Pregnancy")[0] == 0
    assert vs(database_url, "role", "grant", "4242", "convener", "--community", "Frailty")[0] == 0
    assert vs(database_url, "role", "grant", "987", "researcher")[0] == 0

    code, out = vs(database_url, "role", "list")
    assert code == 0 and out.splitlines() == [
        "4242  convener  Diabetes in Pregnancy", "4242  convener  Frailty",
        f"987  researcher  {texts.ROLE_EVERY_COMMUNITY}"]
    code, out = vs(database_url, "role", "list", "--community", "Frailty", "--json")
    assert [(r["telegram_user_id"], r["role"], r["community"])
            for r in json.loads(out)["roles"]] == [(4242, "convener", "Frailty"),
                                                   (987, "researcher", None)]

    code, out = vs(database_url, "role", "revoke", "4242", "convener", "--community", "Frailty",
                   "--json")
    assert code == 0 and json.loads(out) == {"telegram_user_id": 4242, "role": "convener",
                                             "community": "Frailty", "revoked": 1}
    code, out = vs(database_url, "role", "revoke", "4242", "convener", "--community", "Frailty")
    assert (code, out) == (2, "valuestory: " + texts.ROLE_NOT_HELD.format(
        user=4242, role="convener", community="Frailty") + "\n")
    code, out = vs(database_url, "role", "revoke", "987", "researcher")
    assert (code, out) == (0, texts.ROLE_REVOKED.format(user=987, role="researcher",
                                                        community=texts.ROLE_EVERYWHERE) + "\n")
    assert vs(database_url, "role", "list")[1] == "4242  convener  Diabetes in Pregnancy\n"


def test_a_role_granted_in_a_community_is_said_in_its_language(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoever runs the command line has no language of their own here: the reply is in the
    language of the community it is about, as a convener who is not a member is answered."""
    monkeypatch.chdir(tmp_path)
    assert vs(database_url, "community", "create", "Red Perinatal", "--language", "es")[0] == 0
    es = texts.In("es")
    code, out = vs(database_url, "role", "grant", "4243", "convener", "--community", "Red Perinatal")
    assert (code, out) == (0, es.ROLE_GRANTED.format(
        user=4243, role="convener", community=texts.isolate("Red Perinatal")) + "\n")
    code, out = vs(database_url, "role", "revoke", "4243", "convener")
    assert (code, out) == (0, texts.ROLE_REVOKED.format(
        user=4243, role="convener", community=texts.ROLE_EVERYWHERE) + "\n")
