"""The dashboard on the bot's own web server, as `valuestory run` composes it: its headers, its
cookies, and what never reaches a page or a log line."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.service import Service
from flows import texts
from storage.db import Database
from tests import seed
from tests.botapi import BotApiDouble, DoubleRequest
from tests.harness import Harness
from valuestory import dashboard
from valuestory.process.settings import Settings
from valuestory.usecases import signin

BASE = "https://cop.example.org"


@pytest.fixture
async def served(settings: Settings, db: Database) -> AsyncIterator[tuple[Service, httpx.AsyncClient]]:
    configured = settings.with_changes(webhook_url=BASE, public_url=BASE)
    service = Service(configured, db, webhook=True, request=DoubleRequest(BotApiDouble()),
                      listen="127.0.0.1", port=0,
                      routes=dashboard.routes(db, configured, configured.public_base(True)))
    await service.start()
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{service.port}")
    yield service, client
    await client.aclose()
    await service.stop()


async def test_pages_allow_no_inline_script_and_nothing_from_elsewhere(
        served: tuple[Service, httpx.AsyncClient]) -> None:
    _, client = served
    page = await client.get("/dashboard/")
    assert page.status_code == 401 and texts.DASHBOARD_SIGNED_OUT in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "default-src 'none'" in policy and "https://telegram.org" not in policy
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)  # no inline script anywhere
    assert not re.search(r"""(src|href)=["']https?://""", page.text)  # no asset from elsewhere
    app = await client.get("/dashboard/app")
    assert "script-src 'self' https://telegram.org;" in app.headers["Content-Security-Policy"]
    assert '<script src="https://telegram.org/js/telegram-web-app.js">' in app.text
    assert '<script src="/dashboard/static/miniapp.js" defer>' in app.text
    script = await client.get("/dashboard/static/miniapp.js")
    assert script.status_code == 200 and "initData" in script.text
    # Only the dashboard's addresses: anything else under it is not found, as a page.
    assert (await client.get("/dashboard/nothing-here")).status_code == 404


async def test_session_cookie_is_httponly_lax_and_secure_over_https_and_only_a_hash_is_kept(
        served: tuple[Service, httpx.AsyncClient], db: Database, settings: Settings,
        caplog: pytest.LogCaptureFixture) -> None:
    service, client = served
    harness = Harness(service.settings, db)
    await harness.start()
    try:
        c = await seed.community(db, "Heart Failure Network")
        e = await seed.event(db, c, starts="2026-01-10 14:00", ends="2026-01-10 16:00")
        member = harness.person(8101)
        await seed.join(member, c)
        caplog.set_level(logging.DEBUG)
        await seed.open_prompt(harness.db, member, e)
        await seed.tell(member, "Quietly private words about the ward")
        await seed.grant(db, 8102, "convener", c)
        said = await harness.person(8102).say("/dashboard")
    finally:
        await harness.stop()
    token = re.search(r"/dashboard/signin/([A-Za-z0-9_-]+)", said[0])
    assert token is not None and said[0].count(BASE + "/dashboard/signin/") == 1
    form = await client.get(f"/dashboard/signin/{token.group(1)}")
    form_token = re.search(r'name="form" value="([^"]+)"', form.text)
    assert form_token is not None
    assert "HttpOnly" in form.headers["set-cookie"] and "Secure" in form.headers["set-cookie"]
    # httpx keeps no Secure cookie over plain http: send them back as a browser behind TLS would.
    signed = await client.post("/dashboard/signin", data={
        "token": token.group(1), "form": form_token.group(1)},
        headers={"Cookie": f"valuestory_signin={form_token.group(1)}"})
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    session = re.search(r"valuestory_session=([^;]+)", cookie)
    assert session is not None
    headers = {"Cookie": f"valuestory_session={session.group(1)}"}
    page = await client.get(f"/dashboard/c/{c.id}/narratives", headers=headers)
    assert page.status_code == 200 and "Quietly private words about the ward" in page.text
    assert "8101" not in page.text and "Alex" not in page.text  # pseudonyms only
    assert signin.hashed(token.group(1)) not in page.text
    # Neither the sign-in token, the session nor any narrative is in a log line of ours, even at
    # DEBUG (libraries' own DEBUG lines are held back by the process's logging setup).
    ours = "\n".join(r.getMessage() for r in caplog.records
                     if r.name.split(".")[0] in ("bot", "valuestory", "storage", "flows", "tornado"))
    assert "dashboard sign-in (link)" in ours
    for secret in (token.group(1), session.group(1), "Quietly private words"):
        assert secret not in ours
