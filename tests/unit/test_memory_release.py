"""Memory a burst freed goes back to the system once the bot is quiet again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from valuestory.process.memory import RELEASE, QuietRelease


def _resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(RELEASE is None, reason="the C library is not glibc: nothing to give back")
def test_freed_memory_goes_back_to_the_system() -> None:
    # 200 MB in blocks of 4 KB (the C allocator's, not Python's small-object pools), with one
    # kept block after them so freeing the rest cannot simply shrink the heap's end.
    blocks = [bytearray(4096) for _ in range(50_000)]
    keep = bytearray(4096)
    held = _resident_mb()
    del blocks
    freed = _resident_mb()
    assert RELEASE is not None
    RELEASE()
    given_back = _resident_mb()
    assert keep is not None
    assert freed > held - 50, "freeing alone kept the pages (what the release is for)"
    assert given_back < freed - 100


async def test_memory_goes_back_once_after_each_stretch_of_work() -> None:
    calls: list[str] = []
    quiet = QuietRelease(quiet=0.05, release=lambda: calls.append("released"))
    quiet.idle()  # nothing was done: nothing to give back
    await asyncio.sleep(0.1)
    assert calls == []

    quiet.busy()
    quiet.idle()
    quiet.busy()  # more work came before the quiet moment was over
    await asyncio.sleep(0.1)
    assert calls == []
    quiet.idle()
    quiet.idle()  # said twice: still one release
    await asyncio.sleep(0.1)
    assert calls == ["released"] and quiet.released == 1
    quiet.idle()  # quiet ever since: nothing more to give back
    await asyncio.sleep(0.1)
    assert calls == ["released"]
