"""Webhook and polling modes, /healthz and /metrics, on the real Application and web server."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.service import Service
from storage.db import Database
from storage.models import HandledUpdate, Member, Narrative, utcnow
from tests import seed
from tests.botapi import BotApiDouble, DoubleRequest
from tests.harness import Person
from tests.waiting import until
from valuestory.process import health
from valuestory.process.metrics import METRICS, Metrics
from valuestory.process.settings import Settings

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_ids = itertools.count(9_000_000)


def webhook_settings(settings: Settings) -> Settings:
    return settings.with_changes(webhook_url="https://bot.example.org")


class Webhook:
    """Telegram posting updates to one in-process service."""

    def __init__(self, service: Service, double: BotApiDouble) -> None:
        self.service = service
        self.double = double
        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{service.port}")

    async def post(self, data: dict[str, Any], secret: str | None) -> httpx.Response:
        data.setdefault("update_id", next(_ids))
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return await self.client.post("/telegram", json=data, headers=headers)

    async def feed(self, data: dict[str, Any]) -> None:
        response = await self.post(data, self.service.secret)
        assert response.status_code == 200

    def person(self, user_id: int) -> Person:
        return Person(self, user_id, "Robin", "robin_rn")  # type: ignore[arg-type]


@pytest.fixture
async def webhook(settings: Settings, db: Database) -> AsyncIterator[Webhook]:
    double = BotApiDouble()
    service = Service(webhook_settings(settings), db, webhook=True, request=DoubleRequest(double),
                      listen="127.0.0.1", port=0)
    await service.start()
    hook = Webhook(service, double)
    yield hook
    await hook.client.aclose()
    await service.stop()


async def test_webhook_is_set_with_a_secret_and_updates_with_it_are_handled(
    webhook: Webhook, db: Database,
) -> None:
    [(_, params)] = [c for c in webhook.double.calls if c[0] == "setWebhook"]
    assert params["url"] == "https://bot.example.org/telegram"
    assert params["secret_token"] == webhook.service.secret and len(webhook.service.secret) >= 32
    assert "callback_query" in params["allowed_updates"]

    community = await seed.community(db)
    robin = webhook.person(601)
    replies = await robin.say(f"/start {community.invite_code}")
    assert "Joining Diabetes in Pregnancy" in replies[0]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
async def test_update_without_the_right_secret_is_refused_and_changes_nothing(
    webhook: Webhook, db: Database, secret: str | None,
) -> None:
    community = await seed.community(db)
    robin = webhook.person(602)
    await seed.join(robin, community)
    event = await seed.event(db, community)
    await seed.open_prompt(db, robin, event)
    await robin.say("/continue")
    await robin.tap(seed.THERE)
    seen = len(robin.inbox)
    refused = METRICS.value("valuestory_webhook_rejected_total")

    forged = robin.message(text="Forged answer that must not be kept")
    response = await webhook.post({"message": forged}, secret)

    assert response.status_code == 403
    assert len(robin.inbox) == seen  # nothing said to the member
    async with db.session() as s:
        assert await s.scalar(select(func.count(Narrative.id))) == 0
        assert await s.get(HandledUpdate, f"m|{robin.user_id}|{forged['message_id']}") is None
    assert METRICS.value("valuestory_webhook_rejected_total") == refused + 1
    # The same update with the right secret is taken: refusing it did not mark it handled.
    assert (await webhook.post({"message": forged}, webhook.service.secret)).status_code == 200
    async with db.session() as s:
        assert (await s.scalars(select(Narrative.text))).all() == [
            "Forged answer that must not be kept"]


async def test_metrics_count_updates_answers_and_errors_in_prometheus_text(
    webhook: Webhook, db: Database,
) -> None:
    before = {name: METRICS.value(name) for name in (
        "valuestory_updates_handled_total", "valuestory_answers_stored_total")}
    community = await seed.community(db)
    event = await seed.event(db, community)
    robin = webhook.person(603)
    await seed.join(robin, community)  # 2 updates
    await seed.open_prompt(db, robin, event)
    await robin.say("/continue")
    await robin.tap(seed.THERE)
    await robin.say("Hearing how the other team triages")  # 5th update, 1st answer

    response = await webhook.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    values = {line.split()[0]: float(line.split()[1]) for line in response.text.splitlines()
              if line and not line.startswith("#")}
    assert values["valuestory_updates_handled_total"] == before[
        "valuestory_updates_handled_total"] + 5
    assert values["valuestory_answers_stored_total"] == before[
        "valuestory_answers_stored_total"] + 1
    for name in ("valuestory_prompts_sent_total", "valuestory_prompts_failed_total",
                 "valuestory_prompts_unreachable_total", "valuestory_handler_errors_total",
                 "valuestory_job_lag_seconds"):
        assert name in values
    assert "# TYPE valuestory_updates_handled_total counter" in response.text
    assert "triages" not in response.text


async def test_metrics_show_the_replies_the_bot_still_owes_while_telegram_does_not_take_them(
    webhook: Webhook, db: Database,
) -> None:
    community = await seed.community(db)
    event = await seed.event(db, community)
    robin = webhook.person(604)
    await seed.join(robin, community)
    await seed.open_prompt(db, robin, event)
    seen = len(webhook.double.texts(robin.user_id))

    async def owed() -> float:
        response = await webhook.client.get("/metrics")
        assert response.status_code == 200
        assert "# TYPE valuestory_replies_owed gauge" in response.text
        return next(float(line.split()[1]) for line in response.text.splitlines()
                    if line.startswith("valuestory_replies_owed "))

    assert await owed() == 0
    webhook.double.down = (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    # The webhook is answered once the update is handled, and its reply waits for Telegram.
    saying = asyncio.create_task(robin.say("/continue"))

    async def owing() -> bool:
        return await owed() == 1

    await until(owing, "/metrics to count the reply Telegram has not taken")
    webhook.double.down = None

    async def paid() -> bool:
        return await owed() == 0

    await until(paid, "/metrics to count no reply owed once Telegram took it")
    await saying
    assert len(webhook.double.texts(robin.user_id)) == seen + 1


async def test_healthz_in_polling_mode_too(settings: Settings, db: Database) -> None:
    double = BotApiDouble()
    service = Service(settings, db, webhook=False, request=DoubleRequest(double),
                      listen="127.0.0.1", port=0)
    await service.start()
    try:
        METRICS.last_tick_at = utcnow()
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{service.port}/healthz")
            missing = await client.post(f"http://127.0.0.1:{service.port}/telegram", json={})
        assert (response.status_code, response.text) == (200, "ok\n")
        assert missing.status_code == 404  # polling mode takes no updates over HTTP
    finally:
        await service.stop()


async def test_health_on_a_clock_names_the_first_thing_that_is_wrong(db: Database) -> None:
    now = dt.datetime(2026, 12, 3, 16, 0, tzinfo=dt.UTC)
    fresh = Metrics(last_tick_at=now - dt.timedelta(seconds=50),
                    last_api_ok_at=now - dt.timedelta(seconds=30))
    assert await health.check(db, fresh, now) == health.Health(True, "ok")

    stale_tick = Metrics(last_tick_at=now - dt.timedelta(minutes=3), last_api_ok_at=now)
    assert await health.check(db, stale_tick, now) == health.Health(
        False, "scheduler last looked for due work 3 minutes ago")

    silent_api = Metrics(last_tick_at=now, last_api_ok_at=now - dt.timedelta(minutes=10))
    assert await health.check(db, silent_api, now) == health.Health(
        False, "Telegram's Bot API last answered 10 minutes ago")

    never = Metrics(last_tick_at=now)
    assert (await health.check(db, never, now)).reason == (
        "Telegram's Bot API has not answered since start")

    gone = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        result = await health.check(gone, fresh, now)
    finally:
        await gone.dispose()
    assert not result.ok and result.reason.startswith("database does not answer: ")


async def test_switching_from_webhook_to_polling_carries_the_story_on_without_migration(
    settings: Settings, db: Database,
) -> None:
    double = BotApiDouble()
    hooked = Service(webhook_settings(settings), db, webhook=True, request=DoubleRequest(double),
                     listen="127.0.0.1", port=0)
    await hooked.start()
    hook = Webhook(hooked, double)
    community = await seed.community(db)
    event = await seed.event(db, community)
    robin = hook.person(604)
    await seed.join(robin, community)
    await seed.open_prompt(db, robin, event)
    await robin.say("/continue")
    await robin.tap(seed.THERE)
    await robin.say("Said while the bot took webhooks")
    await hook.client.aclose()
    await hooked.stop()

    polling = Service(settings, db, webhook=False, request=DoubleRequest(double),
                      listen="127.0.0.1", port=0)
    await polling.start()
    try:
        assert [name for name, _ in double.calls].count("deleteWebhook") == 1
        seen = len(robin.inbox)
        update_id = next(_ids)
        double.push_update({"update_id": update_id, "message": robin.message(
            text="/next", entities=[{"type": "bot_command", "offset": 0, "length": 5}])})
        await until(lambda: len(robin.inbox) > seen, "the Updater fetching the update")
        assert "Question 3" in robin.last.text
    finally:
        await polling.stop()
    async with db.session() as s:
        assert (await s.scalars(select(Narrative.text))).all() == [
            "Said while the bot took webhooks"]
        assert await s.scalar(select(func.count(Member.id))) == 1


async def test_health_command_exits_zero_only_when_the_bot_is_healthy(webhook: Webhook) -> None:
    from click.testing import CliRunner

    from valuestory.cli import main

    url = f"http://127.0.0.1:{webhook.service.port}/healthz"

    def ask() -> tuple[int, str]:
        result = CliRunner().invoke(main, ["health", "--url", url])
        return result.exit_code, result.output

    METRICS.last_tick_at = utcnow()  # as the scheduler's tick does each time it looks
    METRICS.last_api_ok_at = utcnow() - dt.timedelta(minutes=10)
    webhook.double.rules.append(telegram_down)
    code, output = await asyncio.to_thread(ask)
    assert (code, output) == (1, "Telegram's Bot API last answered 10 minutes ago\n")
    webhook.double.rules.clear()
    assert await asyncio.to_thread(ask) == (0, "ok\n")
    await webhook.service.stop()
    code, output = await asyncio.to_thread(ask)
    assert code == 1 and output.startswith(f"the bot does not answer at {url}")


def telegram_down(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    if method == "getMe":
        return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    return None


async def test_healthz_says_why_not_and_asks_telegram_itself_when_it_has_been_quiet(
    webhook: Webhook,
) -> None:
    # The scheduler's tick records this each time it looks for due work; a stale or missing
    # tick is shown on a clock in test_health_on_a_clock_names_the_first_thing_that_is_wrong.
    METRICS.last_tick_at = utcnow()
    METRICS.last_api_ok_at = utcnow() - dt.timedelta(minutes=10)
    webhook.double.rules.append(telegram_down)
    response = await webhook.client.get("/healthz")
    assert (response.status_code, response.text) == (
        503, "Telegram's Bot API last answered 10 minutes ago\n")

    webhook.double.rules.clear()
    response = await webhook.client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")
    assert webhook.double.count("getMe") >= 3  # start, and one probe per quiet check


@pytest.mark.parametrize("body", [b"not json", b"[]", b"{}", b'{"update_id": "x"}',
                                  b'{"update_id": 1, "message": "x"}'])
async def test_a_body_that_is_not_an_update_gets_400_and_changes_nothing(
    webhook: Webhook, db: Database, body: bytes,
) -> None:
    response = await webhook.client.post("/telegram", content=body, headers={
        SECRET_HEADER: webhook.service.secret, "Content-Type": "application/json"})
    assert (response.status_code, response.text) == (400, "not a Telegram update\n")
    assert [c for c in webhook.double.calls if c[0] == "sendMessage"] == []
