"""`valuestory demo` on the command line: what it keeps, and mistakes said in one line."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from tests.cli.test_cli import vs
from valuestory.usecases import sample


def test_the_demo_keeps_its_database_only_when_asked_and_opens_it_again(tmp_path: Path) -> None:
    kept = tmp_path / "demo.db"
    first = vs("demo", "--keep", str(kept), cwd=tmp_path, stdin="1\n1\nThe chart idea\n/quit\n")
    assert first.returncode == 0, first.stderr
    assert "sample data" in first.stdout and f"kept in {kept}" in first.stdout
    again = vs("demo", "--keep", str(kept), cwd=tmp_path, stdin="/quit\n")
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(kept) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM communities")]
        mine = conn.execute("SELECT count(*) FROM narratives WHERE text = 'The chart idea'").fetchone()
    assert names == [sample.NAME]  # opened again, not made twice
    assert mine == (1,)


def test_the_demo_without_keep_leaves_nothing_behind(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    done = vs("demo", cwd=tmp_path, stdin="1\n/quit\n", env={"TMPDIR": str(temporary)})
    assert done.returncode == 0, done.stderr
    assert "its database is deleted" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]
    assert list(temporary.iterdir()) == []


def test_a_demo_kept_in_a_missing_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    done = vs("demo", "--keep", str(tmp_path / "nowhere" / "demo.db"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "nowhere" in done.stderr, done.stderr


def test_dashboard_in_the_demos_terminal_prints_a_new_link(tmp_path: Path) -> None:
    done = vs("demo", cwd=tmp_path, stdin="/dashboard\n/quit\n")
    assert done.returncode == 0, done.stderr
    links = re.findall(r"http://127\.0\.0\.1:\d+/dashboard/signin/[A-Za-z0-9_-]+", done.stdout)
    assert len(set(links)) == 2, done.stdout  # the first, and a new one on asking
