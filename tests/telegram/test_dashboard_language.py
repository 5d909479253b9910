"""The dashboard speaks the convener's language: their own as a member, else the community's.

Plain HTTP against the dashboard's tornado application. A Spanish convener's matrix page and
indicator card read as the Spanish catalog says, and a walk over the pages they can open finds
no sentence of the dashboard's English texts; an English convener keeps English, and an Arabic
community's pages are laid out right to left.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web

from flows import i18n, texts
from storage.db import Database
from storage.models import Community, utcnow
from tests import seed
from tests.harness import Harness
from tests.telegram.test_reply_language import ENGLISH_DATE, _sentences, _spanish_corpus
from valuestory import dashboard
from valuestory.process.settings import Settings
from valuestory.usecases import indicators, signin

ES = texts.In("es")
TAG = re.compile(r"<[^>]+>")


def _dashboard_english() -> set[str]:
    """Sentences of the dashboard's English texts (every `DASHBOARD_*`) that no Spanish text has."""
    english: set[str] = set()
    for name in dir(texts):
        if name.startswith("DASHBOARD_"):
            value = getattr(texts, name)
            english |= set(value.values()) if isinstance(value, dict) else {value}
    spanish = _spanish_corpus()
    return {s for text in english for s in _sentences(text) if s not in spanish}


DASHBOARD_ENGLISH = _dashboard_english()


