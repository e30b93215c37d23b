"""Which slots a step of a trace wrote, and through which macro calls: presentation for
the trace formats, read off the IR for the trace of any back end.

A pair of states says what changed, not what was written: a store of the value already
there (the racing `locked := true` of a CPU that lost the race) leaves no difference.
The taken action's updates say it, once their conditions and indices are evaluated on
the pre-state with the step's parameters (spec/ir.py: every expression of an update
reads the pre-state). The step was taken, so none of them fails.
"""

from __future__ import annotations

from collections.abc import Mapping

from mmcheck.spec import ir
from mmcheck.spec.fold import APPLY

State = tuple[int, ...]


class NotEvaluable(Exception):
    """An expression that does not evaluate (a step that was not taken as recorded)."""


def evaluate(program: ir.Program, e: ir.Expr, state: State, env: Mapping[str, int]) -> int:
    """The value of `e` in `state` with parameters `env`, as spec/ir.py defines it
    (bools are 0/1); an error of the spec raises NotEvaluable."""

    def ev(e: ir.Expr, env: Mapping[str, int]) -> int:
        if isinstance(e, ir.Const):
            return e.value
        if isinstance(e, ir.Param):
            return env[e.name]
        if isinstance(e, ir.Read):
            try:
                return state[program.slot_index(e.var, tuple(ev(i, env) for i in e.index))]
            except IndexError:
                raise NotEvaluable("domain") from None
        if isinstance(e, ir.Unary):
            v = ev(e.arg, env)
            return int(not v) if e.op == "not" else -v
        if isinstance(e, ir.Binary):
            a = ev(e.left, env)
            if e.op in ("and", "or", "=>"):  # left to right, short-circuit
                stop = a if e.op == "or" else not a
                if stop:
                    return int(e.op != "and")
                return int(bool(ev(e.right, env)))
            b = ev(e.right, env)
            if e.op in ("div", "mod") and b == 0:
                raise NotEvaluable("div")
            return int(APPLY[e.op](a, b))
        if isinstance(e, ir.Ite):
            return ev(e.then, env) if ev(e.cond, env) else ev(e.other, env)
        if isinstance(e, ir.Guard):
            if not ev(e.cond, env):
                raise NotEvaluable(e.kind)
            return ev(e.then, env)
        if isinstance(e, ir.Quant):
            values = range(ev(e.lo, env), ev(e.hi, env) + 1)
            body = (ev(e.body, {**env, e.var: k}) for k in values)
            if e.kind == "forall":
                return int(all(body))
            if e.kind == "exists":
                return int(any(body))
            if e.kind == "count":
                return sum(1 for b in body if b)
            return sum(body)
        raise NotEvaluable(f"not a concrete expression: {e!r}")  # SymConst

    return ev(e, env)


def writers(
    program: ir.Program, action: ir.Action, params: Mapping[str, int], pre: State
) -> dict[int, int] | None:
    """Each slot the step wrote, with the index in `action.updates` of the update that
    wrote it last (later writes win), in that order; None where the updates do not
    evaluate."""
    out: dict[int, int] = {}
    try:
        for k, u in enumerate(action.updates):
            if not evaluate(program, u.cond, pre, params):
                continue
            if isinstance(u, ir.Assign):
                index = tuple(evaluate(program, i, pre, params) for i in u.index)
                slots: range | tuple[int, ...] = (program.slot_index(u.var, index),)
            else:
                slots = program.var_slots(u.var)
            for slot in slots:
                out.pop(slot, None)  # keep the dict in the order of the last writes
                out[slot] = k
    except (NotEvaluable, IndexError, KeyError):
        return None
    return out
