"""Symmetry reduction, what every back end shares: the permutations of a program's
symmetric sorts (TLC's SYMMETRY, Murphi's scalarsets), and real traces rebuilt from
searches that store canonical states.

A search stores each state's canonical form (its smallest image under every
permutation), so a trace is rebuilt by first replaying the stored edges over canonical
states, then, from the real initial state, picking at each step a successor whose
canonical form is the next canonical state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from mmcheck.explorer.core.model import Model, State
from mmcheck.explorer.core.result import Step
from mmcheck.spec.ir import Program

Canon = Callable[[State], State]

MAX_PERMUTATIONS = 40320  # 8! : beyond this the canonicaliser itself costs too much


def permutations(program: Program) -> list[dict[str, tuple[int, ...]]]:
    sizes = dict(program.sort_sizes)
    sorts = [s for s in program.symmetric if sizes.get(s, 0) > 1]
    per_sort = [list(itertools.permutations(range(sizes[s]))) for s in sorts]
    out = [dict(zip(sorts, combo)) for combo in itertools.product(*per_sort)]
    return out[1:]  # the first is the identity


def real_trace(model: Model, canon: Canon, initial: State, edges: list[int]) -> list[Step]:
    """The real trace from `initial` whose states have the canonical forms reached by
    following `edges` over canonical states."""
    chain = []
    c = canon(initial)
    for e in edges:
        nxt = model.step(e, c)
        if nxt is None:
            raise RuntimeError(f"edge {e} is not enabled while replaying a trace")
        c = canon(nxt)
        chain.append(c)
    steps = [model.trace_step(None, initial)]
    state = initial
    for target in chain:
        for e, t in model.successors(state):
            if canon(t) == target:
                state = t
                steps.append(model.trace_step(e, t))
                break
        else:
            raise RuntimeError("no real step matches the canonical trace (is the spec symmetric?)")
    return steps
