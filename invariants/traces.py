"""Traces from z3 models: concrete states, parameters and steps in the explorer's
Step/Violation objects, so CTIs and BMC counterexamples print in every explorer format."""

from __future__ import annotations

import z3

from mmcheck.explorer.core.result import FailedStep, Step, Violation
from mmcheck.invariants.encode import Encoder, Err, State, StepEnc, as_int
from mmcheck.spec import ir


def model_int(model: z3.ModelRef, t: z3.ExprRef) -> int:
    v = model.eval(as_int(t), model_completion=True)
    return v.as_long()


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
            term = z3.Select(val, *(z3.IntVal(i) for i in slot.index))
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
    """The error the model makes happen (error conditions are mutually exclusive)."""
    for e in errors:
        if z3.is_true(model.eval(e.cond, model_completion=True)):
            return e
    raise ValueError("the model raises none of the errors")


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
        if any(z3.is_true(model.eval(e.cond, model_completion=True)) for e in errs):
            err = first_error(model, errs)
            message = f"{err.message} (evaluating constraint {con.name})"
            return Violation(err.kind, con.name, message, err.loc, trace)
    return None


def invariant_violation(trace: tuple[Step, ...], inv: ir.Invariant) -> Violation:
    return Violation("invariant", inv.name, f"invariant {inv.name} is violated", inv.loc, trace)
