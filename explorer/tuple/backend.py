"""The tuple back end's entry in the registry (explorer.core.registry); the back end
itself is imported only to run."""

from __future__ import annotations

import os
from collections.abc import Iterable

from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.model import State
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.registry import Backend
from mmcheck.explorer.core.result import Result
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
    from mmcheck.explorer.tuple.bfs import bfs, make_search
    from mmcheck.explorer.tuple.simulate import simulate

    search = make_search(program(source_or_program, consts), options, limits)
    result = (simulate if options.simulate is not None else bfs)(search, options, initial)
    if options.workers is not None and options.workers != 1:
        result.warnings.append("the tuple back end runs one worker")
    return result


BACKEND = Backend("tuple", "one state at a time", 0, run)
