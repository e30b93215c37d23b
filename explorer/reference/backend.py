"""The reference back end's entry in the registry (explorer.core.registry): it refuses
the options it does not support; the interpreter is imported only to run, and loads
the spec itself (bfs.check)."""

from __future__ import annotations

import os
from collections.abc import Iterable

from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.registry import Backend
from mmcheck.explorer.core.result import Result
from mmcheck.spec.ir import Program

# options the reference does not support, and how the command line spells them
UNSUPPORTED = {"fingerprint": "--fingerprint", "simulate": "--simulate", "coverage": "--coverage"}


def refuses(options: CheckOptions) -> str | None:
    for name, flag in UNSUPPORTED.items():
        if getattr(options, name):
            return f"the reference back end does not support {flag}"
    if options.workers not in (None, 1):
        return "the reference back end runs one worker"
    return None


def run(
    source: Program | str | os.PathLike,
    consts: dict | None,
    options: CheckOptions,
    limits: Limits,
    initial: Iterable[tuple[int, ...]] | None,
) -> Result:
    from mmcheck.explorer.reference.bfs import check

    return check(source, consts, options, limits, initial)


BACKEND = Backend(
    "reference", "the slow reference interpreter, for cross-checks", 2, run, refuses, symmetry=False
)
