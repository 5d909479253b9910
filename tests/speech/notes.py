"""Real voice notes: espeak-ng speaks a sentence, ffmpeg encodes it exactly as Telegram encodes a
voice note (Opus, 32 kbit/s, mono, 48 kHz, in OGG)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

TELEGRAM_OPUS = ["-c:a", "libopus", "-b:a", "32k", "-ac", "1", "-ar", "48000", "-f", "ogg"]


def _ffmpeg(args: list[str], stdin: bytes | None = None) -> bytes:
    return subprocess.run(
        ["ffmpeg", "-loglevel", "error", *args, *TELEGRAM_OPUS, "pipe:1"],
        input=stdin, capture_output=True, check=True,
    ).stdout


def speak(text: str, *, words_per_minute: int = 160) -> bytes:
    """A voice note of espeak-ng's US English voice saying `text`."""
    wav = subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", str(words_per_minute), "--stdout", text],
        capture_output=True, check=True,
    ).stdout
    return _ffmpeg(["-i", "pipe:0"], wav)


def silence(seconds: float) -> bytes:
    """A voice note of nothing, `seconds` long: cheap to make at any length."""
    return _ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", str(seconds)])


def missing_tools() -> list[str]:
    """What making and hearing real voice notes needs and this machine lacks."""
    from valuestory.voice import available

    missing = [tool for tool in ("espeak-ng", "ffmpeg") if shutil.which(tool) is None]
    if not available("pocketsphinx"):
        missing.append("the voice extra (pip install -e '.[dev,voice]')")
    return missing


def require_speech() -> None:
    """Skip a test that needs real speech where the tools are missing; fail under CI."""
    missing = missing_tools()
    if missing:
        if IN_CI:
            pytest.fail(f"the speech tests need {', '.join(missing)} under CI")
        pytest.skip(f"the speech tests need {', '.join(missing)}")
