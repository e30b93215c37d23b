"""The Ray back end's entry in the registry (explorer.core.registry): what it refuses is
decided here, without importing Ray; its engine is imported only to run."""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib.util import find_spec

from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.model import State
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.registry import Backend
from mmcheck.explorer.core.result import Result
from mmcheck.spec import program
from mmcheck.spec.ir import Program


def refuses(options: CheckOptions) -> str | None:
    if find_spec("ray") is None:
        return "the ray back end needs Ray: pip install 'mmcheck[ray]'"
    if options.simulate is not None:  # CheckOptions allows --seed and --depth only with it
        return (
            "the ray back end explores exhaustively: --simulate, --seed and --depth "
            "need the tuple back end"
        )
    if options.coverage:
        return "the ray back end records no coverage: use --backend vector --workers 1"
    return None


def run(
    source_or_program: Program | str | os.PathLike,
    consts: dict | None,
    options: CheckOptions,
    limits: Limits,
    initial: Iterable[State] | None,
) -> Result:
    from mmcheck.explorer.liveness import behaviour

    prog = program(source_or_program, consts, cache=options.cache)
    behaviour.refuse(prog, options, "ray")  # no property, or a usage error
    from mmcheck.explorer.ray import engine  # ray, numpy and numba

    return engine.check(prog, options, limits, initial)


BACKEND = Backend(
    "ray", "vector kernels in Ray actors, on one machine or a cluster", 3, run, refuses
)
