"""Interval bounds of IR expressions, so the vector back end can refuse at start-up a spec
whose arithmetic might leave numpy's int64, where the tuple back end (Python ints) would
go on: the two must never disagree silently.
"""

from __future__ import annotations

from collections.abc import Iterator

from mmcheck.explorer.vector.expr import Unsupported
from mmcheck.spec import ir

INT64_SAFE = 1 << 62  # every intermediate value stays strictly inside +-2^62

Bounds = tuple[int, int]
_BOOL: Bounds = (0, 1)


def check_int64(program: ir.Program) -> None:
    """Raise Unsupported (naming the spec location) if some expression of the program
    may take a value outside +-2^62."""
    for action in (program.init, *program.actions):
        env = {p.name: (ir.const_int(p.type.lo), ir.const_int(p.type.hi)) for p in action.params}
        for e, loc in _action_exprs(action):
            _bounds(program, e, env, loc)
        for u in action.updates:
            if isinstance(u, ir.AssignAll):
                dims = program.var(u.var).dims
                inner = env | {
                    name: (ir.const_int(d.lo), ir.const_int(d.hi))
                    for name, d in zip(u.params, dims)
                }
                _bounds(program, u.value, inner, u.loc)
    for inv in (*program.invariants, *program.constraints):
        _bounds(program, inv.expr, {}, inv.loc)
    if program.terminal is not None:
        _bounds(program, program.terminal, {}, program.init.loc)


def _action_exprs(action: ir.Action) -> Iterator[tuple[ir.Expr, ir.Loc]]:
    """Every expression of the action evaluated over the pre-state, with its place."""
    yield action.guard, action.loc
    for c in action.checks:
        yield c.cond, c.loc
    for u in action.updates:
        yield u.cond, u.loc
        if isinstance(u, ir.Assign):
            for i in u.index:
                yield i, u.loc
            yield u.value, u.loc


def _bounds(program: ir.Program, e: ir.Expr, env: dict[str, Bounds], loc: ir.Loc) -> Bounds:
    lo, hi = _node(program, e, env, loc)
    if lo <= -INT64_SAFE or hi >= INT64_SAFE:
        raise Unsupported(
            f"at {loc}: a value may reach {lo if lo <= -INT64_SAFE else hi}, beyond the "
            "64-bit integers the vector back end computes in (use the tuple back end)"
        )
    return lo, hi


def _node(program: ir.Program, e: ir.Expr, env: dict[str, Bounds], loc: ir.Loc) -> Bounds:
    sub = lambda x: _bounds(program, x, env, loc)  # noqa: E731
    if isinstance(e, ir.Const):
        return e.value, e.value
    if isinstance(e, ir.Read):
        for i in e.index:
            sub(i)
        t = program.var(e.var).type
        return ir.const_int(t.lo), ir.const_int(t.hi)
    if isinstance(e, ir.Param):
        return env[e.name]
    if isinstance(e, ir.Unary):
        lo, hi = sub(e.arg)
        return (-hi, -lo) if e.op == "neg" else _BOOL
    if isinstance(e, ir.Ite):
        sub(e.cond)
        (a, b), (c, d) = sub(e.then), sub(e.other)
        return min(a, c), max(b, d)
    if isinstance(e, ir.Guard):
        sub(e.cond)
        return sub(e.then)
    if isinstance(e, ir.Quant):
        qlo, qhi = sub(e.lo), sub(e.hi)
        n = max(qhi[1] - qlo[0] + 1, 0)
        lo, hi = _bounds(program, e.body, env | {e.var: (qlo[0], qhi[1])}, loc)
        if e.kind == "sum":
            return min(0, n * lo), max(0, n * hi)
        return (0, n) if e.kind == "count" else _BOOL
    if isinstance(e, ir.Binary):
        (a, b), (c, d) = sub(e.left), sub(e.right)
        if e.op == "+":
            return a + c, b + d
        if e.op == "-":
            return a - d, b - c
        if e.op == "*":
            products = (a * c, a * d, b * c, b * d)
            return min(products), max(products)
        if e.op == "div":  # |x // y| <= |x| for y != 0
            m = max(abs(a), abs(b))
            return -m, m
        if e.op == "mod":  # the result lies between 0 and the divisor
            m = max(abs(c), abs(d))
            return -m, m
        if e.op == "min":
            return min(a, c), min(b, d)
        if e.op == "max":
            return max(a, c), max(b, d)
        return _BOOL
    raise Unsupported(f"expression {type(e).__name__} cannot be vectorised")
