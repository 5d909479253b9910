"""What a newcomer trips over on the command line: each mistake gets one line naming what to fix."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.botapi import TOKEN
from tests.remote import free_port
from valuestory.cli import main

ROOT = Path(__file__).resolve().parents[2]


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


# --- starting the bot -----------------------------------------------------------------------


def run_bot(here: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`valuestory run` as a newcomer starts it, in its own process."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "ADMIN_", "LOG_", "WEBHOOK_", "HEALTH_"))}
    return subprocess.run(
        [sys.executable, "-m", "valuestory.cli", "run", *args], cwd=here, capture_output=True,
        text=True, timeout=120, env={**base, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN,
                                     "WEBHOOK_LISTEN": "127.0.0.1", **env})


def stderr_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    return lines[-1]


@pytest.mark.parametrize(("mode", "setting"), [((), "HEALTH_PORT"), (("--webhook",), "WEBHOOK_PORT")])
def test_a_busy_port_names_the_port_and_its_setting(
    here: Path, mode: tuple[str, ...], setting: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_bot(here, *mode, HEALTH_PORT=str(port), WEBHOOK_PORT=str(port),
                         WEBHOOK_URL="https://bot.example.org")
    assert stderr_line(result) == (
        f"valuestory: can't listen for web requests on 127.0.0.1:{port} (Address already in use): "
        f"choose another port with {setting}")


def test_an_unreachable_bot_api_names_the_setting_and_host_but_never_the_token(here: Path) -> None:
    nobody = free_port()
    result = run_bot(here, HEALTH_PORT=str(free_port()),
                     TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{nobody}/bot")
    line = stderr_line(result)
    assert line.startswith(f"valuestory: can't reach Telegram's Bot API at 127.0.0.1:{nobody} (")
    assert line.endswith("or TELEGRAM_API_BASE_URL if you use your own Bot API server")
    assert "httpx" not in line
    assert TOKEN not in result.stderr + result.stdout
    assert TOKEN.split(":")[1] not in result.stderr + result.stdout


def test_a_plain_http_webhook_address_is_refused_at_start(here: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--webhook"], env={
        "TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "http://bot.example.org"})
    assert one_line(result) == (
        "valuestory: WEBHOOK_URL must start with https://: Telegram only posts updates to https "
        "addresses (plain http works only with your own Bot API server)")


def test_the_quick_starts_placeholder_token_is_refused_with_the_real_shape(here: Path) -> None:
    result = CliRunner().invoke(main, ["run"], env={"TELEGRAM_BOT_TOKEN": "123456789:ABC..."})
    line = one_line(result)
    assert line == ("valuestory: TELEGRAM_BOT_TOKEN does not look like a bot token: a real one is "
                    "the bot's number, a colon, then 35 letters, digits, - or _; copy it from "
                    "@BotFather")
    assert "123456789:ABC" not in line


# --- the README and the settings agree ------------------------------------------------------


def test_the_readme_lists_the_log_levels_the_setting_accepts(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from valuestory.process.settings import SettingsError, load_settings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `LOG_LEVEL` |"))
    listed = re.findall(r"`([A-Z]+)`", row.split("|")[3])
    for level in listed:
        monkeypatch.setenv("LOG_LEVEL", level.lower())
        assert load_settings().log_level == level
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value) == f"LOG_LEVEL must be {', '.join(listed[:-1])} or {listed[-1]}"
    monkeypatch.setenv("LOG_LEVEL", "CRITICAL")  # not listed, so not taken either
    with pytest.raises(SettingsError):
        load_settings()


# --- mistakes the option parser catches, and numbers without their unit ---------------------


@pytest.mark.parametrize(("args", "says"), [
    (["export", "--format", "pdf", "--output", "x"], "'pdf' is not one of 'csv', 'xlsx'"),
    (["role", "grant", "1", "convenor"], "'convenor' is not one of 'convener', 'researcher'"),
    (["role", "grant", "@alice", "researcher"], "'@alice' is not a Telegram user id"),
    (["role", "grant", "@alice"], "'@alice' is not a Telegram user id"),
    (["export", "--format", "csv", "--output", "."], "'.' is a directory"),
    (["audit", "--limit", "0"], "0 is not in the range x>=1"),
    (["audit", "--limit", "-1"], "-1 is not in the range x>=1"),
    (["nosuch"], "No such command 'nosuch'"),
])
def test_a_mistake_the_option_parser_catches_is_one_line_not_the_usage_block(
    here: Path, args: list[str], says: str,
) -> None:
    line = one_line(vs(*args))
    assert line.startswith("valuestory: ") and says in line, line
    assert "--help" in line  # where to read more, in the same line


def test_a_group_named_alone_still_shows_its_help(here: Path) -> None:
    result = vs("role")
    assert "grant" in result.output and "revoke" in result.output


@pytest.mark.parametrize(("option", "hint"), [
    ("--delay", "--delay needs a unit: 2m for minutes or 2h for hours"),
    ("--reminder", "--reminder needs a unit: 2h for hours or 2d for days"),
    ("--window", "--window needs a unit: 2d for days"),
])
def test_a_bare_number_for_a_duration_is_refused_with_the_unit_to_add(
    here: Path, option: str, hint: str,
) -> None:
    vs("community", "create", "Frailty Network", "--timezone", "Europe/London")
    assert one_line(vs("community", "set", "Frailty Network", option, "2")) == f"valuestory: {hint}"
    shown = vs("community", "set", "Frailty Network", "--json")
    assert '"prompt_delay_minutes": 120' in shown.output  # unchanged: the default 2h


def test_the_matrix_picture_to_a_missing_folder_is_one_line_and_an_existing_file_needs_force(
    here: Path,
) -> None:
    vs("community", "create", "Frailty Network", "--timezone", "Europe/London")
    line = one_line(vs("matrix", "--community", "Frailty Network", "--png", "/nonexistent/m.png"))
    assert line == "valuestory: can't write /nonexistent/m.png: the folder /nonexistent does not exist"
    picture = here / "m.png"
    picture.write_bytes(b"mine")
    line = one_line(vs("matrix", "--community", "Frailty Network", "--png", str(picture)))
    assert line == f"valuestory: {picture} already exists: choose another name or add --force"
    assert picture.read_bytes() == b"mine"
    assert vs("matrix", "--community", "Frailty Network", "--png", str(picture),
              "--force").exit_code == 0
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_the_readmes_event_create_run_twice_plans_one_event(here: Path) -> None:
    vs("community", "create", "Diabetes in Pregnancy", "--timezone", "Europe/London")
    create = ["event", "create", "--community", "Diabetes in Pregnancy", "--title",
              "Winter learning session", "--starts", "2026-12-03 14:00", "--ends", "2026-12-03 16:00"]
    assert vs(*create).exit_code == 0
    line = one_line(vs(*create))
    assert line == ("valuestory: Diabetes in Pregnancy already has 'Winter learning session' at "
                    "Thu 3 Dec 2026, 14:00 (event 1): add --again to plan another one")
    assert vs("event", "list").output.count("Winter learning session") == 1
    assert vs(*create, "--again").exit_code == 0
    assert vs("event", "list").output.count("Winter learning session") == 2


# --- what the docs say, checked against what the code does -----------------------------------


def test_env_example_says_the_health_port_serves_the_dashboard_and_lists_every_log_level(
    here: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from valuestory.process.settings import load_settings

    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    comment = example.split("# HEALTH_PORT=")[0].rsplit("\n\n", 1)[-1]
    assert "/dashboard/" in comment and "answers only" not in comment
    levels = re.search(r"level \(([^)]*)\)", example)
    assert levels is not None
    listed = re.findall(r"[A-Z]{4,}", levels.group(1))
    assert listed == ["DEBUG", "INFO", "WARNING", "ERROR"]
    for level in listed:
        monkeypatch.setenv("LOG_LEVEL", level)
        assert load_settings().log_level == level


def test_the_readme_names_every_export_field() -> None:
    from valuestory.usecases.exports.shape import COLUMNS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    fields = readme.split("One record per narrative")[1].split("`;")[0]
    assert [f.strip() for f in fields.split("`")[1].split(",")] == list(COLUMNS)


def test_compose_publishes_the_dashboard_on_loopback_and_the_readme_says_how_to_sign_in() -> None:
    import yaml

    bot = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["bot"]
    assert bot["ports"] == ["127.0.0.1:8080:8080"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docker compose exec bot valuestory dashboard link --telegram-id" in readme


def test_the_readmes_test_section_says_how_long_and_which_skips_to_expect() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Running the tests")[1].split("\n## ")[0]
    assert "minutes" in section
    for folder in ("tests/browser", "tests/speech", "tests/process/test_deployment.py"):
        assert folder in section
