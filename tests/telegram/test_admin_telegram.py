"""Admins set up communities and roles from Telegram; nobody else can."""

from __future__ import annotations

import html

from sqlalchemy import select

from flows import texts
from storage.models import Community, RoleGrant
from tests import seed
from tests.harness import Harness


async def test_admin_creates_a_community_in_telegram_and_gets_its_invite_link(
    harness: Harness,
) -> None:
    admin = harness.person(9001)
    replies = await admin.say("/newcommunity Frailty <Network> & Friends")
    async with harness.db.session() as s:
        community = await s.scalar(select(Community))
    assert community is not None and community.name == "Frailty <Network> & Friends"
    assert "Frailty &lt;Network&gt; &amp; Friends" in replies[0]
    assert f"https://t.me/valuestory_test_bot?start={community.invite_code}" in replies[0]
    member = harness.person(9100)
    replies = await member.say(f"/start {community.invite_code}")
    assert "Joining Frailty &lt;Network&gt; &amp; Friends" in replies[0]


async def test_admin_grants_a_convener_role_in_telegram(harness: Harness) -> None:
    await seed.community(harness.db, "Diabetes in Pregnancy")
    admin = harness.person(9001)
    replies = await admin.say("/grant 4242 convener Diabetes in Pregnancy")
    assert texts.ROLE_GRANTED.format(user=4242, role="convener",
                                     community="Diabetes in Pregnancy") in replies[0]
    replies = await admin.say("/grant 4242 overlord Diabetes in Pregnancy")
    assert texts.ROLE_UNKNOWN.capitalize() in replies[0]
    async with harness.db.session() as s:
        grants = (await s.scalars(select(RoleGrant))).all()
    assert [(g.telegram_user_id, g.role) for g in grants] == [(4242, "convener")]


async def test_someone_who_is_not_an_admin_cannot_create_or_grant(harness: Harness) -> None:
    await seed.community(harness.db, "Diabetes in Pregnancy")
    someone = harness.person(9200)
    assert texts.NOT_ALLOWED in (await someone.say("/newcommunity Mine"))[0]
    assert texts.NOT_ALLOWED in (await someone.say("/grant 9200 convener 1"))[0]
    async with harness.db.session() as s:
        assert len((await s.scalars(select(Community))).all()) == 1
        assert (await s.scalars(select(RoleGrant))).all() == []


async def test_a_revoked_convener_can_no_longer_see_the_matrix_at_the_next_message(
    harness: Harness,
) -> None:
    await seed.community(harness.db, "Diabetes in Pregnancy")
    admin, convener = harness.person(9001), harness.person(4242)
    await admin.say("/grant 4242 convener Diabetes in Pregnancy")
    title = texts.MATRIX_TITLE.format(community="Diabetes in Pregnancy", period=texts.PERIOD_ALL_TIME)
    assert (await convener.say("/matrix"))[0].startswith(title)

    replies = await admin.say("/revoke 4242 convener Diabetes in Pregnancy")
    assert replies == [texts.ROLE_REVOKED.format(user=4242, role="convener",
                                                 community="Diabetes in Pregnancy")]
    assert await convener.say("/matrix") == [texts.NOT_ALLOWED]

    assert await admin.say("/revoke 4242 convener Diabetes in Pregnancy") == [
        texts.ROLE_NOT_HELD.format(user=4242, role="convener", community="Diabetes in Pregnancy")
        + "."]
    assert await admin.say("/revoke 4242") == [html.escape(texts.ROLE_REVOKE_USAGE)]
    await admin.say("/grant 4243 researcher Diabetes in Pregnancy")
    assert await admin.say("/revoke 4243 researcher") == [texts.ROLE_REVOKED.format(
        user=4243, role="researcher", community=texts.ROLE_EVERYWHERE)]
    assert await harness.person(4243).say("/export csv") == [
        texts.NOT_ALLOWED]
    assert await convener.say("/revoke 4243 researcher") == [
        texts.NOT_ALLOWED]
    async with harness.db.session() as s:
        assert (await s.scalars(select(RoleGrant))).all() == []
