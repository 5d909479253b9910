"""Signing in to the dashboard through Telegram: /dashboard, its one-time links, and initData."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from urllib.parse import quote, urlencode

from sqlalchemy import select

from flows import texts
from storage.models import DashboardLink, utcnow
from tests import seed
from tests.botapi import TOKEN
from tests.harness import Harness
from valuestory.usecases import sessions, signin

LINK = re.compile(r"http://127\.0\.0\.1:\d+/dashboard/signin/([A-Za-z0-9_-]+)")


def init_data(user_id: int, token: str = TOKEN, signed: dt.datetime | None = None,
              **extra: str) -> str:
    """initData as Telegram signs it for a Mini App opened by `user_id`."""
    fields = {"query_id": "AAF", "auth_date": str(int((signed or utcnow()).timestamp())),
              "user": json.dumps({"id": user_id, "first_name": "Sam"}), **extra}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields, quote_via=quote)


async def test_convener_gets_a_one_time_link_and_a_member_or_stranger_gets_refused(
        harness: Harness) -> None:
    c = await seed.community(harness.db)
    await seed.grant(harness.db, 501, "convener", c)
    member = harness.person(502)
    await seed.join(member, c)
    convener, stranger = harness.person(501), harness.person(503)

    said = await convener.say("/dashboard")
    assert len(said) == 1 and said[0].startswith(texts.DASHBOARD_LINK.partition("{link}")[0])
    token = LINK.search(said[0])
    assert token is not None
    # Polling over http: no Mini App button (Telegram opens those over https only).
    assert convener.last.keyboard == []
    async with harness.db.session() as session:
        stored = (await session.scalars(select(DashboardLink))).all()
    assert [s.token_hash for s in stored] == [signin.hashed(token.group(1))]  # only a hash kept

    for person in (member, stranger):
        assert await person.say("/dashboard") == [texts.NOT_ALLOWED]


async def test_over_https_the_link_comes_with_a_mini_app_button(harness: Harness) -> None:
    harness.app.bot_data.settings = harness.settings.with_changes(
        public_url="https://cop.example.org")
    await seed.grant(harness.db, 504, "researcher", None)
    person = harness.person(504)
    said = await person.say("/dashboard")
    assert "https://cop.example.org/dashboard/signin/" in said[0]
    assert person.last.keyboard == [[{"text": texts.BTN_OPEN_DASHBOARD,
                                      "web_app": {"url": "https://cop.example.org/dashboard/app"}}]]


async def test_a_link_works_once_within_ten_minutes_and_only_while_the_role_lasts(
        harness: Harness) -> None:
    c = await seed.community(harness.db)
    await seed.grant(harness.db, 511, "convener", c)
    admins = harness.settings.admin_telegram_ids
    person = harness.person(511)

    async def link() -> str:
        found = LINK.search((await person.say("/dashboard"))[0])
        assert found is not None
        return found.group(1)

    first = await link()
    ok = await signin.with_link(harness.db, first, "10.0.0.1", admins)
    assert ok.token is not None
    signed = await sessions.resume(harness.db, ok.token)
    assert signed is not None and signed.user_id == 511
    assert (await signin.with_link(harness.db, first, "10.0.0.1", admins)).token is None

    late = await link()
    later = utcnow() + signin.LINK_LIFETIME + dt.timedelta(seconds=1)
    assert (await signin.with_link(harness.db, late, "10.0.0.1", admins, later)).token is None

    revoked = await link()
    await seed.revoke(harness.db, 511)
    assert (await signin.with_link(harness.db, revoked, "10.0.0.1", admins)).token is None

    await sessions.close(harness.db, ok.token)
    assert await sessions.resume(harness.db, ok.token) is None


async def test_sessions_end_after_a_time_without_use(harness: Harness) -> None:
    await seed.grant(harness.db, 512, "researcher", None)
    link = await signin.link_for(harness.db, 512, frozenset(), "http://127.0.0.1", utcnow())
    assert link is not None
    token = (await signin.with_link(harness.db, link.rsplit("/", 1)[-1], "127.0.0.1",
                                    frozenset(), utcnow())).token
    assert token is not None
    assert await sessions.resume(harness.db, token, utcnow() + dt.timedelta(hours=7)) is not None
    idle = utcnow() + dt.timedelta(hours=7) + sessions.IDLE + dt.timedelta(seconds=1)
    assert await sessions.resume(harness.db, token, idle) is None


async def test_failed_sign_ins_are_slowed_down_per_source(harness: Harness) -> None:
    admins = harness.settings.admin_telegram_ids
    for _ in range(signin.FAILURES_ALLOWED):
        assert not (await signin.with_link(harness.db, "guess", "10.0.0.9", admins)).limited
    assert (await signin.with_link(harness.db, "guess", "10.0.0.9", admins)).limited
    assert not (await signin.with_link(harness.db, "guess", "10.0.0.10", admins)).limited


def test_init_data_is_checked_as_telegram_documents() -> None:
    now = utcnow()
    assert signin.verify_init_data(init_data(77), TOKEN, now) == 77
    assert signin.verify_init_data(init_data(77, signature="abc"), TOKEN, now) == 77
    tampered = init_data(77).replace("%22id%22%3A%2077", "%22id%22%3A%2078")
    assert tampered != init_data(77)
    assert signin.verify_init_data(tampered, TOKEN, now) is None
    assert signin.verify_init_data(init_data(77, token="1:other"), TOKEN, now) is None
    old = now - signin.INIT_DATA_LIFETIME - dt.timedelta(seconds=5)
    assert signin.verify_init_data(init_data(77, signed=old), TOKEN, now) is None
    assert signin.verify_init_data("", TOKEN, now) is None
    assert signin.verify_init_data("hash=1&hash=2", TOKEN, now) is None
