"""Traces from z3 models: concrete states, parameters and steps in the explorer's
Step/Violation objects, so CTIs and BMC counterexamples print in every explorer format.

Every term is read through `value`: z3's model evaluator leaves a quantifier open (one
over a range whose bound is an action's parameter, say: `forall j in 1..n` is a z3
ForAll then), so a step's error condition could be neither true nor false in the model
that satisfies it. Such a term, closed by the model's values, is decided by a solver.
"""

from __future__ import annotations

import z3

from mmcheck.explorer.core.result import FailedStep, Step, Violation
from mmcheck.invariants.encode import Encoder, Err, State, StepEnc, as_int
from mmcheck.spec import ir


class Undecided(Exception):
    """z3 cannot evaluate a term of a model it gave; the message says why."""


def value(model: z3.ModelRef, t: z3.ExprRef) -> z3.ExprRef:
    """The value of t in the model: a numeral, or true or false."""
    v = model.eval(t, model_completion=True)
    if not _is_value(v):
        # the quantifiers left open read nothing of the model any more: each is decided
        # on its own, and the term then simplifies to a value
        v = z3.simplify(z3.substitute(v, *((q, _decide(q)) for q in _open_quantifiers(v))))
        if not _is_value(v):
            raise Undecided(f"z3 cannot evaluate {v.sexpr()[:200]} in its model")
    return v


def _is_value(v: z3.ExprRef) -> bool:
    return z3.is_int_value(v) or z3.is_true(v) or z3.is_false(v)


def _open_quantifiers(t: z3.ExprRef) -> list[z3.QuantifierRef]:
    """The outermost quantifiers in t."""
    out: list[z3.QuantifierRef] = []
    todo, seen = [t], set()
    while todo:
        e = todo.pop()
        if e.get_id() in seen:
            continue
        seen.add(e.get_id())
        if z3.is_quantifier(e):
            out.append(e)
        elif z3.is_app(e):
            todo.extend(e.children())
    return out


def _decide(q: z3.QuantifierRef) -> z3.BoolRef:
    """Whether the closed formula q is true."""
    answers = []
    for claim in (q, z3.Not(q)):
        s = z3.Solver(ctx=q.ctx)
        s.add(claim)
        answers.append(s.check())
        if answers[-1] == z3.unknown:
            raise Undecided(f"z3 cannot decide {q.sexpr()[:200]}: {s.reason_unknown()}")
    if answers == [z3.sat, z3.unsat]:
        return z3.BoolVal(True, q.ctx)
    if answers == [z3.unsat, z3.sat]:
        return z3.BoolVal(False, q.ctx)
    raise Undecided(f"z3 finds {q.sexpr()[:200]} neither true nor false")


def holds(model: z3.ModelRef, cond: z3.ExprRef) -> bool:
    return z3.is_true(value(model, cond))


def model_int(model: z3.ModelRef, t: z3.ExprRef) -> int:
    return value(model, as_int(t)).as_long()


def const_values(enc: Encoder, model: z3.ModelRef) -> dict[str, int]:
    """The model's values of the symbolic constants."""
    return {name: model_int(model, t) for name, t in enc.consts.items()}


def state_tuple(
    enc: Encoder, model: z3.ModelRef, st: State, concrete: ir.Program
) -> tuple[int, ...]:
    """The state as a slot tuple of `concrete` (the program itself, or for a symbolic
    program the same spec loaded with the model's constants)."""
    out = []
    for slot in concrete.slots:
        val = st.vals[slot.var]
        if isinstance(val, dict):
            term = val[slot.index]
        elif not slot.index:
            term = val
        else:
            term = z3.Select(val, *(z3.IntVal(i, enc.ctx) for i in slot.index))
        out.append(model_int(model, term))
    return tuple(out)


def param_values(model: z3.ModelRef, step: StepEnc) -> tuple[tuple[str, int], ...]:
    return tuple((p.name, model_int(model, step.params[p.name])) for p in step.action.params)


def make_step(
    program: ir.Program,
    action: ir.Action,
    params: tuple[tuple[str, int], ...],
    state: tuple[int, ...],
) -> Step:
    process, instance = _instance(program, action, params)
    return Step(action.name, params, state, process, instance, action.label, action.loc)


def failed_step(
    program: ir.Program, action: ir.Action, params: tuple[tuple[str, int], ...]
) -> FailedStep:
    process, instance = _instance(program, action, params)
    return FailedStep(action.name, params, process, instance, action.label)


def _instance(
    program: ir.Program, action: ir.Action, params: tuple[tuple[str, int], ...]
) -> tuple[str | None, str | None]:
    if action.process is None:
        return None, None
    proc = next(p for p in program.processes if p.name == action.process)
    index = dict(params).get("self") if proc.index is not None else None
    return proc.name, ir.instance_name(proc, index)


def first_error(model: z3.ModelRef, errors: list[Err]) -> Err:
    """The error the model makes happen (error conditions are mutually exclusive); the
    caller knows that one does."""
    for e in errors:
        if holds(model, e.cond):
            return e
    raise AssertionError("the model raises none of the errors")


def error_violation(
    trace: tuple[Step, ...],
    program: ir.Program,
    err: Err,
    step: StepEnc,
    params: tuple[tuple[str, int], ...],
) -> Violation:
    return Violation(
        err.kind, None, err.message, err.loc, trace, failed_step(program, step.action, params)
    )


def constraint_error(
    model: z3.ModelRef, enc: Encoder, st: State, trace: tuple[Step, ...]
) -> Violation | None:
    """The failure to evaluate a constraint in st that the model makes happen, if any."""
    for con, errs in enc.constraint_errors(st):
        if any(holds(model, e.cond) for e in errs):
            err = first_error(model, errs)
            message = f"{err.message} (evaluating constraint {con.name})"
            return Violation(err.kind, con.name, message, err.loc, trace)
    return None


def invariant_violation(trace: tuple[Step, ...], inv: ir.Invariant) -> Violation:
    return Violation("invariant", inv.name, f"invariant {inv.name} is violated", inv.loc, trace)
