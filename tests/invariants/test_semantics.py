"""One semantics: random well-typed IR expressions evaluated by the Python translation
and by the z3 encoding give the same value, or the same first error."""

from __future__ import annotations

import itertools

import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from mmcheck.explorer.core.model import EvalError
from mmcheck.explorer.tuple.translate import compile_expr
from mmcheck.invariants.encode import Encoder, State, as_int, failed
from mmcheck.spec import ir
from mmcheck.spec.errors import Loc

L = Loc("<semantics>", 1, 1)


def C(v, is_bool=False):
    return ir.Const(v, is_bool)


def T(kind, lo, hi):
    return ir.ScalarType(kind, C(lo), C(hi))


VARS = (
    ir.Var("x", T("int", -4, 4), (), L),
    ir.Var("b", T("bool", 0, 1), (), L),
    ir.Var("a", T("int", -3, 3), (ir.Dim(C(1), C(3)),), L),
    ir.Var("m", T("int", 0, 2), (ir.Dim(C(0), C(1)), ir.Dim(C(1), C(2))), L),
    ir.Var("f", T("bool", 0, 1), (ir.Dim(C(1), C(2)),), L),
)
INIT = ir.Action("init", (), ir.TRUE, (), (), L)
PROGRAM = ir.Program("semantics", "<semantics>", (), (), VARS, INIT, (), ())


def exprs(kind: str, depth: int, bound: tuple[str, ...]) -> st.SearchStrategy:
    """Well-typed expressions of kind "int" or "bool"; `bound` names the quantifier
    variables in scope (the action parameter p is always in scope)."""
    ints = lambda: exprs("int", depth - 1, bound)  # noqa: E731
    bools = lambda: exprs("bool", depth - 1, bound)  # noqa: E731
    loc = st.just(L)
    if kind == "int":
        leaves = [
            st.builds(C, st.integers(-5, 5)),
            st.just(ir.Read("x")),
            st.sampled_from([ir.Param(n) for n in ("p", *bound)]),
        ]
        if depth <= 0:
            return st.one_of(leaves)
        q = f"q{len(bound)}"
        return st.one_of(
            *leaves,
            st.builds(lambda i: ir.Read("a", (i,), L), ints()),
            st.builds(lambda i, j: ir.Read("m", (i, j), L), ints(), ints()),
            st.builds(ir.Unary, st.just("neg"), ints()),
            st.builds(ir.Binary, st.sampled_from(ir.ARITH_OPS), ints(), ints(), loc),
            st.builds(ir.Ite, bools(), ints(), ints()),
            _quant("count", q, exprs("bool", depth - 1, (*bound, q))),
            _quant("sum", q, exprs("int", depth - 1, (*bound, q))),
        )
    leaves = [st.just(ir.TRUE), st.just(ir.FALSE), st.just(ir.Read("b"))]
    if depth <= 0:
        return st.one_of(leaves)
    q = f"q{len(bound)}"
    return st.one_of(
        *leaves,
        st.builds(lambda i: ir.Read("f", (i,), L), ints()),
        st.builds(ir.Binary, st.sampled_from(ir.COMPARE_OPS), ints(), ints(), loc),
        st.builds(ir.Binary, st.sampled_from(ir.LOGIC_OPS), bools(), bools(), loc),
        st.builds(ir.Binary, st.sampled_from(("==", "!=")), bools(), bools(), loc),
        st.builds(ir.Unary, st.just("not"), bools()),
        st.builds(ir.Ite, bools(), bools(), bools()),
        _quant(st.sampled_from(("forall", "exists")), q, exprs("bool", depth - 1, (*bound, q))),
    )


def _quant(kind, var: str, body: st.SearchStrategy) -> st.SearchStrategy:
    """A quantifier over constant bounds or up to the state variable x (dynamic)."""
    kinds = kind if isinstance(kind, st.SearchStrategy) else st.just(kind)
    lo = st.builds(C, st.integers(-1, 2))
    hi = st.one_of(st.builds(C, st.integers(-1, 3)), st.just(ir.Read("x")))
    return st.builds(ir.Quant, kinds, st.just(var), lo, hi, body)


