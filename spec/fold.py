"""Smart constructors for IR expressions that fold constants and trivial logic.

The lowering builds every IR expression through these, so a spec's constants never
reach a back end as arithmetic and `true and p` is just `p`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable

from mmcheck.spec import ir
from mmcheck.spec.errors import Loc

TRUE, FALSE = ir.TRUE, ir.FALSE


def const(value: int | bool) -> ir.Const:
    if isinstance(value, bool):
        return TRUE if value else FALSE
    return ir.Const(value)


def is_true(e: ir.Expr) -> bool:
    return isinstance(e, ir.Const) and e.is_bool and e.value == 1


def is_false(e: ir.Expr) -> bool:
    return isinstance(e, ir.Const) and e.is_bool and e.value == 0


# The value on ints of each binary operator that evaluates both operands (all but and,
# or, =>), as spec/ir.py defines it: an int for ARITH_OPS, else a bool. The caller rules
# out a zero divisor.
APPLY: dict[str, Callable[[int, int], int | bool]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "div": operator.floordiv,
    "mod": operator.mod,
    "min": min,
    "max": max,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "<=>": lambda a, b: bool(a) == bool(b),
}


def binary(op: str, a: ir.Expr, b: ir.Expr, loc: Loc | None = None) -> ir.Expr:
    if op == "and":
        return conj((a, b))
    if op == "or":
        return disj((a, b))
    if op == "=>":
        return implies(a, b)
    if (
        isinstance(a, ir.Const)
        and isinstance(b, ir.Const)
        and (op not in ("div", "mod") or b.value != 0)  # else an error at run time
    ):
        value = APPLY[op](a.value, b.value)
        return ir.Const(value) if op in ir.ARITH_OPS else const(bool(value))
    if op == "<=>":
        return ir.Binary(op, a, b)
    if op in ("==", "<=", ">=") and a == b and not may_fail(a):
        return TRUE
    if op in ("==", "!=") and isinstance(b, ir.Const) and b.is_bool:  # p == true  is  p
        return a if (b.value == 1) == (op == "==") else negate(a)
    if (
        op in ir.COMPARE_OPS
        and isinstance(b, ir.Const)
        and isinstance(a, ir.Ite)
        and all(isinstance(x, ir.Const) for x in (a.then, a.other))
    ):  # (if c then 1 else 2) == 1  is  c
        return ite(a.cond, binary(op, a.then, b), binary(op, a.other, b))
    if op == "+" and isinstance(b, ir.Const) and b.value == 0:
        return a
    return ir.Binary(op, a, b, loc if op in ("div", "mod") else None)


_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
SWAPPED = {
    "==": "==",
    "!=": "!=",
    "<": ">",
    "<=": ">=",
    ">": "<",
    ">=": "<=",
}  # a op b: b SWAPPED[op] a


def negate(a: ir.Expr) -> ir.Expr:
    if isinstance(a, ir.Const):
        return const(not a.value)
    if isinstance(a, ir.Unary) and a.op == "not":
        return a.arg
    if isinstance(a, ir.Binary) and a.op in _NEGATED:
        return ir.Binary(_NEGATED[a.op], a.left, a.right)
    return ir.Unary("not", a)


def neg(a: ir.Expr) -> ir.Expr:
    if isinstance(a, ir.Const):
        return ir.Const(-a.value)
    return ir.Unary("neg", a)


def _chain(op: str, items: list[ir.Expr], empty: ir.Expr) -> ir.Expr:
    """items joined left to right by `op` ("and"/"or"); `empty` if there are none."""
    if not items:
        return empty
    result = items[0]
    for e in items[1:]:
        result = ir.Binary(op, result, e)
    return result


def conj(items: Iterable[ir.Expr]) -> ir.Expr:
    out: list[ir.Expr] = []
    for e in items:
        if out:
            e = assuming(set(out), e)  # later conjuncts are evaluated where earlier ones hold
        if is_false(e):  # the conjuncts before are evaluated, and may fail
            return _chain("and", [*out, FALSE], FALSE) if any(map(may_fail, out)) else FALSE
        if not is_true(e) and e not in out:
            out.append(e)
    return _chain("and", out, TRUE)


def disj(items: Iterable[ir.Expr]) -> ir.Expr:
    out: list[ir.Expr] = []
    for e in items:
        if is_true(e):  # the disjuncts before are evaluated, and may fail
            return _chain("or", [*out, TRUE], TRUE) if any(map(may_fail, out)) else TRUE
        if not is_false(e) and e not in out:
            out.append(e)
    return _chain("or", out, FALSE)


def implies(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    if is_true(a):
        return b
    if is_false(a) or (is_true(b) and not may_fail(a)):
        return TRUE
    b = assuming(set(conjuncts(a)), b)
    if is_true(b) and not may_fail(a):
        return TRUE
    return ir.Binary("=>", a, b)


def conjuncts(e: ir.Expr) -> list[ir.Expr]:
    """The operands of the `and`s at the top of e, in evaluation order."""
    out: list[ir.Expr] = []
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, ir.Binary) and x.op == "and":
            stack += (x.right, x.left)
        else:
            out.append(x)
    return out


def assuming(facts: set[ir.Expr], e: ir.Expr) -> ir.Expr:
    """e simplified where the facts hold: conditionals on a fact (or its negation, or on
    `x == c` where a fact says `x == d`) pick their branch; the result is re-folded."""
    done: dict[int, ir.Expr] = {}  # by node: e shares subtrees, and is a tree exponentially larger

    def walk(e: ir.Expr) -> ir.Expr:
        out = done.get(id(e))
        if out is None:
            out = done[id(e)] = simplify(e)
        return out

    def simplify(e: ir.Expr) -> ir.Expr:
        if e in facts:
            return TRUE
        if negate(e) in facts:
            return FALSE
        if isinstance(e, ir.Binary) and e.op in ("==", "!=") and isinstance(e.right, ir.Const):
            for fact in facts:
                if (
                    isinstance(fact, ir.Binary)
                    and fact.op == "=="
                    and fact.left == e.left
                    and isinstance(fact.right, ir.Const)
                ):
                    return const((fact.right.value == e.right.value) == (e.op == "=="))
        if isinstance(e, ir.Ite):
            c = walk(e.cond)
            if is_true(c):
                return walk(e.then)
            if is_false(c):
                return walk(e.other)
            return ite(c, walk(e.then), walk(e.other))
        if isinstance(e, ir.Guard):
            return guard(walk(e.cond), walk(e.then), e.kind, e.message, e.loc)
        if isinstance(e, ir.Binary):
            return binary(e.op, walk(e.left), walk(e.right), e.loc)
        if isinstance(e, ir.Unary):
            arg = walk(e.arg)
            return negate(arg) if e.op == "not" else neg(arg)
        return e

    return walk(e)


def ite(c: ir.Expr, a: ir.Expr, b: ir.Expr) -> ir.Expr:
    if is_true(c) or (a == b and not may_fail(c)):
        return a
    if is_false(c):
        return b
    if is_true(a) and is_false(b):
        return c
    if is_false(a) and is_true(b):
        return negate(c)
    return ir.Ite(c, a, b)


def guard(cond: ir.Expr, then: ir.Expr, kind: str, message: str, loc: Loc | None) -> ir.Expr:
    if is_true(cond):
        return then
    return ir.Guard(cond, then, kind, message, loc)


def eq_all(xs: Iterable[ir.Expr], ys: Iterable[ir.Expr]) -> ir.Expr:
    return conj(binary("==", x, y) for x, y in zip(xs, ys, strict=True))


def operands(e: ir.Expr) -> tuple[ir.Expr, ...]:
    """The expressions directly inside e."""
    if isinstance(e, ir.Read | ir.ParamAt):
        return e.index
    if isinstance(e, ir.Unary):
        return (e.arg,)
    if isinstance(e, ir.Binary):
        return (e.left, e.right)
    if isinstance(e, ir.Ite):
        return (e.cond, e.then, e.other)
    if isinstance(e, ir.Guard):
        return (e.cond, e.then)
    if isinstance(e, ir.Quant):
        return (e.lo, e.hi, e.body)
    return ()


def reads_state(e: ir.Expr) -> bool:
    """Whether e reads a state variable (anywhere inside)."""
    return isinstance(e, ir.Read) or any(map(reads_state, operands(e)))


def reads_param(e: ir.Expr) -> bool:
    """Whether e reads an action's parameter (anywhere inside)."""
    return isinstance(e, ir.Param | ir.ParamAt) or any(map(reads_param, operands(e)))


