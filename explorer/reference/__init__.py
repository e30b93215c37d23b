"""The reference interpreter: a second, independent semantics of the spec language.

It evaluates the checked AST directly with Python values and explores by naive BFS,
sharing no code with the lowering, the translation, the vector kernels or the z3
encoding (tests/explorer/reference/test_reference.py holds it to that), so that every back end
can be diffed against it. Written to be obviously correct, not fast.

Where the language reference said nothing, it makes these choices, each now written in
docs/language.md: `trylock` by the lock's holder is false (no misuse); `and`, `or`,
`=>`, `if` and the quantifiers stop as soon as their value is known (`forall` at the
first false element, `exists` at the first true one, in increasing order), so an error
further on never happens; `let` bindings are evaluated at their first use, at most once
(TLA+'s LET); map, record and set values are lazy (TLC's function values): an element
is evaluated where it is read, comparing maps or records stops at the first pair of
elements that differ, storing a value or comparing sets evaluates every element, while
`x in S` stops at the first literal element equal to x; a failure inside a step counts
only if the step is enabled; after an `if` whose condition failed, what either
branch may write holds a failed value and an `await`, lock operation, `either` or
`goto` in a branch is an error; an `await` reading a failed value is an error; several
`terminal`s are or-ed, in order.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> its module, imported on first use: the registry imports this package's
# `backend` module for every command, which should not load the interpreter
_API = {
    "Fault": "evaluate",
    "Exploration": "bfs",
    "check": "bfs",
    "explore": "bfs",
    "Reference": "machine",
    "RState": "machine",
    "Transition": "machine",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_API[name]}"), name)
