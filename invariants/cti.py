"""Is a counterexample to induction real? Search for its states from the initial states.

A CTI shows that Inv is not inductive; it is a real violation only if its pre-state (or
its bad post-state) is reachable. The explorer is run from Init with one extra
invariant, "the state differs from the CTI's", with symmetry reduction off (that
predicate is not symmetric): a violation of it is a trace reaching the state, a
complete run without one shows the state unreachable, a run cut short by a bound
settles nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import explorer
from explorer.result import HOLDS, VIOLATED, Result, Violation
from spec import ir

TARGET = "cti state"  # the extra invariant's name (no spec name has a space)


@dataclass(frozen=True)
class Reachability:
    verdict: str  # "reachable", "unreachable" or "unknown"
    text: str


def differs_from(program: ir.Program, states: list[tuple[int, ...]]) -> ir.Expr:
    """An IR predicate true in every state but the given ones."""
    out: ir.Expr = ir.TRUE
    for state in states:
        same: ir.Expr = ir.TRUE
        for slot, value in zip(program.slots, state):
            index = tuple(ir.Const(i) for i in slot.index)
            eq = ir.Binary("==", ir.Read(slot.var, index), ir.Const(value))
            same = eq if same is ir.TRUE else ir.Binary("and", same, eq)
        out = ir.Binary("and", out, ir.Unary("not", same))
    return out


def search(program: ir.Program, states: list[tuple[int, ...]], **bounds: object) -> Result:
    """Explore from Init until one of `states` is reached."""
    target = ir.Invariant(TARGET, differs_from(program, states), program.init.loc)
    extended = dataclasses.replace(program, invariants=program.invariants + (target,))
    return explorer.check(extended, invariants=[TARGET], deadlock=False, symmetry=False, **bounds)


def check_cti(program: ir.Program, violation: Violation, **bounds: object) -> Reachability:
    """Whether the CTI's pre-state or its bad post-state is reachable from Init.
    `bounds` go to explorer.check (max_states, time_limit, max_depth, ...)."""
    if len(violation.trace) == 1 and violation.failed is None:
        return Reachability("reachable", "an initial state violates it: a real violation")
    pre = violation.trace[0].state
    r = search(program, [s.state for s in violation.trace], **bounds)
    if r.verdict == VIOLATED and r.violation is not None and r.violation.name == TARGET:
        which = "pre-state" if r.violation.trace[-1].state == pre else "bad post-state"
        return Reachability(
            "reachable",
            f"{which} reachable from Init in {r.violation.length} steps: a real violation",
        )
    if r.verdict == HOLDS:
        return Reachability(
            "unreachable",
            f"not reachable: the complete state space ({r.stats.distinct} distinct states) "
            "contains neither its pre-state nor its post-state; strengthen the invariant with a lemma",
        )
    if r.verdict == VIOLATED and r.violation is not None:
        why = f"the exploration stopped first at a {r.violation.kind} violation ({r.violation.message})"
    else:
        why = f"not found within the bounds ({r.reason or 'incomplete'}, {r.stats.distinct} distinct states)"
    return Reachability("unknown", f"unknown: {why}")
