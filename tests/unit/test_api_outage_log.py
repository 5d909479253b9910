"""What the log says while Telegram's Bot API comes and goes: an outage is said when it begins,
once a minute while it lasts and when it is over, never a line each time a request meets it."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from valuestory.process.metrics import Metrics

T0 = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def _said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Bot API" in r.getMessage()]


def test_sends_refused_while_polls_are_answered_is_one_outage_said_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    metrics = Metrics()
    # For three minutes every send meets a 502 while every long poll is answered.
    for second in range(0, 180, 2):
        metrics.api_failed("HTTP 502", _at(second))
        metrics.api_answered(_at(second + 1), asked_at=_at(second + 0.5))
    metrics.api_answered(_at(240), asked_at=_at(239))
    said = _said(caplog)
    assert said[0].startswith("Telegram's Bot API does not answer (HTTP 502)")
    assert len(said) <= 2 + 2 * 4, said  # began, then at most a turn each way a minute


def test_an_outage_a_few_minutes_after_the_last_is_said_anew(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    metrics = Metrics()
    metrics.api_failed("ConnectError", _at(0))
    metrics.api_failed("ConnectError", _at(10))
    metrics.api_answered(_at(30), asked_at=_at(29))
    metrics.api_failed("HTTP 502", _at(300))
    metrics.api_answered(_at(320), asked_at=_at(319))
    assert _said(caplog) == [
        "Telegram's Bot API does not answer (ConnectError): sends wait and are tried again",
        "Telegram's Bot API answers again after 30 s; carrying on",
        "Telegram's Bot API does not answer (HTTP 502): sends wait and are tried again",
        "Telegram's Bot API answers again after 20 s; carrying on",
    ]
