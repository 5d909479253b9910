"""A bot's process killed outright leaves no speech worker behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.waiting import until

# Starts a transcriber, says its worker's pid, then waits to be killed.
_BOT = """
import asyncio, sys
from valuestory.voice import PocketsphinxEngine, Transcriber

async def main():
    t = Transcriber(PocketsphinxEngine())
    await t.start()
    print(*t._pool._processes, flush=True)
    await asyncio.sleep(600)

if __name__ == "__main__":
    asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "State:\tZ" not in status.read_text()
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
async def test_the_speech_worker_ends_when_the_bot_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "bot.py"
    script.write_text(_BOT)
    bot = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                           cwd=tmp_path)
    assert bot.stdout is not None
    workers = [int(pid) for pid in bot.stdout.readline().split()]
    assert workers and all(_alive(pid) for pid in workers)
    os.kill(bot.pid, signal.SIGKILL)
    bot.wait()
    try:
        await until(lambda: not any(_alive(pid) for pid in workers), "the workers to end",
                    within=15, every=0.1)
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
