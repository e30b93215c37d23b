"""The tuple back end's entry in the registry (explorer.core.registry); the back end
itself is imported only to run."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace

from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.model import State
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.registry import Backend
from mmcheck.explorer.core.result import INCOMPLETE, VIOLATED, Result
from mmcheck.spec import program
from mmcheck.spec.ir import Program


def run(
    source_or_program: Program | str | os.PathLike,
    consts: dict | None,
    options: CheckOptions,
    limits: Limits,
    initial: Iterable[State] | None,
) -> Result:
    """Breadth-first, or `options.simulate` random walks."""
    from mmcheck.explorer.liveness import behaviour
    from mmcheck.explorer.tuple.bfs import bfs, make_search
    from mmcheck.explorer.tuple.simulate import simulate

    prog = program(source_or_program, consts, cache=options.cache)
    if options.por and initial is not None:
        initial = list(initial)  # a violation's re-run starts from them again
    search = make_search(prog, options, limits)
    graph = behaviour.attach(search, options, "tuple")
    result = (simulate if options.simulate is not None else bfs)(search, options, initial)
    if graph is not None:
        behaviour.conclude(search, graph, result)
    if options.por and result.verdict == VIOLATED and result.violation is not None:
        shortest(prog, options, limits, initial, result)
    if options.workers is not None and options.workers != 1:
        result.warnings.append("the tuple back end runs one worker")
    return result


def shortest(
    prog: Program,
    options: CheckOptions,
    limits: Limits,
    initial: Iterable[State] | None,
    result: Result,
) -> None:
    """A violation found with partial-order reduction may have a longer trace than the
    shortest: the search is run again without reduction, as deep as that trace, and its
    violation (the one a search without --por reports) replaces it. If that run stops
    early (a bound), the reduced search's violation stays, said not to be shortest."""
    from mmcheck.explorer.tuple.bfs import bfs, make_search

    found = result.violation
    assert found is not None
    if not found.trace:  # in computing the initial states: no step to save
        return
    plain = replace(options, por=False, max_depth=found.length)
    again = bfs(make_search(prog, plain, limits), plain, initial)
    result.stats.elapsed = limits.elapsed
    if again.verdict == VIOLATED and again.violation is not None:
        result.violation = again.violation
        result.stats.por_rerun = again.stats.distinct
        return
    why = again.reason if again.verdict == INCOMPLETE else "it found none"
    result.warnings.append(
        f"the trace is not necessarily shortest: the re-run without partial-order "
        f"reduction to its depth stopped ({why})"
    )


BACKEND = Backend("tuple", "one state at a time", 0, run, por=True)
