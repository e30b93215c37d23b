"""Explicit-state exploration: `check` runs a spec's model and returns a Result."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, VIOLATED, Result, Stats, Violation
from mmcheck.spec.errors import UsageError
from mmcheck.spec.ir import Program

__all__ = ["HOLDS", "INCOMPLETE", "VIOLATED", "Result", "Stats", "Violation", "check", "load"]


def load(source_or_program: Program | str | os.PathLike, consts: dict | None = None) -> Program:
    """A Program as given, or loaded from a spec path or text by the front end."""
    if isinstance(source_or_program, Program):
        return source_or_program
    from mmcheck import spec

    return spec.load(source_or_program, consts)


def check(
    source_or_program: Program | str | os.PathLike,
    consts: dict | None = None,
    *,
    invariants: Iterable[str] | None = None,
    deadlock: bool = True,
    max_depth: int | None = None,
    max_states: int | None = None,
    time_limit: float | None = None,
    memory_limit: float | None = None,
    fingerprint: bool = False,
    symmetry: bool = True,
    simulate: int | None = None,
    seed: int | None = None,
    depth: int | None = None,
    coverage: bool = False,
    backend: str = "tuple",
    workers: int | None = 1,
    initial: Iterable[tuple[int, ...]] | None = None,
    progress: Callable[[Stats], None] | None = None,
) -> Result:
    """Check every invariant (or those named), step errors and deadlocks of a spec.

    Breadth-first by default, so a violation comes with a shortest trace; `simulate=N`
    runs N random walks instead (of at most `depth` steps). Any bound hit, or SIGINT /
    SIGTERM, gives an INCOMPLETE result with the reason and the statistics so far.
    `initial` replaces the spec's initial states (e.g. a counterexample's pre-state).
    """
    from mmcheck.explorer.core.limits import Limits
    from mmcheck.explorer.tuple.bfs import bfs, make_search
    from mmcheck.explorer.tuple.simulate import simulate as run_simulation

    limits = Limits(time_limit, memory_limit, progress)
    with limits.catching_signals():  # from the start: a signal while loading stops cleanly too
        if backend == "reference":
            from mmcheck.explorer import reference

            return reference.check(source_or_program, consts, limits=limits, options=dict(
                invariants=invariants, deadlock=deadlock, max_depth=max_depth,
                max_states=max_states, fingerprint=fingerprint, symmetry=symmetry,
                simulate=simulate, coverage=coverage, workers=workers, initial=initial))
        program = load(source_or_program, consts)
        if backend == "vector":
            from mmcheck.explorer.vector import engine

            return engine.check(program, invariants=invariants, deadlock=deadlock,
                                max_depth=max_depth, max_states=max_states,
                                time_limit=time_limit, memory_limit=memory_limit,
                                fingerprint=fingerprint, symmetry=symmetry, simulate=simulate,
                                seed=seed, depth=depth, coverage=coverage, workers=workers,
                                initial=initial, progress=progress, limits=limits)  # fmt: skip
        if backend != "tuple":
            raise UsageError(f"unknown back end {backend!r} (tuple, vector or reference)")
        search = make_search(program, invariants=invariants, deadlock=deadlock,
                             symmetry=symmetry and simulate is None, coverage=coverage,
                             bounds={"max-depth": max_depth, "max-states": max_states,
                                     "simulate": simulate, "depth": depth,
                                     "time-limit": time_limit, "memory-limit": memory_limit},
                             limits=limits)  # fmt: skip
        if simulate is not None:
            result = run_simulation(search, initial, simulate, seed, depth)
        else:
            result = bfs(search, initial, fingerprint=fingerprint, max_depth=max_depth,
                         max_states=max_states)  # fmt: skip
    if workers is not None and workers != 1:
        result.warnings.append("the tuple back end runs one worker")
    return result
