"""The vector back end's entry in the registry (explorer.core.registry): what it refuses
is decided here, without numpy; its engine is imported only to run."""

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


def refuses(options: CheckOptions) -> str | None:
    if options.simulate is not None:  # CheckOptions allows --seed and --depth only with it
        return (
            "the vector back end explores exhaustively: --simulate, --seed and --depth "
            "need the tuple back end"
        )
    if options.coverage and options.workers != 1:
        return "the vector back end records coverage with one worker: add --workers 1"
    return None


def run(
    source_or_program: Program | str | os.PathLike,
    consts: dict | None,
    options: CheckOptions,
    limits: Limits,
    initial: Iterable[State] | None,
) -> Result:
    from mmcheck.explorer.vector import engine  # numpy and numba

    return engine.check(program(source_or_program, consts), options, limits, initial)


BACKEND = Backend("vector", "numpy, a BFS level at a time", 1, run, refuses)
