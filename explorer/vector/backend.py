"""The vector back end's entry in the registry (explorer.core.registry): what it refuses
is decided here, without numpy; its engine is imported only to run."""

from __future__ import annotations

import os
from collections.abc import Iterable
from types import ModuleType

from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.model import State
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.registry import Backend
from mmcheck.explorer.core.result import Result
from mmcheck.spec import program
from mmcheck.spec.errors import UsageError
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


def engine() -> ModuleType:
    """The vector engine, imported with numpy and numba; a failed import (no numba, or a
    numba or llvmlite wheel that does not match this Python) is a usage error that says
    so, where --backend auto stays on the tuple back end."""
    try:
        from mmcheck.explorer.vector import engine
    except ImportError as e:
        raise UsageError(
            f"the vector back end needs numba and numpy, which do not import here ({e}); "
            "--backend tuple runs without them (docs/troubleshooting.md)"
        ) from None
    return engine


def run(
    source_or_program: Program | str | os.PathLike,
    consts: dict | None,
    options: CheckOptions,
    limits: Limits,
    initial: Iterable[State] | None,
) -> Result:
    from mmcheck.explorer.liveness import behaviour

    prog = program(source_or_program, consts, cache=options.cache)
    behaviour.refuse(prog, options, "vector")  # no property, or a usage error
    return engine().check(prog, options, limits, initial)


BACKEND = Backend("vector", "numpy, a BFS level at a time", 1, run, refuses)
