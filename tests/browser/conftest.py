"""A real headless browser (Debian's chromium through chromedriver) against the dashboard, served
by its own tornado application on 127.0.0.1 at a free port, while the bot runs on the Bot API double.

Outside CI a missing browser skips these tests and says why; under CI=true it fails them.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web

from storage.db import Database
from tests.conftest import IN_CI
from tests.harness import Harness
from valuestory import answers, dashboard
from valuestory.process.settings import Settings

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    for program in ("chromedriver", "chromium"):
        if shutil.which(program) is None:
            return f"{program} is not on PATH (apt-get install chromium chromium-driver)"
    return None


class DashboardServer:
    """The dashboard's tornado application (and the members' pages) in a thread of its own, with
    its own database pool, so a blocking browser call in the test never stalls the pages it is
    waiting for."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = self.sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url, self.settings = url, settings
        self.letters: Any = None  # what sends emails the pages send at once (set before start)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        db = Database(self.url)
        # The dashboard and the members' pages, as `valuestory run` serves them.
        server = tornado.httpserver.HTTPServer(tornado.web.Application(
            [*dashboard.routes(db, self.settings, self.base),
             *answers.routes(db, self.base, self.letters)],
            log_function=lambda _h: None))
        server.add_sockets(self.sockets)
        self._ready.set()
        await self._stop.wait()
        server.stop()
        await server.close_all_connections()
        await db.dispose()

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10), "the dashboard did not start"

    def stop(self) -> None:
        """Stop serving (a test may stop it early, to see a page meet a stopped server)."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@pytest.fixture
def browser_settings(settings: Settings) -> Iterator[tuple[Settings, DashboardServer]]:
    need_a_browser()
    server = DashboardServer(settings.database_url, settings)
    configured = settings.with_changes(public_url=server.base)
    server.settings = configured
    server.start()
    yield configured, server
    server.stop()


@pytest.fixture
def server(browser_settings: tuple[Settings, DashboardServer]) -> DashboardServer:
    return browser_settings[1]


@pytest.fixture
async def bot(browser_settings: tuple[Settings, DashboardServer], db: Database) -> AsyncIterator[Harness]:
    """The bot, on the Bot API double, with PUBLIC_URL pointing at the test's dashboard."""
    h = Harness(browser_settings[0], db)
    await h.start()
    yield h
    await h.stop()


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


def chromium(profile: Path, downloads: Path) -> Any:
    """Headless Chromium, driven through chromedriver, downloading into `downloads`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = shutil.which("chromium") or "chromium"
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "safebrowsing.enabled": False})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_window_size(1280, 900)
    return driver


def need_a_browser() -> None:
    problem = _missing()
    if problem:
        if IN_CI:
            pytest.fail(f"the browser tests need a browser under CI: {problem}")
        pytest.skip(f"no headless browser here: {problem}")


@pytest.fixture
def browser(tmp_path: Path, downloads: Path, server: DashboardServer) -> Iterator[object]:
    driver = chromium(tmp_path / "profile", downloads)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def any_browser(tmp_path: Path, downloads: Path) -> Iterator[object]:
    """A browser for pages served by something other than the test's own dashboard."""
    need_a_browser()
    driver = chromium(tmp_path / "profile", downloads)
    try:
        yield driver
    finally:
        driver.quit()
