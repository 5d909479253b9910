"""Where each setting comes from, and what a deployer is told when one will not do."""

from __future__ import annotations

from pathlib import Path

import pytest

from valuestory.process.settings import ENV_NAMES, SettingsError, load_settings

TOKEN = "123456:" + "A" * 35


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting in the environment, and a working folder with no .env yet."""
    for name in ENV_NAMES.values():
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_environment_wins_over_dot_env_which_wins_over_defaults(
    clean: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    (clean / ".env").write_text(
        "# the bot's settings\n"
        "\n"
        f"export TELEGRAM_BOT_TOKEN='{TOKEN}'\n"
        'VALUESTORY_TIMEZONE="Asia/Kolkata"\n'
        "HEALTH_PORT=9090  # the web server\n"
        "LOG_LEVEL=debug\n"
    )
    monkeypatch.setenv("log_level", "warning")  # any case, as deployers type it
    settings = load_settings()
    assert settings.bot_token() == TOKEN
    assert settings.valuestory_timezone == "Asia/Kolkata"
    assert settings.health_port == 9090
    assert settings.log_level == "WARNING"
    assert settings.webhook_port == 8080 and settings.telegram_max_rate == 30.0
    assert settings.database_url == "sqlite+aiosqlite:///valuestory.db"


def test_a_changed_copy_keeps_the_rest_and_checks_the_change(clean: Path) -> None:
    settings = load_settings()
    changed = settings.with_changes(public_url="https://cop.example.org/", health_port="8181")
    assert changed.public_url == "https://cop.example.org" and changed.health_port == 8181
    assert changed.valuestory_timezone == settings.valuestory_timezone
    assert settings.public_url is None
    with pytest.raises(SettingsError, match=r"^PUBLIC_URL must be the https:// address"):
        settings.with_changes(public_url="cop.example.org")


@pytest.mark.parametrize(("name", "value", "message"), [
    ("HEALTH_PORT", "eighty", "HEALTH_PORT must be a whole number"),
    ("WEBHOOK_PORT", "70000", "WEBHOOK_PORT must be at least 1 and at most 65535"),
    ("TELEGRAM_MAX_RATE", "0", "TELEGRAM_MAX_RATE must be more than 0"),
    ("SCHEDULER_INTERVAL_SECONDS", "nan", "SCHEDULER_INTERVAL_SECONDS must be a number"),
    ("SHUTDOWN_GRACE_SECONDS", "601", "SHUTDOWN_GRACE_SECONDS must be more than 0 and at most 600"),
    ("DATABASE_URL", "mysql://x", "DATABASE_URL must be a sqlite:// or postgresql:// URL"),
    ("VALUESTORY_TIMEZONE", "Mars/Olympus", "VALUESTORY_TIMEZONE 'Mars/Olympus' is not a time zone"),
    ("LOG_FORMAT", "xml", "LOG_FORMAT must be text or json"),
])
def test_a_value_that_will_not_do_is_one_line_naming_the_variable(
    clean: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str,
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_secrets_never_show_themselves(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_SECRET", "chosen_secret-1")
    settings = load_settings()
    shown = repr(settings) + str(settings.telegram_bot_token) + repr(settings.webhook_secret)
    assert TOKEN not in shown and TOKEN.split(":")[1] not in shown
    assert "chosen_secret-1" not in shown
    assert settings.webhook_secret_token() == "chosen_secret-1"


def test_a_refused_secret_is_named_but_never_shown(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_SECRET", "my very secret phrase!")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    line = str(caught.value)
    assert line.startswith("WEBHOOK_SECRET must be 1 to 256 letters")
    assert "my very secret phrase" not in line and TOKEN not in line
    # Nor in what it was raised from, should a traceback ever be printed.
    assert "my very secret phrase" not in str(caught.value.__context__)
