"""The compose file a deployer starts from: accepted by Compose, PostgreSQL 16 with a health check
and a volume, migrations applied before the bot starts."""

from __future__ import annotations

import shutil
import subprocess
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
    result = subprocess.run([*compose, "config", "-q"], cwd=ROOT, capture_output=True, text=True)
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
