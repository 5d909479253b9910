"""`valuestory demo` as a newcomer runs it: one process, no token, no network, a terminal and a
browser side by side."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from flows import texts
from tests.browser.test_dashboard import click, matrix_table, sign_in
from tests.cli.test_terminal import Keyboard

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/dashboard/signin/[A-Za-z0-9_-]+)")
# Nothing may reach Telegram or the internet: any attempt would go to a closed port.
NO_NETWORK = {"TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot", "HTTP_PROXY": "http://127.0.0.1:9",
              "HTTPS_PROXY": "http://127.0.0.1:9", "ALL_PROXY": "http://127.0.0.1:9"}


def test_the_demo_shows_the_sample_matrix_and_a_terminal_answer_reaches_the_dashboard(
    tmp_path: Path, any_browser: Any,
) -> None:
    browser = any_browser
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    keyboard = Keyboard(tmp_path, None, ("demo",), TMPDIR=str(temporary), **NO_NETWORK)
    try:
        keyboard.expect(texts.PARTICIPANT_INFO.parts[-1], timeout=60)
        found = LINK.search(keyboard.seen)
        assert found is not None, keyboard.seen
        assert "sample data" in keyboard.seen and "Ctrl+C" in keyboard.seen

        sign_in(browser, found.group(1))
        click(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Sample community"))
        rows, totals = matrix_table(browser)
        assert int(totals[0]) > 0 and int(totals[1]) > 0, totals  # immediate, potential
        assert any(int(n) > 0 for row in rows for n in row[:5]), rows
        narratives = browser.current_url + "narratives"

        keyboard.type("1\r")  # I agree
        keyboard.expect("Did you take part")
        keyboard.type("1\r")
        keyboard.expect("What happened at")
        keyboard.type("The demo's own answer about the glucose chart\r")
        keyboard.expect("Got it")

        browser.get(narratives)
        assert "The demo's own answer about the glucose chart" in browser.page_source

        keyboard.type("/quit\r")
        assert keyboard.wait(timeout=30) == 0
    finally:
        keyboard.close()
    assert "Traceback" not in keyboard.seen
    assert "its database is deleted" in keyboard.seen
    # Nothing is left behind: not in the working folder, not in the temporary one.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads", "profile", "tmp"]
    assert list(temporary.iterdir()) == []
