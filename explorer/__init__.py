"""Explicit-state exploration: `check` runs a spec's model and returns a Result."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from mmcheck.explorer.core import registry
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, VIOLATED, Result, Stats, Violation
from mmcheck.spec import program
from mmcheck.spec.errors import UsageError
from mmcheck.spec.ir import Program

__all__ = [
    "HOLDS",
    "INCOMPLETE",
    "VIOLATED",
    "CheckOptions",
    "Result",
    "Stats",
    "Violation",
    "check",
    "load",
]


load = program  # the public name: a Program as given, or loaded from a spec path or text


def check(
    source_or_program: Program | str | os.PathLike,
    consts: dict | None = None,
    options: CheckOptions | None = None,
    *,
    initial: Iterable[tuple[int, ...]] | None = None,
    progress: Callable[[Stats], None] | None = None,
    notice: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> Result:
    """Check every invariant (or those named), step errors and deadlocks of a spec.

    `options` (CheckOptions), with any of its fields given as keywords instead or over
    it. The back end is `backend="auto"` by default: the tuple back end, going on with
    the vector one from a BFS level of `switch_at` states, with the same results
    (explorer.vector.auto). Breadth-first by default, so a violation comes with a
    shortest trace; `simulate=N` runs N random walks instead (of at most `depth`
    steps). Any bound hit, or SIGINT / SIGTERM, gives an INCOMPLETE result with the
    reason and the statistics so far. `initial` replaces the spec's initial states (e.g. a counterexample's
    pre-state); `progress` is called with the statistics as the search goes, `notice`
    with a line about work before it that takes a while (compiling kernels). Each
    `cover` of the spec is in `Result.covers`, reached (with a trace) or not; `strict`
    makes a complete search that leaves one unreached exit 1 (`Result.exit_code`).
    """
    start = time.perf_counter()
    options = replace(options, **kwargs) if options is not None else CheckOptions(**kwargs)
    backend = registry.get(options.backend)
    refusal = backend.refusal(options)
    if refusal is not None:
        raise UsageError(refusal)
    limits = Limits(options.time_limit, options.memory_limit, progress, notice)
    with limits.catching_signals():  # from the start: a signal while loading stops cleanly too
        result = backend.run(source_or_program, consts, options, limits, initial)
    result.stats.wall = time.perf_counter() - start
    result.strict = options.strict
    result.options, result.writer = options, _document
    return result


def _document(result: Result) -> dict[str, Any]:
    """What `check --json` prints, for Result.to_dict: the output formats and the
    expectations sit above the core the Result is of (imported only where asked)."""
    from mmcheck.explorer.expect import document

    return document(result)
