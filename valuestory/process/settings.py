"""Settings: one typed object, read from the environment and an optional .env file.

Read by hand rather than by a settings library: each setting is a line in `FIELDS`, and the bot
process carries no validation framework in memory for a score of values read once at start.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from valuestory.usecases.parsing import check_timezone

# A token is the bot's number, a colon and a 35-character secret; a little slack on both lengths.
TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,60}$")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///valuestory.db"
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_PATH = "/telegram"
# The levels LOG_LEVEL accepts, as the README lists them.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def async_database_url(value: str) -> str:
    """A database URL with its async driver; raises ValueError unless it is SQLite or PostgreSQL.

    Accepts the URLs people copy from elsewhere (`sqlite:///x.db`, `postgresql://...`) and picks
    the async driver for them, wherever a URL is given: DATABASE_URL or `try --database`.
    """
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if value.startswith(plain):
            return driver + value[len(plain):]
    if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError("must be a sqlite:// or postgresql:// URL")
    return value
VOICE_ENGINES = ("pocketsphinx", "whisper", "off")


class SettingsError(Exception):
    """A setting that stops the bot from starting, with one line saying what to fix."""


class SecretStr:
    """A secret (the bot token, the webhook secret) that never shows itself in a repr or a log."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')" if self._value else "SecretStr('')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and hmac.compare_digest(self._value.encode(),
                                                                    other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)


# --- How each kind of value is read from its text, and checked ------------------------------


def _number(kind: type[int] | type[float], low: float, high: float | None,
            low_open: bool = False) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = kind(value.strip())
            except ValueError:
                raise ValueError(f"must be a {'whole ' if kind is int else ''}number") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError("must be a number")
        if (value <= low if low_open else value < low) or (high is not None and value > high):
            above = f"more than {low:g}" if low_open else f"at least {low:g}"
            raise ValueError(f"must be {above}" + (f" and at most {high:g}" if high else ""))
        return kind(value)

    return check


def _text(value: Any) -> str:
    return str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _secret(value: Any) -> SecretStr | None:
    if value is None or isinstance(value, SecretStr):
        return value
    return SecretStr(str(value))


def _ids(value: Any) -> frozenset[int]:
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if not all(re.fullmatch(r"-?[0-9]{1,18}", p) for p in parts):
            raise ValueError("must be Telegram user ids (numbers) separated by commas")
        return frozenset(int(p) for p in parts)
    return frozenset(int(i) for i in value)


def _voice_engine(value: Any) -> str:
    value = str(value).strip().lower() or "pocketsphinx"
    if value not in VOICE_ENGINES:
        raise ValueError(f"must be one of {', '.join(VOICE_ENGINES)}")
    return value


def _log_level(value: Any) -> str:
    if str(value).upper() not in LOG_LEVELS:
        raise ValueError(f"must be {', '.join(LOG_LEVELS[:-1])} or {LOG_LEVELS[-1]}")
    return str(value).upper()


def _log_format(value: Any) -> str:
    if value not in ("text", "json"):
        raise ValueError("must be text or json")
    return str(value)


def _address(why: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is None or not str(value).strip():
            return None
        value = str(value).strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"must be {why}")
        return str(value)

    return check


def _webhook_secret(value: Any) -> SecretStr | None:
    secret = _secret(value)
    if secret is None or not secret.get_secret_value():
        return None
    if not WEBHOOK_SECRET_PATTERN.match(secret.get_secret_value()):
        raise ValueError("must be 1 to 256 letters, digits, _ or -")
    return secret


@dataclass(frozen=True)
class Field:
    """One setting: its attribute, the variable it is read from, its default and its check."""

    name: str
    env: str
    default: Any
    check: Callable[[Any], Any]


FIELDS: tuple[Field, ...] = (
    Field("telegram_bot_token", "TELEGRAM_BOT_TOKEN", None, _secret),
    Field("database_url", "DATABASE_URL", DEFAULT_DATABASE_URL,
          lambda v: async_database_url(str(v))),
    Field("telegram_api_base_url", "TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot", _text),
    # Where files (voice notes) are downloaded from; unset, it follows TELEGRAM_API_BASE_URL.
    Field("telegram_file_base_url", "TELEGRAM_FILE_BASE_URL", None, _optional_text),
    Field("admin_telegram_ids", "ADMIN_TELEGRAM_IDS", frozenset(), _ids),
    Field("valuestory_timezone", "VALUESTORY_TIMEZONE", "Europe/London",
          lambda v: check_timezone(str(v))),
    Field("log_level", "LOG_LEVEL", "INFO", _log_level),
    Field("log_format", "LOG_FORMAT", "text", _log_format),
    # Running as a service: webhook mode, the small web server, and how long a stop may take.
    Field("webhook_url", "WEBHOOK_URL", None,
          _address("the public https:// address Telegram can reach")),
    Field("webhook_listen", "WEBHOOK_LISTEN", "0.0.0.0", _text),
    Field("webhook_port", "WEBHOOK_PORT", 8080, _number(int, 1, 65535)),
    Field("webhook_secret", "WEBHOOK_SECRET", None, _webhook_secret),
    Field("health_port", "HEALTH_PORT", 8080, _number(int, 1, 65535)),
    Field("shutdown_grace_seconds", "SHUTDOWN_GRACE_SECONDS", 20.0,
          _number(float, 0, 600, low_open=True)),
    # How often the scheduler looks for due work (it also looks at once on start).
    Field("scheduler_interval_seconds", "SCHEDULER_INTERVAL_SECONDS", 30.0,
          _number(float, 0, 60, low_open=True)),
    # Telegram's overall sending limit, messages a second; only a local Bot API server lifts it.
    Field("telegram_max_rate", "TELEGRAM_MAX_RATE", 30.0, _number(float, 0, None, low_open=True)),
    # Voice notes: which offline engine transcribes them (off: voice notes are not taken), and
    # for whisper the folder of a downloaded faster-whisper model.
    Field("voice_engine", "VOICE_ENGINE", "pocketsphinx", _voice_engine),
    Field("voice_model_dir", "VOICE_MODEL_DIR", None, _optional_text),
    # Where people reach this process's web server: the dashboard's sign-in links start here.
    Field("public_url", "PUBLIC_URL", None,
          _address("the https:// address people open the dashboard at")),
)
ENV_NAMES = {f.name: f.env for f in FIELDS}


