"""Settings: one typed object (pydantic-settings), read from the environment and an optional .env.

Given values win, then the environment (names in any case, as deployers type them), then .env,
then the defaults. A value that will not do stops the start with `SettingsError`: one line naming
the variable and saying what to fix, never the value itself (it may be a secret).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import SplitResult, urlsplit

from pydantic import BeforeValidator, SecretStr, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from valuestory.usecases.parsing import check_timezone, parse_email

__all__ = ["ENV_NAMES", "SecretStr", "Settings", "SettingsError", "async_database_url",
           "load_settings"]

# A token is the bot's number, a colon and a 35-character secret; a little slack on both lengths.
TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,60}$")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///valuestory.db"
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_PATH = "/telegram"
# The levels LOG_LEVEL accepts, as the README lists them.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
VOICE_ENGINES = ("pocketsphinx", "whisper", "off")


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


class SettingsError(Exception):
    """A setting that stops the bot from starting, with one line saying what to fix."""


# --- How each kind of value is read from its text, and checked ------------------------------
# Each check runs before pydantic's own, so a deployer reads our words, not a validator's.


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


def _switch(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("", "0", "false", "no", "off"):
        return False
    raise ValueError("must be 1 (on) or 0 (off)")


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


def _smtp_url(value: Any) -> SecretStr | None:
    """`smtp://user:password@host:port` (STARTTLS) or `smtps://` (TLS from the start), checked
    without ever echoing it: its password is a secret."""
    secret = _secret(value)
    if secret is None or not secret.get_secret_value().strip():
        return None
    try:
        parts = urlsplit(secret.get_secret_value().strip())
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:
        raise ValueError("must be smtp://user:password@host:port or smtps://...; "
                         "a port must be a number from 1 to 65535") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("must start with smtp:// (STARTTLS) or smtps:// (TLS from the start)")
    if not parts.hostname:
        raise ValueError("must name the mail server: smtp://user:password@host:port")
    if bool(parts.username) != bool(parts.password):
        raise ValueError("must give both a user and a password, or neither")
    return SecretStr(secret.get_secret_value().strip())


def _mail_from(value: Any) -> str | None:
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    found = re.fullmatch(r"(?:(?P<name>[^<>]*)<(?P<inner>[^<>]+)>|(?P<bare>[^<>]+))", value)
    address = (found.group("inner") or found.group("bare")).strip() if found else ""
    if parse_email(address) is None:
        raise ValueError("must be an address like valuestory@example.org, "
                         "or a name and one: Our CoP <valuestory@example.org>")
    return value


def _checked(check: Callable[[Any], Any]) -> BeforeValidator:
    return BeforeValidator(check)


def _text(value: Any) -> Any:
    return None if value is None else str(value)


Secret = Annotated[SecretStr | None, _checked(_secret)]
Port = Annotated[int, _checked(_number(int, 1, 65535))]


class Settings(BaseSettings):
    """Every setting, typed: given values first, then the environment, then .env, then defaults."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", case_sensitive=False, extra="ignore",
        frozen=True, hide_input_in_errors=True,
    )

    telegram_bot_token: Secret = None
    database_url: Annotated[str, _checked(lambda v: async_database_url(str(v)))] = \
        DEFAULT_DATABASE_URL
    telegram_api_base_url: Annotated[str, _checked(str)] = "https://api.telegram.org/bot"
    # Where files (voice notes) are downloaded from; unset, it follows TELEGRAM_API_BASE_URL.
    telegram_file_base_url: Annotated[str | None, _checked(_text)] = None
    admin_telegram_ids: Annotated[frozenset[int], NoDecode, _checked(_ids)] = frozenset()
    valuestory_timezone: Annotated[str, _checked(lambda v: check_timezone(str(v)))] = \
        "Europe/London"
    log_level: Annotated[str, _checked(_log_level)] = "INFO"
    log_format: Annotated[str, _checked(_log_format)] = "text"
    # Running as a service: webhook mode, the small web server, and how long a stop may take.
    webhook_url: Annotated[
        str | None, _checked(_address("the public https:// address Telegram can reach"))] = None
    webhook_listen: Annotated[str, _checked(str)] = "0.0.0.0"
    webhook_port: Port = 8080
    webhook_secret: Annotated[SecretStr | None, _checked(_webhook_secret)] = None
    health_port: Port = 8080
    shutdown_grace_seconds: Annotated[
        float, _checked(_number(float, 0, 600, low_open=True))] = 20.0
    # How often the scheduler looks for due work (it also looks at once on start).
    scheduler_interval_seconds: Annotated[
        float, _checked(_number(float, 0, 60, low_open=True))] = 30.0
    # Telegram's overall sending limit, messages a second; only a local Bot API server lifts it.
    telegram_max_rate: Annotated[float, _checked(_number(float, 0, None, low_open=True))] = 30.0
    # Voice notes: which offline engine transcribes them (off: voice notes are not taken), and
    # for whisper the folder of a downloaded faster-whisper model.
    voice_engine: Annotated[str, _checked(_voice_engine)] = "pocketsphinx"
    voice_model_dir: Annotated[str | None, _checked(_text)] = None
    # Where people reach this process's web server: the dashboard's sign-in links start here.
    public_url: Annotated[
        str | None, _checked(_address("the https:// address people open the dashboard at"))] = None
    # Email, for members without Telegram: the mail server (its password a secret) and who the
    # emails come from.
    smtp_url: Annotated[SecretStr | None, _checked(_smtp_url)] = None
    mail_from: Annotated[str | None, _checked(_mail_from)] = None
    # SQLAlchemy's stock path for the statements our own code says to the database driver
    # itself (where it is faster): the library's way, one setting away.
    valuestory_stock_io: Annotated[bool, _checked(_switch)] = False

    def __init__(self, _env_file: str | Path | None = ".env", **given: Any) -> None:
        unknown = set(given) - set(type(self).model_fields)
        if unknown:
            raise TypeError(f"no such setting: {', '.join(sorted(unknown))}")
        try:
            super().__init__(_env_file=_env_file, **given)
        except ValidationError as error:
            raise SettingsError(_one_line(error)) from None

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with some settings changed (checked as if given), the environment not read."""
        return Settings(None, **{**{name: getattr(self, name) for name in ENV_NAMES}, **changes})

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

    def mail_server(self) -> SplitResult | None:
        """SMTP_URL taken apart (None if unset); raises SettingsError if MAIL_FROM is missing."""
        if self.smtp_url is None:
            return None
        if self.mail_from is None:
            raise SettingsError(
                "MAIL_FROM is not set: give the address emails come from (for example "
                "valuestory@example.org), as SMTP_URL is set")
        return urlsplit(self.smtp_url.get_secret_value())

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


ENV_NAMES = {name: name.upper() for name in Settings.model_fields}


def _one_line(error: ValidationError) -> str:
    """The first thing wrong, as one line naming the variable; the value given never shown."""
    first = error.errors(include_input=False, include_url=False)[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    cause = (first.get("ctx") or {}).get("error")
    said = str(cause) if isinstance(cause, ValueError) else first["msg"].lower()
    return f"{ENV_NAMES.get(name, name.upper())} {said}".strip()


def load_settings() -> Settings:
    """Read settings; a value that will not do raises SettingsError naming the variable."""
    return Settings()
