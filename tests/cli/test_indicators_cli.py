"""`valuestory indicator`: add, link, list (text and JSON), edit, quote, merge, retire, restore and
the examples; narratives named by the exports' ids; bad input is one line and exit status 2."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from flows import texts
from storage.db import Database
from tests.cli.running import json_of, run, seeded
from tests.storage.test_indicators import _community
from valuestory.usecases import rights


def _seed(url: str) -> dict[str, list[int]]:
    return seeded(url, _community)


def test_indicators_are_added_linked_and_listed_with_counts_from_their_evidence(
        database_url: str, tmp_path: Path) -> None:
    said = _seed(database_url)
    # The ids the narratives have in an export are the ids the command line takes.
    exported = run(database_url, "export", "--community", "Indicators", "--format", "csv",
                    "--output", str(tmp_path / "n.csv"))
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "n.csv").read_text("utf-8-sig"))))
    by_text = {r["answer"]: int(r["narrative_id"]) for r in rows}
    assert by_text["501: felt safe asking"] == said["501"][0]
    moments = ",".join(str(said[u][0]) for u in ("501", "502"))
    made = json_of(run(database_url, "indicator", "add", "--community", "Indicators",
                      "--cycle", "immediate", "It's a safe space to ask questions",
                      "--evidence", moments, "--json"))
    assert (made["narratives"], made["stories"], made["members"]) == (2, 2, 2)
    linked = json_of(run(database_url, "indicator", "link", str(made["id"]),
                        "--evidence", str(said["503"][0]), "--json"))
    assert (linked["narratives"], linked["members"]) == (3, 3)
    json_of(run(database_url, "indicator", "add", "--community", "Indicators", "--cycle",
               "potential", "--capital", "human", "Members have more confidence", "--evidence",
               f"{said['501'][1]},{said['502'][1]}", "--json"))
    quoted = json_of(run(database_url, "indicator", "quote", str(made["id"]), "--evidence",
                        str(said["502"][0]), "--json"))
    assert [q["text"] for q in quoted["quotes"]] == ["502: felt safe asking"]

    listed = json_of(run(database_url, "indicator", "list", "--community", "Indicators", "--json"))
    first, second = listed["indicators"]
    assert {k: first[k] for k in ("id", "cycle", "capital", "statement", "narratives",
                                  "stories", "members")} == {
        "id": made["id"], "cycle": "immediate", "capital": None,
        "statement": "It's a safe space to ask questions", "narratives": 3, "stories": 3,
        "members": 3}
    assert first["check"] == {"asked": 0, "agreed": 0, "disagreed": 0}
    assert first["quotes"][0]["pseudonym"] and "502" not in first["quotes"][0]["pseudonym"]
    assert (second["cycle"], second["capital"], second["members"]) == ("potential", "human", 2)

    text = run(database_url, "indicator", "list", "--community", "Indicators")
    assert text.exit_code == 0, text.output
    assert f"#{made['id']} It's a safe space to ask questions" in text.output
    assert "3 narratives, 3 stories, 3 members" in text.output
    assert "Applied value: no indicators yet." in text.output

    # A member withdraws: every count follows.
    async def withdraw() -> None:
        db = Database(database_url)
        try:
            assert await rights.withdraw(db, 501, None) is not None
        finally:
            await db.dispose()
    asyncio.run(withdraw())
    after = json_of(run(database_url, "indicator", "list", "--community", "Indicators", "--json"))
    assert [(i["narratives"], i["members"]) for i in after["indicators"]] == [(2, 2), (1, 1)]


def test_edit_merge_retire_and_restore_from_the_command_line(database_url: str) -> None:
    said = _seed(database_url)
    a = json_of(run(database_url, "indicator", "add", "--community", "Indicators", "--cycle",
                   "immediate", "Safe", "--evidence", str(said["501"][0]), "--json"))
    b = json_of(run(database_url, "indicator", "add", "--community", "Indicators", "--cycle",
                   "immediate", "Safe space", "--evidence", str(said["502"][0]), "--json"))
    edited = json_of(run(database_url, "indicator", "edit", str(b["id"]), "--statement",
                        "It's a safe space", "--json"))
    assert edited["statement"] == "It's a safe space"
    merged = json_of(run(database_url, "indicator", "merge", str(a["id"]), "--into", str(b["id"]),
                        "--json"))
    assert (merged["id"], merged["narratives"]) == (b["id"], 2)
    retired = json_of(run(database_url, "indicator", "retire", str(b["id"]), "--json"))
    assert retired["status"] == "retired"
    assert json_of(run(database_url, "indicator", "list", "--community", "Indicators",
                      "--json"))["indicators"] == []
    everything = json_of(run(database_url, "indicator", "list", "--community", "Indicators",
                            "--all", "--json"))["indicators"]
    assert {i["status"] for i in everything} == {"retired", "merged"}
    assert json_of(run(database_url, "indicator", "restore", str(b["id"]), "--json"))[
        "status"] == "active"
    examples = json_of(run(database_url, "indicator", "examples", "--community", "Indicators",
                          "--json"))["examples"]
    adopted = json_of(run(database_url, "indicator", "adopt", examples[0]["key"], "--community",
                         "Indicators", "--json"))
    assert adopted["statement"] == examples[0]["statement"]
    assert json_of(run(database_url, "indicator", "leave", examples[1]["key"], "--community",
                      "Indicators", "--json"))["left"] is True
    offered = json_of(run(database_url, "indicator", "examples", "--community", "Indicators",
                         "--json"))["examples"]
    assert [e["key"] for e in offered] == [e["key"] for e in examples[2:]]


@pytest.mark.parametrize(("args", "problem"), [
    (["add", "--community", "Nowhere", "--cycle", "immediate", "Safe"],
     texts.NO_SUCH_COMMUNITY.format(community="'Nowhere'")),
    (["add", "--community", "Indicators", "--cycle", "someday", "Safe"], "someday"),
    (["add", "--community", "Indicators", "--cycle", "immediate", "--capital", "human", "Safe"],
     "under potential value only"),
    (["add", "--community", "Indicators", "--cycle", "immediate", " "], "statement"),
    (["add", "--community", "Indicators", "--cycle", "immediate", "Safe", "--evidence", "x1"],
     "'x1' is not a narrative id"),
    (["add", "--community", "Indicators", "--cycle", "immediate", "Safe", "--evidence",
      "99999"], "no narrative 99999"),
    (["link", "4242", "--evidence", "1"], "no indicator #4242"),
    (["link", "abc", "--evidence", "1"], "not an indicator id"),
    (["merge", "1", "--into", "1"], "another indicator"),
    (["adopt", "nonsense", "--community", "Indicators"], "not one of the examples"),
])
def test_bad_input_is_one_line_and_exit_status_2(database_url: str, args: list[str],
                                                  problem: str) -> None:
    said = _seed(database_url)
    if args[0] == "merge":
        json_of(run(database_url, "indicator", "add", "--community", "Indicators", "--cycle",
                   "immediate", "Safe", "--evidence", str(said["501"][0]), "--json"))
    result = run(database_url, "indicator", *args)
    assert result.exit_code == 2, result.output
    assert problem in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 3  # click's usage lines at most
