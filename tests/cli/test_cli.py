"""The command line, as an admin or a script would use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows import texts
from tests import seed
from tests.botapi import TOKEN, BotApiDouble, BotApiServer
from tests.harness import Harness
from tests.remote import free_port
from tests.waiting import until
from valuestory.usecases.out import plain

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """This machine's environment without our settings; any server listens on 127.0.0.1."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_", "VALUESTORY_", "LOG_",
                                 "WEBHOOK_", "HEALTH_"))}
    return {**base, "PYTHONPATH": str(ROOT), "WEBHOOK_LISTEN": "127.0.0.1",
            "HEALTH_PORT": str(free_port()), **extra}


def vs(*args: str, cwd: Path, env: dict[str, str] | None = None,
       stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "valuestory.cli", *args], cwd=cwd, capture_output=True, text=True,
        env=clean_env(**(env or {})), input=stdin, timeout=120,
    )


@pytest.fixture
def db_env(database_url: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url}


def test_admin_creates_community_event_and_role_with_json_for_scripts(
    tmp_path: Path, db_env: dict[str, str]
) -> None:
    made = vs("community", "create", "Diabetes in Pregnancy", "--timezone", "Europe/London",
              "--json", cwd=tmp_path, env=db_env)
    assert made.returncode == 0, made.stderr
    community = json.loads(made.stdout)
    assert community["name"] == "Diabetes in Pregnancy" and community["timezone"] == "Europe/London"
    assert len(community["invite_code"]) >= 16
    assert community["invite_link"].endswith(f"?start={community['invite_code']}")

    other = json.loads(vs("community", "create", "Frailty", "--json", cwd=tmp_path,
                          env=db_env).stdout)
    assert other["invite_code"] != community["invite_code"]

    event = vs("event", "create", "--community", "Diabetes in Pregnancy", "--title",
               "Winter session", "--starts", "2026-12-03 14:00", "--ends", "2026-12-03 16:00",
               "--json", cwd=tmp_path, env=db_env)
    assert event.returncode == 0, event.stderr
    assert json.loads(event.stdout)["starts"] == "2026-12-03T14:00:00+00:00"

    summer = vs("event", "create", "--community", str(community["id"]), "--title", "Summer",
                "--starts", "2026-07-01T10:00:00+02:00", "--ends", "2026-07-01 12:00", "--json",
                cwd=tmp_path, env=db_env)
    # An ISO time with an offset is taken as given; London is UTC+1 in July.
    assert json.loads(summer.stdout)["starts"] == "2026-07-01T09:00:00+01:00"

    listed = vs("event", "list", cwd=tmp_path, env=db_env)
    assert "Winter session" in listed.stdout and "Summer" in listed.stdout

    granted = vs("role", "grant", "4242", "convener", "--community", "Diabetes in Pregnancy",
                 "--json", cwd=tmp_path, env=db_env)
    assert json.loads(granted.stdout)["role"] == "convener"


def test_settings_are_read_from_a_dot_env_file_in_the_working_folder(
    tmp_path: Path, database_url: str
) -> None:
    (tmp_path / ".env").write_text(f"DATABASE_URL={database_url}\nVALUESTORY_TIMEZONE=Asia/Kolkata\n")
    made = json.loads(vs("community", "create", "Mumbai CoP", "--json", cwd=tmp_path).stdout)
    assert made["timezone"] == "Asia/Kolkata"


async def test_a_prompt_opened_from_the_command_line_is_sent_by_the_scheduler(
    tmp_path: Path, db_env: dict[str, str], harness: Harness
) -> None:
    from storage.models import utcnow
    from tests.clock import tick

    community = json.loads(vs("community", "create", "C", "--json", cwd=tmp_path,
                              env=db_env).stdout)
    event = json.loads(vs("event", "create", "--community", "C", "--title", "Spring meet",
                          "--starts", "2026-04-01 10:00", "--ends", "2026-04-01 12:00", "--json",
                          cwd=tmp_path, env=db_env).stdout)
    ray = harness.person(777)
    await ray.say(f"/start {community['invite_code']}")
    await ray.tap(texts.BTN_AGREE)
    opened = vs("prompt", "open", "--event", str(event["id"]), "--member", "777", "--json",
                cwd=tmp_path, env=db_env)
    assert len(json.loads(opened.stdout)["opened"]) == 1, opened.stderr
    again = vs("prompt", "open", "--event", str(event["id"]), "--json", cwd=tmp_path, env=db_env)
    assert json.loads(again.stdout)["opened"] == []  # one prompt per member per event
    # Quiet hours are switched off so the check does not depend on the time of day it runs.
    assert vs("community", "set", "C", "--quiet", "off", cwd=tmp_path, env=db_env).returncode == 0
    mark = len(ray.inbox)
    await tick(harness, utcnow())
    said = ray.texts_since(mark)
    assert len(said) == 1 and "Spring meet" in said[0] and "Question 1" in said[0]


