"""Progress while a check runs, in TLC's vocabulary.

`Progress` is the callback given to `explorer.check(progress=...)`: the engine calls it
with the statistics so far as often as it likes; it prints a plain line about every
10 seconds ("Progress(d): X states generated (Y states/s), Z distinct states found,
Q states left on queue": d the depth being explored, Y the rate since the last line) or,
on a terminal, keeps one `rich` live line up to date. `Progress.notice` is the check's
`notice`: a line about work before the search (compiling kernels), printed at once.

Given the check's options, the line ends with how far the search is from its bounds
(`bound_text`): an estimate of the time left only where one means something. The
search stops at --max-states at the latest, so the distinct states still allowed at
the last line's rate give a time it ends by; --time-limit tells its time left exactly;
a level's size says nothing of the next ones', so --max-depth gives the depth alone.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from rich.live import Live
from rich.text import Text

from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import Stats
from mmcheck.explorer.report.color import console

PLAIN_INTERVAL = 10.0  # seconds between plain progress lines
LIVE_INTERVAL = 0.25  # seconds between refreshes of the live display


def progress_line(stats: Stats, per_second: float, bounds: str = "") -> str:
    return (
        f"Progress({stats.depth}): {stats.generated:,} states generated "
        f"({per_second:,.0f} states/s), {stats.distinct:,} distinct states found, "
        f"{stats.queue:,} states left on queue" + (f"; {bounds}" if bounds else "")
    )


def duration(seconds: float) -> str:
    """`45 s`, `12 min 5 s`, `3 h 20 min`."""
    s = max(int(round(seconds)), 0)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


def bound_text(stats: Stats, options: CheckOptions, distinct_per_second: float) -> str:
    """Where the search stands against the bounds of `options`, with the time left where
    it can be told (see the module's docstring); empty without a bound."""
    parts = []
    if options.max_states is not None:
        left = max(options.max_states - stats.distinct, 0)
        part = f"{stats.distinct / options.max_states:.0%} of --max-states"
        if distinct_per_second > 0:  # at most: the search may end before its bound
            part += f", at most {duration(left / distinct_per_second)} left at this rate"
        parts.append(part)
    if options.time_limit is not None:
        left = options.time_limit - stats.elapsed
        parts.append(f"{duration(left)} of --time-limit left")
    if options.max_depth is not None:
        parts.append(f"depth {stats.depth} of --max-depth {options.max_depth}")
    return "; ".join(parts)


class Progress:
    """Use as a context manager around the check, so the live display is closed."""

    def __init__(
        self,
        stream: TextIO | None = None,
        live: bool | None = None,
        interval: float = PLAIN_INTERVAL,
        options: CheckOptions | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live_mode = self.stream.isatty() if live is None else live
        self.interval = LIVE_INTERVAL if self.live_mode else interval
        self._live: Live | None = None
        self._last_time = time.monotonic()
        self._last_generated = 0
        self._last_distinct = 0
        self.options = options  # the check's: its bounds end each line (bound_text)

    def __enter__(self) -> Progress:
        if self.live_mode:
            self._live = Live(
                Text(""),
                console=console(self.stream, terminal=True),
                transient=True,
                auto_refresh=False,
            )
            self._live.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def notice(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.stream, flush=True)

    def __call__(self, stats: Stats) -> None:
        now = time.monotonic()
        elapsed = now - self._last_time
        if elapsed < self.interval:
            return
        per_second = (stats.generated - self._last_generated) / elapsed
        distinct_per_second = (stats.distinct - self._last_distinct) / elapsed
        self._last_time, self._last_generated = now, stats.generated
        self._last_distinct = stats.distinct
        bounds = bound_text(stats, self.options, distinct_per_second) if self.options else ""
        line = progress_line(stats, per_second, bounds)
        # a back end whose workers run apart (the Ray back end's actors) says how each does
        workers = "".join(f"\n  {w}" for w in getattr(stats, "per_worker", ()))
        if self._live is not None:
            self._live.update(Text(f"{line}  [{stats.elapsed:.0f} s]{workers}"), refresh=True)
        else:
            print(line + workers, file=self.stream, flush=True)
