"""mmcheck: model checking and z3 proofs for the locking protocols of Linux memory
management.

The public API:

    import mmcheck
    program = mmcheck.load("races/mlock_munlock.mms", {"FIXED": False})
    result = mmcheck.check(program)          # explicit-state search: a Result
    print(result.verdict, result.stats.distinct, result.violation)
    proof = mmcheck.prove(program)           # z3: inductive invariants (a ProveResult)
    found = mmcheck.infer("races/rmap_vma_adjust.mms")  # z3: lemmas inferred (InferResult)
    bounded = mmcheck.bmc(program, depth=8)  # z3: bounded model checking (a Result)

The documents of the verbs' --json come from the same objects: `proof.to_dict()`,
`mmcheck.bmc_json(program, bounded, 8)`; `mmcheck.schema("check")` (or test, prove, bmc)
is the JSON Schema of each.

The packages, one layer over the next: mmcheck.spec (the language: parser, checker, IR),
mmcheck.explorer (explicit-state back ends over the IR, and the output formats) and
mmcheck.invariants (the z3 back end).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("mmcheck")  # as installed (pyproject.toml's version)
except PackageNotFoundError:  # a source tree used without installing it
    __version__ = "0+unknown"

# name -> the module that defines it; imported on first use, so that the command (and
# `import mmcheck`) loads neither z3 nor the explorer before a verb needs them
_API = {
    "check": "mmcheck.explorer",
    "load": "mmcheck.explorer",
    "CheckOptions": "mmcheck.explorer",
    "prove": "mmcheck.invariants",
    "infer": "mmcheck.invariants",
    "InferResult": "mmcheck.invariants",
    "bmc": "mmcheck.invariants",
    "ProveResult": "mmcheck.invariants",
    "replay": "mmcheck.explorer.replay",
    "bmc_json": "mmcheck.invariants",
    "schema": "mmcheck.explorer.report.schema",
    **dict.fromkeys(
        ("HOLDS", "VIOLATED", "INCOMPLETE", "BOUNDED", "Result", "Stats", "Violation"),
        "mmcheck.explorer.core.result",
    ),
    **dict.fromkeys(("SpecError", "SpecErrors", "UsageError"), "mmcheck.spec.errors"),
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'mmcheck' has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