def test_mistakes_stop_with_one_line_saying_what_to_fix(
    tmp_path: Path, db_env: dict[str, str]
) -> None:
    cases = [
        (("community", "create", "X", "--timezone", "Mars/Base"), db_env, "not a time zone"),
        (("event", "create", "--community", "Nowhere", "--title", "T", "--starts",
          "2026-12-03 14:00", "--ends", "2026-12-03 16:00"), db_env,
         texts.NO_SUCH_COMMUNITY.format(community="'Nowhere'")),
        (("event", "list",), {"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"},
         "can't use the database"),
        (("event", "list",), {"DATABASE_URL": "mysql://x"}, "DATABASE_URL must be"),
        (("run",), db_env, "TELEGRAM_BOT_TOKEN is not set"),
        (("run",), {**db_env, "TELEGRAM_BOT_TOKEN": "not-a-token"}, "does not look like"),
        (("run",), {**db_env, "TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_TELEGRAM_IDS": "12,abc"},
         "ADMIN_TELEGRAM_IDS"),
        (("run",), {**db_env, "TELEGRAM_BOT_TOKEN": TOKEN, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        (("run",), {**db_env, "TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_TELEGRAM_IDS": "1²"},
         "ADMIN_TELEGRAM_IDS"),
        (("community", "retention", "Any", "²"), db_env, "MONTHS must be"),
        (("run",), {**db_env, "TELEGRAM_BOT_TOKEN": TOKEN, "VOICE_ENGINE": "siri"},
         "VOICE_ENGINE must be one of pocketsphinx, whisper, off"),
        (("run",), {**db_env, "TELEGRAM_BOT_TOKEN": TOKEN, "VOICE_ENGINE": "whisper"},
         "VOICE_ENGINE=whisper needs VOICE_MODEL_DIR"),
        (("run",), {**db_env, "TELEGRAM_BOT_TOKEN": TOKEN, "VOICE_ENGINE": "whisper",
                    "VOICE_MODEL_DIR": str(tmp_path / "nowhere")}, "VOICE_ENGINE=whisper"),
    ]
    for args, env, expected in cases:
        result = vs(*args, cwd=tmp_path, env=env)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_a_token_telegram_rejects_stops_the_bot_with_one_line(
    tmp_path: Path, db_env: dict[str, str]
) -> None:
    double = BotApiDouble()
    double.rules.append(lambda method, params: (401, {"ok": False, "error_code": 401,
                                                      "description": "Unauthorized"}))
    with BotApiServer(double) as server:
        result = vs("run", cwd=tmp_path, env={**db_env, "TELEGRAM_BOT_TOKEN": TOKEN,
                                               "TELEGRAM_API_BASE_URL": server.base_url})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("valuestory: Telegram rejected")
    assert TOKEN not in result.stderr and TOKEN.split(":")[1] not in result.stderr


async def test_with_only_a_token_the_bot_creates_its_sqlite_database_in_the_working_folder(
    tmp_path: Path,
) -> None:
    double = BotApiDouble()
    with BotApiServer(double) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "valuestory.cli", "run"], cwd=tmp_path,
            env=clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=server.base_url),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            await until(lambda: double.count("getUpdates") >= 2, "the bot to poll Telegram twice",
                        every=0.05)
        finally:
            proc.terminate()
            out, _ = proc.communicate(timeout=30)
    assert double.count("getUpdates") >= 2, out
    assert (tmp_path / "valuestory.db").exists()
    menu = next(params["commands"] for method, params in double.calls if method == "setMyCommands")
    commands = {c["command"] for c in (json.loads(menu) if isinstance(menu, str) else menu)}
    assert {"help", "skip", "back", "later", "pause", "mydata", "withdraw", "language"} <= commands
    # And one menu per language, for apps set to it.
    assert sorted(str(params.get("language_code")) for method, params in double.calls
                  if method == "setMyCommands") == ["None", "ar", "es", "pl"]
    assert TOKEN not in out and TOKEN.split(":")[1] not in out
    listed = vs("community", "create", "After start", "--json", cwd=tmp_path)
    # The bot remembered its username, so invite links from the command line are complete.
    assert json.loads(listed.stdout)["invite_link"].startswith("https://t.me/valuestory_test_bot?")


def test_try_walks_through_the_member_conversation_and_shows_what_was_stored(
    tmp_path: Path,
) -> None:
    script = "\n".join([
        "1",  # I agree
        "1",  # Yes, I was there
        "Meeting the community midwives",
        "and the Q&A",
        "/next",
        "/skip",
        "2",  # A useful connection
        "d",  # Done
        "A dietitian from another trust",
        "/next",
        "Share the template with my team",
        "/next",
    ]) + "\n"
    result = vs("try", cwd=tmp_path, stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert plain(texts.PARTICIPANT_INFO.parts[0].format(community="Try-out community")) in out
    assert plain(texts.PROGRESS_SO_FAR.format(index=1)) in out
    assert seed.asked("attended", texts.TRY_EVENT_TITLE) in out
    assert texts.TRY_STORED in out
    stored = out.split(texts.TRY_STORED)[1]
    assert f"[{texts.CYCLE_NAMES['immediate']}]" in stored
    assert "  Meeting the community midwives\n  \n  and the Q&A" in stored
    assert f"[{texts.CYCLE_NAMES['potential']}]" in stored and "dietitian" in stored
    # What the member might do is a plan, shown apart from applied value.
    assert f"[{texts.MATRIX_PLANS}]" in stored and "Share the template" in stored
    assert f"[{texts.CYCLE_NAMES['applied']}]" not in stored
    assert not list(tmp_path.glob("*.db")), "try leaves no database behind by default"
