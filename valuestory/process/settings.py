"""Settings: one typed object, read from the environment and an optional .env file."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    # Where files (voice notes) are downloaded from; unset, it follows TELEGRAM_API_BASE_URL.
    telegram_file_base_url: str | None = None
    admin_telegram_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    valuestory_timezone: str = "Europe/London"
    log_level: str = "INFO"
    log_format: str = "text"
    # Running as a service: webhook mode, the small web server, and how long a stop may take.
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    health_port: int = Field(default=8080, ge=1, le=65535)
    shutdown_grace_seconds: float = Field(default=20.0, gt=0, le=600)
    # How often the scheduler looks for due work (it also looks at once on start).
    scheduler_interval_seconds: float = Field(default=30.0, gt=0, le=60)
    # Telegram's overall sending limit, messages a second; only a local Bot API server lifts it.
    telegram_max_rate: float = Field(default=30.0, gt=0)
    # Voice notes: which offline engine transcribes them (off: voice notes are not taken), and
    # for whisper the folder of a downloaded faster-whisper model.
    voice_engine: str = "pocketsphinx"
    voice_model_dir: str | None = None

    @field_validator("voice_engine")
    @classmethod
    def _voice_engine(cls, value: str) -> str:
        value = value.strip().lower() or "pocketsphinx"
        if value not in VOICE_ENGINES:
            raise ValueError(f"must be one of {', '.join(VOICE_ENGINES)}")
        return value

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
    # Where people reach this process's web server: the dashboard's sign-in links start here.
    public_url: str | None = None

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(re.fullmatch(r"-?[0-9]{1,18}", p) for p in parts):
                raise ValueError("must be Telegram user ids (numbers) separated by commas")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("valuestory_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("database_url")
    @classmethod
    def _async_url(cls, value: str) -> str:
        return async_database_url(value)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"must be {', '.join(LOG_LEVELS[:-1])} or {LOG_LEVELS[-1]}")
        return value.upper()

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value not in ("text", "json"):
            raise ValueError("must be text or json")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith("https://") and not value.startswith("http://"):
            raise ValueError("must be the public https:// address Telegram can reach")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be the https:// address people open the dashboard at")
        return value

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

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not WEBHOOK_SECRET_PATTERN.match(value.get_secret_value()):
            raise ValueError("must be 1 to 256 letters, digits, _ or -")
        return value

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


ENV_NAMES = {
    "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
    "database_url": "DATABASE_URL",
    "telegram_api_base_url": "TELEGRAM_API_BASE_URL",
    "admin_telegram_ids": "ADMIN_TELEGRAM_IDS",
    "valuestory_timezone": "VALUESTORY_TIMEZONE",
    "log_level": "LOG_LEVEL",
    "log_format": "LOG_FORMAT",
    "webhook_url": "WEBHOOK_URL",
    "webhook_listen": "WEBHOOK_LISTEN",
    "webhook_port": "WEBHOOK_PORT",
    "webhook_secret": "WEBHOOK_SECRET",
    "health_port": "HEALTH_PORT",
    "shutdown_grace_seconds": "SHUTDOWN_GRACE_SECONDS",
    "scheduler_interval_seconds": "SCHEDULER_INTERVAL_SECONDS",
    "telegram_max_rate": "TELEGRAM_MAX_RATE",
    "telegram_file_base_url": "TELEGRAM_FILE_BASE_URL",
    "voice_engine": "VOICE_ENGINE",
    "voice_model_dir": "VOICE_MODEL_DIR",
    "public_url": "PUBLIC_URL",
}


def load_settings() -> Settings:
    """Read settings, turning a validation error into one line naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "setting"
        name = ENV_NAMES.get(field, field.upper())
        message = str(err["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name} {message}") from None