def may_fail(e: ir.Expr) -> bool:
    """Whether evaluating e may be an error (spec/ir.py), anywhere inside: a Read with a
    loc (the lowering gives none where each index is statically inside its dimension)
    at an index not constant (a constant outside is a static error), a div or mod by no
    nonzero constant, a Guard. A fold drops an operand only if it cannot fail, as the
    errors of what is evaluated happen."""
    if isinstance(e, ir.Read) and e.loc and not all(isinstance(i, ir.Const) for i in e.index):
        return True
    divisor = e.right if isinstance(e, ir.Binary) and e.op in ("div", "mod") else ir.Const(1)
    if not isinstance(divisor, ir.Const) or divisor.value == 0:
        return True
    return isinstance(e, ir.Guard) or any(map(may_fail, operands(e)))


def interval(op: str, a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int] | None:
    """Bounds of `x op y` for x in a and y in b (lo, hi), for + - * min max; else None."""
    if op == "+":
        return a[0] + b[0], a[1] + b[1]
    if op == "-":
        return a[0] - b[1], a[1] - b[0]
    if op == "*":
        xs = [x * y for x in a for y in b]
        return min(xs), max(xs)
    if op in ("min", "max"):
        pick = min if op == "min" else max
        return pick(a[0], b[0]), pick(a[1], b[1])
    return None


def const_bounds(e: ir.Expr, doms: dict[str, tuple[ir.Expr, ir.Expr]]) -> tuple[int, int] | None:
    """Constant bounds of the int expression e over parameters of the domains `doms`,
    or None where not known."""
    if isinstance(e, ir.Const):
        return e.value, e.value
    if isinstance(e, ir.Param | ir.ParamAt) and e.name in doms:
        lo, hi = doms[e.name]
        known = isinstance(lo, ir.Const) and isinstance(hi, ir.Const)
        return (lo.value, hi.value) if known else None
    if isinstance(e, ir.Unary) and e.op == "neg":
        b = const_bounds(e.arg, doms)
        return None if b is None else (-b[1], -b[0])
    if isinstance(e, ir.Ite):
        a, b = const_bounds(e.then, doms), const_bounds(e.other, doms)
        return None if a is None or b is None else (min(a[0], b[0]), max(a[1], b[1]))
    if not isinstance(e, ir.Binary):
        return None
    a, b = const_bounds(e.left, doms), const_bounds(e.right, doms)
    return None if a is None or b is None else interval(e.op, a, b)
