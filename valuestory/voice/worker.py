"""The transcriber: voice notes in, text out, without ever holding up the event loop.

Invariant: decoding and recognition run only in a pool of worker processes (one by default), never
on the event loop's thread and never in a thread of the bot's process: pocketsphinx holds the GIL for
the whole of an utterance (measured: a thread decoding a 60 s note stalled the loop for 21 s), so only
a separate process keeps the bot answering. At most one note per worker is in flight; the others wait
their turn on the loop without holding their audio in the pool's queue. Size, length and language are
refused before any audio reaches a worker.

Workers are spawned, so the program's main module is imported again in each: it must start its work
under `if __name__ == "__main__":` (console scripts such as `valuestory run` do).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from valuestory.voice.decode import Limits, to_pcm
from valuestory.voice.engines import Engine, Recogniser
from valuestory.voice.errors import TranscriptionFailed, UnsupportedLanguage

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Transcript:
    """What was heard, and how long the note lasted."""

    text: str
    seconds: float


class Transcriber:
    """Transcribes voice notes in worker processes; `async with` it, or `start()` and `aclose()`."""

    def __init__(self, engine: Engine, *, limits: Limits | None = None, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError("a transcriber needs at least one worker")
        self.engine = engine
        self.limits = limits or Limits()
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._turns = asyncio.Semaphore(workers)
        self._closed = False

    async def start(self) -> None:
        """Start the workers and load the model, so the first note is not slow and a bad model shows now."""
        started = time.perf_counter()
        await self._run(_warm_up, self.engine)
        logger.info("speech engine %s ready in %.1f s", self.engine.name, time.perf_counter() - started)

    async def transcribe(self, audio: bytes, language: str | None = "en") -> Transcript:
        """The words in a voice note; raises one of `valuestory.voice`'s errors when there are none."""
        self.limits.check(size_bytes=len(audio))
        if not self.engine.supports(language):
            raise UnsupportedLanguage(f"the {self.engine.name} engine cannot transcribe {language!r}")
        started = time.perf_counter()
        transcript = await self._run(_transcribe, self.engine, audio, language, self.limits.max_seconds)
        logger.debug("%.0f s note transcribed in %.1f s", transcript.seconds, time.perf_counter() - started)
        return transcript

    async def aclose(self, grace: float | None = None) -> None:
        """Stop the workers; a note being transcribed gets `grace` seconds (None: all it needs), then is
        killed and fails with `TranscriptionFailed`. Notes still waiting are refused."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is None:
            return
        stopped = asyncio.ensure_future(asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True))
        try:
            await asyncio.wait_for(asyncio.shield(stopped), grace)
        except TimeoutError:
            logger.warning("a speech worker was still busy after %.0f s; stopping it", grace)
            _kill_workers(pool)
            await stopped

    async def __aenter__(self) -> Transcriber:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        await self._turns.acquire()
        try:
            if self._closed:
                raise RuntimeError("the transcriber is closed")
            if self._pool is None:
                # Spawned, not forked: the bot's process has threads and a running loop a fork would copy.
                self._pool = ProcessPoolExecutor(
                    self._workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_follow_parent, initargs=(os.getpid(),),
                )
            pool = self._pool
            future = pool.submit(fn, *args)
        except BaseException:
            self._turns.release()
            raise
        loop = asyncio.get_running_loop()

        def give_back_turn(_: object) -> None:
            # When the worker is done, not when the caller stops waiting: a cancelled caller must not
            # let another note into a busy worker's queue.
            with contextlib.suppress(RuntimeError):  # the loop is gone, so nobody waits for a turn
                loop.call_soon_threadsafe(self._turns.release)

        future.add_done_callback(give_back_turn)
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            logger.warning("a speech worker stopped; starting a new one for the next note")
            if self._pool is pool:
                self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise TranscriptionFailed("the speech worker stopped while transcribing") from None


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14 and later
    if terminate is not None:
        terminate()
        return
    # Before 3.14 a ProcessPoolExecutor has no public way to stop a busy worker.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()


# What follows runs in the worker processes.

_loaded = threading.local()
PARENT_CHECK_SECONDS = 1.0


def _follow_parent(parent: int) -> None:
    """End this worker when the bot's process is gone: killed (SIGKILL, the OOM killer) it cannot
    stop its pool, and the worker would otherwise live on, holding its model, for ever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()



def _recogniser(engine: Engine) -> Recogniser:
    cache: dict[Engine, Recogniser] = _loaded.__dict__.setdefault("by_engine", {})
    if engine not in cache:
        cache[engine] = engine.load()
    return cache[engine]


def _warm_up(engine: Engine) -> None:
    _recogniser(engine)


def _transcribe(engine: Engine, audio: bytes, language: str | None, max_seconds: float) -> Transcript:
    pcm = to_pcm(audio, max_seconds=max_seconds)
    return Transcript(_recogniser(engine).transcribe(pcm.samples, language).strip(), pcm.seconds)