def _words(page: str) -> str:
    """What a page says: its text and its attributes' words (labels, placeholders, titles)."""
    attributes = " ".join(re.findall(r'(?:aria-label|placeholder|title)="([^"]*)"', page))
    return html.unescape(TAG.sub(" ", page) + " " + attributes)


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The dashboard alone, served on a free port of this event loop."""
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    base = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
    server = tornado.httpserver.HTTPServer(dashboard.application(db, settings, base))
    server.add_sockets(sockets)
    async with httpx.AsyncClient(base_url=base) as http:
        yield http
    server.stop()
    await server.close_all_connections()


async def _sign_in(client: httpx.AsyncClient, db: Database, user_id: int) -> None:
    """Sign in with a one-time link, as the /dashboard button would; the client keeps the cookie."""
    link = await signin.link_for(db, user_id, frozenset(), str(client.base_url), utcnow())
    assert link is not None
    token = link.rsplit("/", 1)[1]
    form = await client.get(f"/dashboard/signin/{token}")
    form_token = re.search(r'name="form" value="([^"]+)"', form.text)
    assert form_token is not None
    signed = await client.post("/dashboard/signin", data={"token": token,
                                                          "form": form_token.group(1)})
    assert signed.status_code == 303, signed.text


async def _spanish_convener(harness: Harness, community: Community) -> int:
    """Rosa: a member whose Telegram speaks Spanish, and a convener and researcher of `community`."""
    rosa = harness.person(4401, "Rosa", language_code="es")
    await seed.join(rosa, community, agree=ES.BTN_AGREE)
    await seed.grant(harness.db, 4401, "convener", community)
    await seed.grant(harness.db, 4401, "researcher", community)
    return 4401


def _english_in(page: str) -> list[str]:
    said = _words(page)
    return sorted(s for s in DASHBOARD_ENGLISH if s in said)


def test_the_walk_finds_english_where_there_is_some() -> None:
    """The detector itself: the English matrix texts are caught, their Spanish ones are not."""
    english = [texts.DASHBOARD_INDICATORS_NOTE, texts.DASHBOARD_CHECK_NONE, texts.DASHBOARD_SHARE]
    spanish = [ES.DASHBOARD_INDICATORS_NOTE, ES.DASHBOARD_CHECK_NONE, ES.DASHBOARD_SHARE]
    assert all(_english_in(text) for text in english)
    assert not any(_english_in(text) for text in spanish)


async def test_a_spanish_convener_reads_the_matrix_and_every_page_in_spanish(
        harness: Harness, client: httpx.AsyncClient) -> None:
    # An Arabic community: Rosa's own language as a member is what her pages speak.
    c = await seed.community(harness.db, "Red de Cuidados", "Europe/Madrid", language="ar")
    told = await seed.event(harness.db, c, "Sesión de invierno", "2026-11-03 14:00",
                            "2026-11-03 16:00")
    member = harness.person(4402, language_code="en")
    await seed.join(member, c)
    await seed.open_prompt(harness.db, member, told)
    await seed.tell(member, "Escuchar cómo el otro equipo organiza el triaje")
    rosa = await _spanish_convener(harness, c)
    card = await indicators.add(harness.db, indicators.Caller(None), c.id, "potential",
                                "Los miembros comparten lo que funciona", "social")
    await _sign_in(client, harness.db, rosa)

    matrix = await client.get(f"/dashboard/c/{c.id}/")
    assert matrix.status_code == 200
    assert '<html lang="es" dir="ltr">' in matrix.text
    words = _words(matrix.text)
    for said in (ES.MATRIX_PNG_INDICATORS, ES.DASHBOARD_INDICATORS_NOTE, ES.DASHBOARD_SHARE,
                 ES.DASHBOARD_COUNTS_HEADING, ES.DASHBOARD_TABS["narratives"],
                 ES.DASHBOARD_CYCLE_HINTS["potential"], ES.CYCLE_NAMES["realised"],
                 ES.DASHBOARD_MATRIX_CAPTION.format(period=ES.PERIOD_ALL_TIME)):
        assert said in words, said
    # The indicator's card: its capital, what backs it and the members' check, in Spanish.
    start = matrix.text.index(f'id="indicator-{card.id}"')
    shown = _words(matrix.text[start:matrix.text.index("</li>", start)])
    assert ES.DASHBOARD_CAPITAL.format(capital=ES.CAPITALS["social"]).capitalize() in shown
    assert " · ".join((ES.plural(0, "narrative"), ES.plural(0, "story"),
                       ES.plural(0, "member"))) in shown
    assert ES.DASHBOARD_CHECK_NONE in shown and texts.DASHBOARD_CHECK_NONE not in shown

    pages = ["/dashboard/", f"/dashboard/c/{c.id}/", f"/dashboard/c/{c.id}/?since=nonsense",
             f"/dashboard/c/{c.id}/?done=shared", f"/dashboard/c/{c.id}/indicators/{card.id}",
             f"/dashboard/c/{c.id}/narratives", f"/dashboard/c/{c.id}/stories",
             f"/dashboard/c/{c.id}/events", f"/dashboard/c/{c.id}/report",
             f"/dashboard/c/{c.id}/export", f"/dashboard/c/{c.id}/codebook",
             f"/dashboard/c/{c.id}/agreement",
             "/dashboard/c/999999/"]
    listed = (await client.get(f"/dashboard/c/{c.id}/narratives")).text
    story = re.search(r'/stories/([0-9a-f-]{36})"', listed)
    evidence = re.search(r'/narratives/([0-9]+)/evidence"', listed)
    assert story is not None and evidence is not None
    pages += [f"/dashboard/c/{c.id}/stories/{story.group(1)}",
              f"/dashboard/c/{c.id}/narratives/{evidence.group(1)}/evidence",
              f"/dashboard/c/{c.id}/narratives/{evidence.group(1)}/coding"]
    found = {}
    for page in pages:
        answer = await client.get(page)
        assert answer.status_code in (200, 400, 404), (page, answer.status_code)
        assert 'lang="es"' in answer.text, page
        found[page] = _english_in(answer.text)
    assert {page: english for page, english in found.items() if english} == {}
    assert not ENGLISH_DATE.search(_words((await client.get(f"/dashboard/c/{c.id}/")).text))


async def test_an_english_convener_keeps_english_and_an_arabic_community_reads_right_to_left(
        harness: Harness, client: httpx.AsyncClient) -> None:
    english = await seed.community(harness.db, "Heart Network")
    arabic = await seed.community(harness.db, "شبكة الرعاية", "Asia/Amman", language="ar")
    for c in (english, arabic):
        await seed.grant(harness.db, 4410, "convener", c)
    await _sign_in(client, harness.db, 4410)

    page = (await client.get(f"/dashboard/c/{english.id}/")).text
    assert '<html lang="en" dir="ltr">' in page
    assert texts.DASHBOARD_INDICATORS_NOTE in html.unescape(page)
    ar = texts.In("ar")
    page = (await client.get(f"/dashboard/c/{arabic.id}/")).text
    assert f'<html lang="ar" dir="{i18n.direction("ar")}">' in page and 'dir="rtl"' in page
    assert ar.DASHBOARD_INDICATORS_NOTE in html.unescape(page)
    # Not about one community, not a member: the browser's language, else English.
    home = await client.get("/dashboard/", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"})
    assert 'lang="pl"' in home.text and texts.In("pl").DASHBOARD_SIGN_OUT in home.text
    assert 'lang="en"' in (await client.get("/dashboard/")).text

