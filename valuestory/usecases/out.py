"""What a use case says: `Out` messages, neutral to the front end that shows them.

Text is Telegram's small HTML subset (the bot sends it as is; the terminal and the dashboard
flatten or escape it); buttons are (label, callback data) rows made by `usecases.callbacks`,
or `web_app(url)` for a button that opens a Mini App.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

Buttons = tuple[tuple[tuple[str, str], ...], ...]

# A button whose token starts with this opens the rest, an address, as a Telegram Mini App.
WEB_APP = "webapp:"

TAG = re.compile(r"</?(b|i|u|s|code|pre|a)( [^>]*)?>")


@dataclass(frozen=True)
class Out:
    """A message: HTML text and buttons as (label, token) rows.

    With `photo` (PNG bytes) or `document` (a file name and its bytes or path), the text is its
    caption; with `edit`, it replaces the buttons of the message that was pressed.
    """

    text: str
    buttons: Buttons = ()
    edit: bool = False
    photo: bytes | None = None
    document: tuple[str, bytes | Path] | None = None


def web_app(url: str) -> str:
    """A button token that opens `url` as a Mini App instead of sending callback data."""
    return WEB_APP + url


def plain(text: str) -> str:
    """Telegram HTML as plain text, for a terminal."""
    return html.unescape(TAG.sub("", text))
