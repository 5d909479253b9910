"""The compose file a deployer starts from: accepted by Compose, PostgreSQL 16 with a health check
and a volume, migrations applied before the bot starts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(
        ["docker", "compose", "version"], capture_output=True
    ).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_accepts_the_file() -> None:
    compose = _compose()
    if compose is None:
        pytest.skip("no Docker Compose on this machine")
    env = {**os.environ, "POSTGRES_PASSWORD": "pw"}
    with tempfile.TemporaryDirectory() as tmp:
        # Compose reads .env beside the file; a deployer copies it from .env.example.
        shutil.copy(ROOT / "docker-compose.yml", Path(tmp) / "docker-compose.yml")
        shutil.copy(ROOT / ".env.example", Path(tmp) / ".env")
        result = subprocess.run([*compose, "config", "-q"], cwd=tmp, capture_output=True,
                                text=True, env=env)
    assert result.returncode == 0, result.stderr


def test_compose_runs_postgres_16_with_health_check_and_volume_and_migrates_first() -> None:
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    db, migrate, bot = (spec["services"][name] for name in ("db", "migrate", "bot"))
    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.startswith("pgdata:") for v in db["volumes"]) and "pgdata" in spec["volumes"]
    assert migrate["command"] == ["valuestory", "db", "upgrade"]
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert bot["healthcheck"]["test"] == ["CMD", "valuestory", "health"]
    assert (ROOT / "Dockerfile").read_text().count("valuestory") >= 1


def _documented_settings() -> set[str]:
    """Every variable in README's configuration table, and every field of the Settings class."""
    from valuestory.process.settings import ENV_NAMES, Settings

    assert set(ENV_NAMES) == set(Settings.__annotations__), "each setting needs its variable name"
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    in_readme = {name for line in table.splitlines() if line.startswith("| `")
                 for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])}
    assert in_readme == set(ENV_NAMES.values()), "README's table and Settings disagree"
    return in_readme


def _config(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    compose = _compose()
    if compose is None:
        pytest.skip("no Docker Compose on this machine")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    clean = {k: v for k, v in os.environ.items() if k not in env and k != "POSTGRES_PASSWORD"}
    return subprocess.run([*compose, "config"], cwd=tmp_path, capture_output=True, text=True,
                          env=clean)


def test_every_documented_setting_in_dotenv_reaches_the_bot_and_migrations(tmp_path: Path) -> None:
    names = _documented_settings() - {"DATABASE_URL"}
    # A value for each that no default could produce, so arriving proves it was passed through.
    env = {name: f"from-dotenv-{i}" for i, name in enumerate(sorted(names))}
    env["POSTGRES_PASSWORD"] = "s3cretpw"
    env["DATABASE_URL"] = "sqlite:///ignored-in-compose.db"
    result = _config(tmp_path, env)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for service in ("bot", "migrate"):
        environment = services[service]["environment"]
        missing = {n for n in names if environment.get(n) != env[n]}
        assert not missing, f"{service} never gets {sorted(missing)}"
        assert environment["DATABASE_URL"] == "postgresql://valuestory:s3cretpw@db:5432/valuestory"
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "s3cretpw"


def test_compose_refuses_to_start_without_a_postgres_password(tmp_path: Path) -> None:
    result = _config(tmp_path, {"TELEGRAM_BOT_TOKEN": "123:abc"})
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_env_example_lists_every_setting_and_the_postgres_password() -> None:
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert _documented_settings() | {"POSTGRES_PASSWORD"} <= listed
