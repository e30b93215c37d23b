"""Stopping a search cleanly: time and memory bounds, SIGINT/SIGTERM, progress reports.

A search calls `Limits.poll(stats)` every few thousand states; it returns the reason to
stop (which becomes the INCOMPLETE verdict's reason) or None. Memory is the resident
set size read from /proc/self/statm (a bound on RSS, the memory the machine actually
gives the process), plus the growth of the workers the search names (`helpers`);
where that file does not exist, the peak RSS from getrusage.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator

from mmcheck.explorer.core.result import Stats

GIB = 1 << 30
OUT_OF_MEMORY = "out of memory"  # the reason of a search stopped by a MemoryError
NEAR_LIMIT = 64 << 20  # bytes of address space left: a failed allocation is likely
# below either, the growth of the resident set is the allocator's and the interpreter's
# (arenas, compiled code) more than the states': no bytes-per-state figure
MEMORY_MIN_STATES = 10_000
MEMORY_MIN_GROWTH = 8 << 20


class Fault(Exception):
    """A fault that ends a search as INCOMPLETE, its message the reason (a worker died)."""


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def out_of_memory(e: BaseException) -> bool:
    """Whether `e` is the process running out of memory: a MemoryError, or a SystemError
    raised while the address space is within NEAR_LIMIT of its bound (RLIMIT_AS), where
    CPython sometimes loses the MemoryError of a failed allocation ("error return
    without exception set"). Called while the failed search still holds its memory: a
    MemoryError in reading the address space's size answers the question too."""
    if isinstance(e, MemoryError):
        return True
    bound = resource.getrlimit(resource.RLIMIT_AS)[0]
    if not isinstance(e, SystemError) or bound == resource.RLIM_INFINITY:
        return False
    try:
        with open("/proc/self/statm", "rb", buffering=0) as f:
            size = int(f.read(64).split()[0]) * _PAGE
    except MemoryError:
        return True
    except (OSError, ValueError, IndexError):
        return False
    return size > bound - NEAR_LIMIT


def rss_bytes() -> int:
    """The current resident set size of this process."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def rss_of(pid: int) -> int:
    """The resident set size of process `pid` (0 if it is gone, or without /proc)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def bytes_per_state(growth: int, stats: Stats) -> float | None:
    """The growth of this process's peak resident set during a search over its distinct
    states, where that figure means something: the states are held in this process (one
    worker: with more, each holds its share of the visited set and this process a key per
    state), there are at least MEMORY_MIN_STATES of them and the growth is at least
    MEMORY_MIN_GROWTH. None elsewhere (a figure of 4,088,036 bytes for 18 states is
    noise, not a measure). A search run after another in the same process may reuse the
    memory that one freed: the figure is then low."""
    if stats.workers > 1 or stats.distinct < MEMORY_MIN_STATES or growth < MEMORY_MIN_GROWTH:
        return None
    return growth / stats.distinct


class Limits:
    """The bounds of one search and the signals that interrupt it."""

    def __init__(
        self,
        time_limit: float | None = None,
        memory_limit: float | None = None,
        progress: Callable[[Stats], None] | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.time_limit = time_limit
        self.memory_limit = int(memory_limit * GIB) if memory_limit is not None else None
        self.progress = progress
        self.notice = notice  # told what the run does before its search (compiling kernels)
        # the processes working for the search (workers): --memory-limit counts their
        # growth since first polled (forked, they start out sharing this one's pages)
        self.helpers: Callable[[], Iterable[int]] = tuple
        self._helper_base: dict[int, int] = {}
        self.signal: str | None = None
        self.restart()

    def restart(self) -> None:
        """The search starts now: its time and memory are counted from here (after the
        spec is compiled for it)."""
        self.start = time.perf_counter()
        self.rss_start = rss_bytes()
        self.rss_peak = self.rss_start
        self._next_progress = self.start + 1.0

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def poll(self, stats: Stats) -> str | None:
        now = time.perf_counter()
        stats.elapsed = now - self.start
        rss = rss_bytes()
        self.rss_peak = max(self.rss_peak, rss)
        if self.progress is not None and now >= self._next_progress:
            self._next_progress = now + 1.0
            self.progress(stats)
        if self.signal:
            return f"interrupted ({self.signal})"
        if self.time_limit is not None and stats.elapsed >= self.time_limit:
            return f"time limit of {self.time_limit:g} s reached"
        if self.memory_limit is not None and rss + self.helpers_growth() >= self.memory_limit:
            return f"memory limit of {self.memory_limit / GIB:g} GiB reached"
        return None

    def helpers_growth(self) -> int:
        grown = 0
        for pid in self.helpers():
            rss = rss_of(pid)
            grown += max(0, rss - self._helper_base.setdefault(pid, rss))
        return grown

    def finish(self, stats: Stats) -> None:
        """Fill in the final elapsed time and bytes per distinct state (bytes_per_state)."""
        stats.elapsed = self.elapsed
        self.rss_peak = max(self.rss_peak, rss_bytes())
        stats.bytes_per_state = bytes_per_state(self.rss_peak - self.rss_start, stats)

    @contextlib.contextmanager
    def catching_signals(self) -> Iterator[None]:
        """SIGINT and SIGTERM set a flag the next poll turns into a clean stop (main
        thread only: elsewhere signals keep their handlers)."""
        import threading

        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: object) -> None:
            self.signal = signal.Signals(signum).name

        old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in old.items():
                signal.signal(s, h)
