"""Audio bytes in any container FFmpeg reads (Telegram's OGG/Opus first) to 16 kHz mono 16-bit PCM.

Invariant: a note is refused as soon as it is known to be too long, from the container's own duration
before decoding, or while decoding when the container does not say; nothing longer than the limit is
ever held in memory or handed to an engine. Anything FFmpeg cannot read becomes `Undecodable`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from valuestory.voice.errors import TooLarge, TooLong, Undecodable

if TYPE_CHECKING:
    import av.container

SAMPLE_RATE = 16_000
BYTES_PER_SAMPLE = 2
# Decoded lengths may run past the container's rounded duration by a few milliseconds.
_DECODE_SLACK_SECONDS = 0.5


@dataclass(frozen=True)
class Limits:
    """How long and how large a note may be; Telegram lets a bot download files up to 20 MB."""

    max_seconds: float = 300.0
    max_bytes: int = 20 * 1024 * 1024

    def check(self, *, size_bytes: int | None = None, seconds: float | None = None) -> None:
        """Refuse a note by its size or length, e.g. from Telegram's `Voice` before downloading it."""
        if size_bytes is not None and size_bytes > self.max_bytes:
            raise TooLarge(f"the file is {size_bytes} bytes; at most {self.max_bytes} are accepted")
        if seconds is not None and seconds > self.max_seconds:
            raise TooLong(f"the note lasts {seconds:.0f} s; at most {self.max_seconds:.0f} s are accepted")


@dataclass(frozen=True)
class Pcm:
    """Signed 16-bit little-endian mono samples at `SAMPLE_RATE`."""

    samples: bytes

    @property
    def seconds(self) -> float:
        return len(self.samples) / (SAMPLE_RATE * BYTES_PER_SAMPLE)


def duration(audio: bytes) -> float | None:
    """The length the container declares, in seconds, without decoding; None if it does not say."""
    import av

    try:
        with av.open(io.BytesIO(audio), mode="r") as container:
            return _declared_seconds(container)
    except av.FFmpegError as exc:
        raise Undecodable(f"not an audio file FFmpeg can read ({type(exc).__name__})") from None


def to_pcm(audio: bytes, *, max_seconds: float = Limits.max_seconds) -> Pcm:
    """Decode and resample the first audio stream; raise `TooLong` or `Undecodable`."""
    import av

    limit = int((max_seconds + _DECODE_SLACK_SECONDS) * SAMPLE_RATE * BYTES_PER_SAMPLE)
    chunks: list[bytes] = []
    size = 0
    try:
        with av.open(io.BytesIO(audio), mode="r") as container:
            if not container.streams.audio:
                raise Undecodable("the file holds no audio stream")
            declared = _declared_seconds(container)
            if declared is not None and declared > max_seconds:
                raise TooLong(f"the note lasts {declared:.0f} s; at most {max_seconds:.0f} s are accepted")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunk = bytes(out.planes[0])[: out.samples * BYTES_PER_SAMPLE]
                    size += len(chunk)
                    if size > limit:
                        raise TooLong(f"the note lasts more than {max_seconds:.0f} s")
                    chunks.append(chunk)
            for out in resampler.resample(None):
                chunks.append(bytes(out.planes[0])[: out.samples * BYTES_PER_SAMPLE])
    except av.FFmpegError as exc:
        raise Undecodable(f"not an audio file FFmpeg can read ({type(exc).__name__})") from None
    pcm = Pcm(b"".join(chunks))
    if not pcm.samples:
        raise Undecodable("the file holds no sound")
    return pcm


def _declared_seconds(container: av.container.InputContainer) -> float | None:
    # Container duration is in AV_TIME_BASE units (microseconds); OGG computes it from the last page.
    if container.duration is not None and container.duration > 0:
        return container.duration / 1_000_000
    for stream in container.streams.audio:
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
    return None
