"""The email tests' mail server: a real aiosmtpd on 127.0.0.1, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mailserver import MailServer, running


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with running() as server:
        yield server
