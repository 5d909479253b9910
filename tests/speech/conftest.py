"""The speech tests need espeak-ng, ffmpeg and the voice extra: without them they skip and say which
is missing; under CI they fail."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest

from valuestory.voice import PocketsphinxEngine, Transcriber, available

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing() -> list[str]:
    missing = [tool for tool in ("espeak-ng", "ffmpeg") if shutil.which(tool) is None]
    if not available("pocketsphinx"):
        missing.append("the voice extra (pip install -e '.[dev,voice]')")
    return missing


@pytest.fixture(scope="session", autouse=True)
def speech_tools() -> None:
    missing = _missing()
    if missing:
        if IN_CI:
            pytest.fail(f"the speech tests need {', '.join(missing)} under CI")
        pytest.skip(f"the speech tests need {', '.join(missing)}")


@pytest.fixture
async def transcriber() -> AsyncIterator[Transcriber]:
    async with Transcriber(PocketsphinxEngine()) as started:
        yield started
