"""The tuple back end's model: the functions of the Python module that
explorer.tuple.translate generates from a Program, behind the core's `Model` protocol
(explorer.core.model), whose generic members it inherits.

The generated module provides iter_init (the model's init_choices), successors, one
step function per action (st_<i>(s, *params) -> state or None), one function per
invariant, the same for the state constraints (con_<j>, and constraints_ok for all of
them; the search compiles the check of the invariants it chooses as one function,
`all_hold`), one per cover (cov_<j>), one per predicate of a temporal property
(prop_<j>_p, and prop_<j>_q for leads_to), terminal, all_done, and fingerprint:
CPython's tuple hash, with slots that may hold -1 shifted first, since
hash(-1) == hash(-2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from mmcheck.explorer.core.model import EdgeGroup, EvalError, Model, State
from mmcheck.spec.ir import Invariant, Program, Property


@dataclass
class CompiledModel(Model):
    program: Program
    source: str  # the generated Python module
    groups: tuple[EdgeGroup, ...]
    init_choices: Callable[[], Iterator[State | None]]  # the generated iter_init
    successors: Callable[[State], list[tuple[int, State]]]
    _steps: tuple[Callable[..., State | None], ...]  # per edge group: st_<i>
    invariants: tuple[tuple[Invariant, Callable[[State], object]], ...]
    terminal: Callable[[State], bool]
    all_done: Callable[[State], bool]
    # compiles, for some of `invariants`, a function s -> truthy where all of them hold
    all_hold: Callable[[Iterable[Invariant]], Callable[[State], object]]
    constraints: tuple[tuple[Invariant, Callable[[State], object]], ...]
    constraints_ok: Callable[[State], object]  # all of Program.constraints hold
    covers: tuple[tuple[Invariant, Callable[[State], object]], ...]  # cov_<j>
    # per Program.properties entry: the property, its P (prop_<j>_p) and, for leads_to,
    # its Q (prop_<j>_q), else None: what the liveness check labels states with
    properties: tuple[tuple[Property, Callable[[State], object], Callable | None], ...]
    # compiles, per action, a test (state, *params) -> taken of each of its branches
    branch_tests: Callable[[], tuple[tuple[Callable[..., object], ...], ...]]
    fingerprint: Callable[[State], int]  # 64-bit hash of a state, no systematic collisions

    def step(self, edge: int, state: State) -> State | None:
        g = self.group_of(edge)
        return self._steps[self.groups.index(g)](state, *g.params(edge - g.base))

    def first_error(self, state: State) -> tuple[int, EvalError] | None:
        """The first edge (in edge order) whose execution from `state` raises EvalError."""
        for gi, g in enumerate(self.groups):
            fn = self._steps[gi]
            for off in range(g.count):
                try:
                    fn(state, *g.params(off))
                except EvalError as e:
                    return g.base + off, e
        return None
