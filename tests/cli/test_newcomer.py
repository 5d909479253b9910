"""What a newcomer trips over on the command line: each mistake gets one line naming what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from valuestory.cli import main


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working folder with its own SQLite database and none of this machine's settings."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "ADMIN_TELEGRAM_IDS", "WEBHOOK_URL",
                 "TELEGRAM_API_BASE_URL", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'valuestory.db'}")
    return tmp_path


def vs(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def one_line(result: Result) -> str:
    """The error a newcomer sees: a single line, exit status 2, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


# --- where files are written ----------------------------------------------------------------


def test_export_to_a_missing_folder_names_the_folder(here: Path) -> None:
    line = one_line(vs("export", "--format", "csv", "--output", "/nonexistent/dir/x.csv"))
    assert line == ("valuestory: can't write /nonexistent/dir/x.csv: "
                    "the folder /nonexistent/dir does not exist")


def test_export_refuses_to_overwrite_a_file_unless_forced_as_backup_does(here: Path) -> None:
    kept = here / "narratives.csv"
    kept.write_text("last week's export")
    line = one_line(vs("export", "--format", "csv", "--output", str(kept)))
    assert line == f"valuestory: {kept} already exists: choose another name or add --force"
    assert kept.read_text() == "last week's export"

    assert vs("community", "create", "Frailty").exit_code == 0
    backup = here / "copy.db"
    backup.write_text("old")
    assert one_line(vs("db", "backup", str(backup))) == (
        f"valuestory: {backup} already exists: choose another name or add --force")

    forced = vs("export", "--format", "csv", "--output", str(kept), "--force")
    assert forced.exit_code == 0, forced.output
    assert "Wrote 0 narratives" in forced.output
    assert kept.read_text(encoding="utf-8-sig").startswith("narrative_id,")


def test_backup_to_a_missing_folder_names_the_target_not_the_database(here: Path) -> None:
    assert vs("community", "create", "Frailty").exit_code == 0
    line = one_line(vs("db", "backup", "/nonexistent/x.db"))
    assert line == "valuestory: can't write /nonexistent/x.db: the folder /nonexistent does not exist"


# --- try --database -------------------------------------------------------------------------


def test_try_takes_the_same_database_urls_as_database_url(here: Path, database_url: str) -> None:
    plain = database_url.replace("+aiosqlite", "").replace("+asyncpg", "")  # as people copy it
    tried = vs("try", "--database", plain, stdin="\n")
    assert tried.exit_code == 0, tried.output
    assert "Participation: 1 event" in tried.output

    line = one_line(vs("try", "--database", "mysql://localhost/valuestory"))
    assert line == "valuestory: --database must be a sqlite:// or postgresql:// URL"


# --- a question set that is not valid YAML --------------------------------------------------


@pytest.mark.parametrize("command", [["try"], ["community", "create", "Frailty"]])
def test_a_question_set_with_a_yaml_mistake_names_the_file_line_and_column(
    here: Path, command: list[str]
) -> None:
    (here / "bad.yaml").write_text("questions:\n  - id: took_part\n    text: [Did you\n")
    line = one_line(vs(*command, "--question-set", "bad.yaml"))
    assert line.startswith("valuestory: bad.yaml: line 4, column 1: expected ',' or ']'")