def read_env_file(path: str | Path) -> dict[str, str]:
    """`NAME=value` lines of a .env file: blank lines, `#` comments, `export` and quotes allowed."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    found: dict[str, str] = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        name = name.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        found[name.upper()] = value
    return found


class Settings:
    """Every setting, typed: given values first, then the environment, then .env, then defaults.

    Variable names are matched whatever their case, as deployers type them.
    """

    telegram_bot_token: SecretStr | None
    database_url: str
    telegram_api_base_url: str
    telegram_file_base_url: str | None
    admin_telegram_ids: frozenset[int]
    valuestory_timezone: str
    log_level: str
    log_format: str
    webhook_url: str | None
    webhook_listen: str
    webhook_port: int
    webhook_secret: SecretStr | None
    health_port: int
    shutdown_grace_seconds: float
    scheduler_interval_seconds: float
    telegram_max_rate: float
    voice_engine: str
    voice_model_dir: str | None
    public_url: str | None

    def __init__(self, _env_file: str | Path | None = ".env", **given: Any) -> None:
        unknown = set(given) - set(ENV_NAMES)
        if unknown:
            raise TypeError(f"no such setting: {', '.join(sorted(unknown))}")
        environment = {k.upper(): v for k, v in os.environ.items()}
        from_file = read_env_file(_env_file) if _env_file is not None else {}
        for f in FIELDS:
            if f.name in given:
                raw = given[f.name]
            elif f.env in environment:
                raw = environment[f.env]
            elif f.env in from_file:
                raw = from_file[f.env]
            else:
                setattr(self, f.name, f.default)
                continue
            try:
                setattr(self, f.name, f.check(raw))
            except ValueError as exc:
                raise SettingsError(f"{f.env} {exc}") from None

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with some settings changed (checked as if given), the environment not read."""
        values: Mapping[str, Any] = {f.name: getattr(self, f.name) for f in FIELDS}
        return Settings(None, **{**values, **changes})

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in FIELDS)
        return f"Settings({shown})"

    def file_base_url(self) -> str:
        """The base of file download addresses, as python-telegram-bot's `base_file_url` takes it.

        Telegram serves files at .../file/bot<token>/<path> beside the API's .../bot<token>/.
        """
        if self.telegram_file_base_url:
            return self.telegram_file_base_url.strip()
        api = self.telegram_api_base_url.rstrip("/")
        if api.endswith("/bot"):
            return api[: -len("/bot")] + "/file/bot"
        return api + "/file/bot"

    def public_base(self, webhook: bool) -> str:
        """The address the dashboard's links start with.

        PUBLIC_URL; else, taking updates by webhook, WEBHOOK_URL (the same server); else the
        local web server, which only this machine can open.
        """
        if self.public_url is not None:
            return self.public_url
        if webhook and self.webhook_url is not None:
            return self.webhook_url
        return f"http://127.0.0.1:{self.health_port}"

    def webhook_secret_token(self) -> str:
        """The secret Telegram sends with every webhook call: set, or derived from the token.

        Derived with HMAC so every replica with the same token agrees without sharing a file.
        """
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        return hmac.new(self.bot_token().encode(), b"valuestory webhook secret",
                        hashlib.sha256).hexdigest()

    def webhook_endpoint(self) -> str:
        """The full address Telegram posts updates to."""
        if self.webhook_url is None:
            raise SettingsError(
                "WEBHOOK_URL is not set: give the public https:// address of this bot "
                "(for example https://bot.example.org) to run with --webhook"
            )
        if self.webhook_url.startswith("http://") and self.uses_telegrams_own_api():
            raise SettingsError(
                "WEBHOOK_URL must start with https://: Telegram only posts updates to https "
                "addresses (plain http works only with your own Bot API server)"
            )
        return self.webhook_url + WEBHOOK_PATH

    def uses_telegrams_own_api(self) -> bool:
        """Whether updates come from Telegram's servers rather than a self-hosted Bot API server."""
        return urlsplit(self.telegram_api_base_url).hostname == "api.telegram.org"

    def bot_token(self) -> str:
        """The token, checked; raises SettingsError saying what to fix."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and put it in the "
                "environment or in .env"
            )
        token = self.telegram_bot_token.get_secret_value().strip()
        if not TOKEN_PATTERN.match(token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token: a real one is the bot's "
                "number, a colon, then 35 letters, digits, - or _; copy it from @BotFather"
            )
        return token


def load_settings() -> Settings:
    """Read settings; a value that will not do raises SettingsError naming the variable."""
    return Settings()
