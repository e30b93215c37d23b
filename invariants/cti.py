"""Is a counterexample to induction real? Search for its states from the initial states.

A CTI shows that Inv is not inductive; it is a real violation if the invariant fails in
a reachable state, or if a reachable state agrees with its pre-state on the slots that
the action and the invariant read (the action then takes it to a state breaking the
invariant: no other slot decides that). So the explorer first checks the invariant
itself: a violation is a real bug, shown with its shortest trace, and a complete run
without one shows the CTI unreachable. Only if that run is cut short by a bound is
the CTI searched for: with one extra invariant, "the state differs from the CTI's
pre-state on those slots, and from its post-state on the invariant's", with symmetry
reduction off (that predicate is not symmetric); a run cut short settles nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Set
from dataclasses import dataclass

from mmcheck import explorer
from mmcheck.explorer.core.result import HOLDS, VIOLATED, Result, Violation
from mmcheck.spec import ir
from mmcheck.spec.slots import reads, touched

TARGET = "cti state"  # the extra invariant's name (no spec name has a space)


@dataclass(frozen=True)
class Reachability:
    verdict: str  # "reachable", "unreachable" or "unknown"
    text: str
    violation: Violation | None = None  # the shortest trace of a real violation found


def differs_from(program: ir.Program, states: list[tuple[tuple[int, ...], Set[int]]]) -> ir.Expr:
    """An IR predicate true in every state but those that agree with one of the given
    states on its given slots."""
    out: ir.Expr = ir.TRUE
    for state, slots in states:
        same: ir.Expr = ir.TRUE
        for k in sorted(slots):
            slot = program.slots[k]
            index = tuple(ir.Const(i) for i in slot.index)
            eq = ir.Binary("==", ir.Read(slot.var, index), ir.Const(state[k]))
            same = eq if same is ir.TRUE else ir.Binary("and", same, eq)
        out = ir.Binary("and", out, ir.Unary("not", same))
    return out


def read_by(program: ir.Program, e: ir.Expr) -> set[int]:
    """The slots an expression may read."""
    out: set[int] = set()
    for rd in reads(e):
        out |= touched(program, rd.var, rd.index)
    return out


def targets(program: ir.Program, violation: Violation) -> list[tuple[tuple[int, ...], Set[int]]]:
    """The CTI's states, each with the slots deciding the violation: for the pre-state what
    the action and the invariant read, for the bad post-state what the invariant reads."""
    props = (*program.invariants, *program.constraints)  # a constraint: its evaluation failed
    inv = next((i for i in props if i.name == violation.name), None)
    inv_slots = read_by(program, inv.expr) if inv is not None else set()
    step = violation.failed.action if violation.failed else violation.trace[-1].action
    action = next(a for a in program.actions if a.name == step)
    pre = (violation.trace[0].state, action.reads | inv_slots)
    return [pre] + [(s.state, inv_slots) for s in violation.trace[1:]]


def search(
    program: ir.Program, states: list[tuple[tuple[int, ...], Set[int]]], **bounds: object
) -> Result:
    """Explore from Init until a state agreeing with one of `states` on its slots is reached."""
    target = ir.Invariant(TARGET, differs_from(program, states), program.init.loc)
    extended = dataclasses.replace(program, invariants=program.invariants + (target,))
    return explorer.check(extended, invariants=[TARGET], deadlock=False, symmetry=False, **bounds)


def check_cti(program: ir.Program, violation: Violation, **bounds: object) -> Reachability:
    """Whether the CTI is a real violation: the invariant (or, for an error, the step)
    fails in a reachable state, or the CTI's pre-state or its bad post-state is reachable
    on the slots that decide it. `bounds` go to explorer.check (max_states, time_limit,
    max_depth, ...)."""
    if len(violation.trace) == 1 and violation.failed is None:
        return Reachability("reachable", "an initial state violates it: a real violation")
    goal = [violation.name] if violation.kind == "invariant" else []  # [] checks steps only
    real = explorer.check(program, invariants=goal, deadlock=False, symmetry=False, **bounds)
    found = real.violation
    if real.verdict == VIOLATED and found is not None and found.kind == violation.kind:
        if violation.kind == "invariant":
            what = f"invariant {violation.name} is really violated"
        elif found.failed is None and found.name is not None:  # a constraint's evaluation
            what = f"constraint {found.name} really fails to evaluate ({found.message})"
        else:
            what = f"a step really fails ({found.message})"
        return Reachability(
            "reachable",
            f"{what}, not merely not inductive: the explored state space breaks it "
            f"in {found.length} steps (the shortest trace below)",
            found,
        )
    if real.verdict == HOLDS:
        return Reachability(
            "unreachable",
            f"not reachable: the complete state space ({real.stats.distinct} distinct states) "
            "never breaks it, so it holds no state that agrees with the CTI's pre-state on "
            "the slots the action and the invariant read; strengthen the invariant with a lemma",
        )
    if real.verdict != VIOLATED:  # cut short by a bound: is the CTI within reach?
        states = targets(program, violation)
        r = search(program, states, **bounds)
        if r.verdict == VIOLATED and r.violation is not None and r.violation.name == TARGET:
            reached = r.violation.trace[-1].state
            pre, slots = states[0]
            which = "pre-state" if all(reached[k] == pre[k] for k in slots) else "bad post-state"
            return Reachability(
                "reachable",
                f"{which} reachable from Init in {r.violation.length} steps (on the slots "
                "the action and the invariant read): a real violation",
            )
        real = r
    if real.verdict == VIOLATED and real.violation is not None:
        v = real.violation
        why = f"the exploration stopped first at a {v.kind} violation ({v.message})"
    else:
        why = (
            f"not found within the bounds ({real.reason or 'incomplete'}, "
            f"{real.stats.distinct} distinct states)"
        )
    return Reachability("unknown", f"unknown: {why}")
