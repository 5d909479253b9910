"""Conveners' scheduling settings from the command line: delay, reminder, window, quiet hours,
digest time and retention, shown back in words and as JSON, and used by the scheduler."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from flows import texts
from valuestory.cli import main


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(str(tmp_path))  # no .env from the working folder
    return CliRunner()


def test_convener_changes_scheduling_settings_and_sees_them(cli: CliRunner) -> None:
    created = cli.invoke(main, ["community", "create", "Frailty Network", "--timezone",
                                "Europe/Paris", "--json"])
    assert created.exit_code == 0, created.output
    community_id = json.loads(created.output)["id"]

    result = cli.invoke(main, ["community", "set", "Frailty Network", "--delay", "90m",
                               "--reminder", "2d", "--window", "10d", "--quiet", "21:30-7:00",
                               "--digest", "friday 16:30", "--retention-months", "24"])
    assert result.exit_code == 0, result.output
    assert "ask 90m after each event ends, nudge once after 2d, close after 10d" in result.output
    assert "quiet hours: 21:30-07:00" in result.output
    assert "weekly digest: friday 16:30" in result.output
    assert "retention: 24 months" in result.output

    shown = cli.invoke(main, ["community", "set", str(community_id), "--quiet", "off",
                              "--retention-months", "keep", "--json"])
    data = json.loads(shown.output)
    assert data["prompt_delay_minutes"] == 90 and data["reminder_after_hours"] == 48
    assert data["window_days"] == 10 and data["quiet_hours"] == "off"
    assert data["digest"] == "friday 16:30" and data["retention_months"] is None


def test_a_community_that_keeps_voice_recordings_says_so_and_can_stop(cli: CliRunner) -> None:
    cli.invoke(main, ["community", "create", "Voices", "--timezone", "Europe/London"])
    result = cli.invoke(main, ["community", "set", "Voices", "--keep-audio", "on"])
    assert result.exit_code == 0, result.output
    assert "voice notes: recordings kept with their transcripts" in result.output
    shown = cli.invoke(main, ["community", "set", "Voices", "--keep-audio", "off", "--json"])
    assert json.loads(shown.output)["keep_audio"] is False
    wrong = cli.invoke(main, ["community", "set", "Voices", "--keep-audio", "maybe"])
    assert wrong.exit_code == 2 and wrong.output.strip().splitlines() == [
        "valuestory: --keep-audio takes on or off"]


def test_a_community_lets_its_conveners_code_and_can_stop(cli: CliRunner) -> None:
    cli.invoke(main, ["community", "create", "Coders", "--timezone", "Europe/London"])
    result = cli.invoke(main, ["community", "set", "Coders", "--conveners-code", "on"])
    assert result.exit_code == 0, result.output
    assert "coding: researchers and conveners" in result.output
    shown = cli.invoke(main, ["community", "set", "Coders", "--conveners-code", "off", "--json"])
    assert json.loads(shown.output)["conveners_code"] is False
    wrong = cli.invoke(main, ["community", "set", "Coders", "--conveners-code", "yes please"])
    assert wrong.exit_code == 2 and wrong.output.strip().splitlines() == [
        "valuestory: --conveners-code takes on or off"]


@pytest.mark.parametrize(("args", "message"), [
    (["--delay", "soon"], "--delay takes a duration like 90m, 2h or 7d"),
    (["--window", "36h"], "--window takes whole days"),
    (["--quiet", "22:00"], "--quiet takes"),
    (["--quiet", "25:00-07:00"], "--quiet takes a time like 20:00"),
    (["--digest", "someday 09:00"], "--digest takes a day and time"),
    (["--retention-months", "forever"], "--retention-months takes a number of months, or keep"),
    (["--reminder", "8d"], "the reminder must come before the prompt closes"),
    (["--window", "61d"], "--window can be at most 60d"),
    (["--delay", "8d"], "--delay can be at most 7d"),
    (["--delay", "²"], "--delay takes a duration like 90m, 2h or 7d"),
    (["--delay", "9" * 30], "--delay takes a duration like 90m, 2h or 7d"),
    (["--quiet", "²0:00-08:00"], "--quiet takes a time like 20:00"),
    (["--digest", "monday ²:00"], "--digest takes a day and time"),
    (["--retention-months", "²"], "--retention-months takes a number of months, or keep"),
])
def test_bad_settings_are_refused_in_one_line_and_nothing_changes(
    cli: CliRunner, args: list[str], message: str,
) -> None:
    cli.invoke(main, ["community", "create", "Frailty Network", "--timezone", "Europe/London"])
    result = cli.invoke(main, ["community", "set", "Frailty Network", *args])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    unchanged = json.loads(cli.invoke(main, ["community", "set", "Frailty Network", "--json"]).output)
    assert unchanged["prompt_delay_minutes"] == 120 and unchanged["window_days"] == 7
    assert unchanged["quiet_hours"] == "20:00-08:00" and unchanged["retention_months"] is None


def test_durations_read_the_same_as_in_telegram(cli: CliRunner) -> None:
    """One syntax for durations everywhere (on the command line a number needs its unit, as
    a convener would expect: `--delay 2` must not quietly mean two minutes)."""
    cli.invoke(main, ["community", "create", "Frailty Network", "--timezone", "Europe/London"])
    result = cli.invoke(main, ["community", "set", "Frailty Network", "--delay", "1h30",
                               "--reminder", "36h", "--window", "14d", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["prompt_delay_minutes"], data["reminder_after_hours"], data["window_days"]) == (
        90, 36, 14)


def test_unknown_community_is_named(cli: CliRunner) -> None:
    result = cli.invoke(main, ["community", "set", "Nowhere", "--delay", "1h"])
    assert result.exit_code == 2 and texts.NO_SUCH_COMMUNITY.format(community="'Nowhere'") in result.output