states = st.tuples(
    st.integers(-4, 4),
    st.integers(0, 1),
    st.lists(st.integers(-3, 3), min_size=3, max_size=3),
    st.lists(st.integers(0, 2), min_size=4, max_size=4),
    st.lists(st.integers(0, 1), min_size=2, max_size=2),
).map(lambda t: (t[0], t[1], *t[2], *t[3], *t[4]))


def python_value(expr: ir.Expr, state: tuple[int, ...], p: int):
    try:
        return "ok", int(compile_expr(PROGRAM, expr, ("p",))(state, p))
    except EvalError as e:
        return "error", e.kind


def z3_value(expr: ir.Expr, state: tuple[int, ...], p: int, arrays: bool = False):
    """The z3 encoding's value; `arrays` holds the maps in z3 arrays, as for symbolic sizes."""
    enc = Encoder(PROGRAM)
    ctx = enc.ctx  # the encoder's terms live in a z3 context of its own
    vals = iter(state)
    st_ = State()
    for v in VARS:
        info = enc.vars[v.name]
        mk = (
            (lambda n: z3.BoolVal(bool(n), ctx))
            if v.type.is_bool
            else (lambda n: z3.IntVal(n, ctx))
        )
        if not v.dims:
            st_.vals[v.name] = mk(next(vals))
        elif arrays:
            sort = z3.BoolSort(ctx) if v.type.is_bool else z3.IntSort(ctx)
            arr = (
                z3.K(z3.IntSort(ctx), mk(0))
                if len(v.dims) == 1
                else z3.Array(v.name, z3.IntSort(ctx), z3.IntSort(ctx), sort)
            )
            for idx in info.indices():
                arr = z3.Store(arr, *(z3.IntVal(i, ctx) for i in idx), mk(next(vals)))
            st_.vals[v.name] = arr
        else:
            st_.vals[v.name] = {idx: mk(next(vals)) for idx in info.indices()}
    value, errs = enc.expr(expr, st_, {"p": z3.IntVal(p, ctx)})
    s = z3.Solver(ctx=ctx)
    out, bad = z3.Int("out", ctx), z3.Bool("bad", ctx)
    s.add(out == as_int(value), bad == failed(errs, ctx))
    assert s.check() == z3.sat
    model = s.model()
    if z3.is_true(model.eval(bad)):
        kind = next(e.kind for e in errs if z3.is_true(model.eval(e.cond, model_completion=True)))
        return "error", kind
    return "ok", model.eval(out).as_long()


@settings(max_examples=300, deadline=None)
@given(
    expr=st.one_of(exprs("int", 3, ()), exprs("bool", 3, ())),
    state=states,
    p=st.integers(-3, 3),
)
def test_python_and_z3_agree(expr, state, p):
    want = python_value(expr, state, p)
    assert z3_value(expr, state, p) == want
    assert z3_value(expr, state, p, arrays=True) == want


def test_floor_division_and_modulo_with_negative_operands():
    state = (0,) * 12
    for a, b in itertools.product(range(-7, 8), (-3, -2, -1, 1, 2, 3)):
        for op, want in (("div", a // b), ("mod", a % b)):
            expr = ir.Binary(op, C(a), ir.Binary("+", ir.Read("x"), C(b)), L)
            assert z3_value(expr, state, 0) == python_value(expr, state, 0) == ("ok", want)


def test_division_by_zero_is_an_error_in_both():
    expr = ir.Binary("mod", C(3), ir.Read("x"), L)
    state = (0,) * 12
    assert z3_value(expr, state, 0) == python_value(expr, state, 0) == ("error", "div")


def test_short_circuit_hides_the_error_of_the_branch_not_taken():
    oob = ir.Binary("==", ir.Read("a", (C(7),), L), C(0))
    expr = ir.Binary("and", ir.FALSE, oob)
    state = (0,) * 12
    assert z3_value(expr, state, 0) == python_value(expr, state, 0) == ("ok", 0)
    expr = ir.Binary("or", ir.FALSE, oob)
    assert z3_value(expr, state, 0) == python_value(expr, state, 0) == ("error", "domain")
