"""Giving memory back once a burst is over.

A burst of answers (everyone replying right after an event) takes memory that is freed again when
it is over, but the C allocator keeps the freed pages for reuse: the process stays as large as at
its peak all week. Once nothing has been in hand for a moment after some work, `QuietRelease`
asks glibc (where it is the allocator) to hand its free pages back to the system.
"""

from __future__ import annotations

import asyncio
import ctypes
import platform
from collections.abc import Callable

# Nothing in hand for this long after some work: the burst is over.
QUIET_SECONDS = 0.5


def _glibc_release() -> Callable[[], object] | None:
    """glibc's `malloc_trim(0)`: returns free pages from every arena. None on other C libraries."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library this process already runs on
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


RELEASE = _glibc_release()


class QuietRelease:
    """Calls `release` once after each stretch of work, when `quiet` seconds passed with none.

    `busy` says work arrived; `idle` says nothing is in hand now. A release costs a walk of the
    allocator's free lists (about a millisecond), so it never runs while work is in hand.
    """

    def __init__(self, quiet: float = QUIET_SECONDS,
                 release: Callable[[], object] | None = RELEASE) -> None:
        self.quiet = quiet
        self.release = release
        self.released = 0  # how many times memory was given back
        self._worked = False
        self._timer: asyncio.TimerHandle | None = None

    def busy(self) -> None:
        self._worked = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def idle(self) -> None:
        if self._worked and self._timer is None and self.release is not None:
            self._timer = asyncio.get_running_loop().call_later(self.quiet, self._give_back)

    def _give_back(self) -> None:
        self._timer = None
        self._worked = False
        if self.release is not None:
            self.release()
            self.released += 1
