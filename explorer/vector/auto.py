"""--backend auto, the default, and its entry in the registry (explorer.core.registry):
the tuple back end, which hands the search over to the vector back end once a BFS
level has CheckOptions.switch_at states (SWITCH_AT by default). Small state spaces are
searched before the vector back end would have started (numba, the kernels: about a
second); large ones at its speed.

The hand-over is exact: at a level boundary the tuple BFS stops (bfs_until, in
explorer.tuple.bfs) and the vector engine takes over its visited set, parent links,
initial states and the level to expand next (VectorBFS.adopt), with the same Search:
statistics so far, covers reached, coverage, bounds and clock. The two back ends store
the same canonical states in the same discovery order and number edges alike, so the
counts, verdict, depth and trace are those of either back end run alone.

Where the vector back end cannot take a search over:
  - a check of temporal properties (explorer.liveness.behaviour) runs on the tuple back end,
    which records the behaviour graph;
  - what only the tuple back end does (--por, --simulate, --coverage with several
    workers: the vector back end's refusals) runs on the tuple back end;
  - a spec the vector back end cannot compile stays on the tuple back end;
  - with --fingerprint (the tuple back end keeps hashes, not states, and not the
    vector back end's hashes) or several workers (each owns its partition of the
    visited set from the start), the tuple search is a probe: past the threshold it is
    dropped and the vector back end searches from the start, its clock and bounds
    counting the probe's time.
Stats.backend says which back end ended the search, and Stats.auto how the vector back
end came in (or why it could not). This module stays light: the back ends are imported
to run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.model import State
from mmcheck.explorer.core.options import SWITCH_AT, CheckOptions
from mmcheck.explorer.core.registry import Backend
from mmcheck.explorer.core.result import Result
from mmcheck.explorer.core.search import Search
from mmcheck.explorer.vector import backend as vector_backend
from mmcheck.spec import program
from mmcheck.spec.errors import UsageError
from mmcheck.spec.ir import Program

if TYPE_CHECKING:
    from mmcheck.explorer.vector.engine import VectorBFS


def run(
    source_or_program: Program | str | os.PathLike,
    consts: dict | None,
    options: CheckOptions,
    limits: Limits,
    initial: Iterable[State] | None,
) -> Result:
    from mmcheck.explorer.liveness import behaviour
    from mmcheck.explorer.tuple import backend as tuple_backend
    from mmcheck.explorer.tuple.bfs import bfs_until, make_search

    prog = program(source_or_program, consts, cache=options.cache)
    as_tuple = replace(options, backend="tuple", switch_at=None)
    as_vector = replace(options, backend="vector", switch_at=None)
    props = behaviour.refuse(prog, options, "auto")
    if props:  # the fair-cycle check needs the tuple back end's graph
        result = tuple_backend.run(prog, None, as_tuple, limits, initial)
        result.stats.auto = f"stayed on tuple: it checks property {props[0].name} for fair cycles"
        return result
    pinned = vector_backend.BACKEND.refusal(as_vector)
    if pinned is not None:
        return tuple_backend.run(prog, None, as_tuple, limits, initial)
    if initial is not None:
        initial = list(initial)  # a search started again starts from them again
    at = SWITCH_AT if options.switch_at is None else options.switch_at
    search = make_search(prog, as_tuple, limits)
    taker = Taker(search, as_vector, initial)
    outcome = bfs_until(search, as_tuple, initial, at, taker.ready)
    if isinstance(outcome, Result):
        outcome.stats.auto = taker.why
        return outcome
    assert taker.run is not None
    depth, size = outcome.depth, len(outcome.level)
    level = f"level of {size:,} state{'s' if size != 1 else ''}"
    if taker.restarts:
        del outcome  # the probe's states
        result = taker.run.check(options.workers)
        result.stats.auto = (
            f"a tuple probe to depth {depth} found a {level}, searched again from the start"
        )
    else:
        result = vector_backend.engine().resume(taker.run, outcome)
        result.stats.auto = f"tuple to depth {depth}, vector from its {level}"
    result.stats.backend = "vector"
    # the memory grown counts both back ends' stores and the vector one's start-up
    # (numba, its tables): no figure a state
    result.stats.bytes_per_state = None
    return result


class Taker:
    """The vector back end's side of a switch: built when the tuple search reaches the
    threshold (`ready`), which then stops, unless the vector back end cannot check the
    spec (`why`: the tuple search goes on)."""

    def __init__(self, search: Search, options: CheckOptions, initial: list[State] | None) -> None:
        self.search = search
        self.options = options
        self.initial = initial
        # a fingerprint store cannot be taken over, nor one visited set split among
        # workers: the vector back end searches from the start instead
        self.restarts = options.fingerprint or options.workers != 1
        self.run: VectorBFS | None = None
        self.why: str | None = None

    def ready(self) -> bool:
        from mmcheck.explorer.tuple.bfs import make_search

        search = self.search
        if self.restarts:
            search = make_search(search.model.program, self.options, search.limits)
        try:  # compiles the kernels: the search's clock runs on (restart=False)
            self.run = vector_backend.engine().VectorBFS.of(
                search, self.options, self.initial if self.restarts else None, restart=False
            )
        # what the vector model cannot express, or no numba
        except (UsageError, ValueError) as e:
            self.why = f"stayed on tuple: {e}"
            return False
        return True


BACKEND = Backend(
    "auto",
    "tuple, then vector from the first BFS level of --switch-at states (the default)",
    -1,
    run,
    por=True,
)
