"""Where voice notes are downloaded from, and which engine hears them, as the deployer sets it."""

from __future__ import annotations

import pytest

from valuestory.process.settings import SettingsError, load_settings


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "https://api.telegram.org/file/bot"),
    ({"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot"}, "http://127.0.0.1:8081/file/bot"),
    ({"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot/"}, "http://127.0.0.1:8081/file/bot"),
    ({"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
      "TELEGRAM_FILE_BASE_URL": "http://files.local/file/bot"}, "http://files.local/file/bot"),
])
def test_files_are_fetched_beside_the_api_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str,
) -> None:
    for name in ("TELEGRAM_API_BASE_URL", "TELEGRAM_FILE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir("/")  # no .env
    assert load_settings().file_base_url() == expected


def test_an_unknown_voice_engine_is_one_line_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICE_ENGINE", "siri")
    monkeypatch.chdir("/")
    with pytest.raises(SettingsError, match=r"^VOICE_ENGINE must be one of pocketsphinx, whisper, off$"):
        load_settings()
    monkeypatch.setenv("VOICE_ENGINE", " Off ")
    assert load_settings().voice_engine == "off"
