"""Every walker of IR expressions handles every node type: an expression made of all of
them is evaluated by the three evaluators (Python translation, numpy, z3) with the same
values and errors in every state, and read, printed and exported by the rest."""

from __future__ import annotations

import dataclasses
import typing

import numpy as np
import pytest
import z3

from mmcheck import spec
from mmcheck.explorer.core.model import EvalError
from mmcheck.explorer.export import promela as export_promela
from mmcheck.explorer.export import tla as export_tla
from mmcheck.explorer.tuple.translate import compile_expr
from mmcheck.explorer.vector.bounds import check_int64
from mmcheck.explorer.vector.expr import Columns, ExprCompiler, Frame
from mmcheck.explorer.vector.pack import Layout
from mmcheck.invariants.encode import Encoder, failed
from mmcheck.spec import fold, ir, ir_print, slots

# x3 == 2: the map literal is indexed outside 0..1, a domain error; x3 == 3: not indexed
SPEC = """var x3 : 0..3 in 0..3
terminal true
invariant I: forall q in 0..1: if x3 <= 2 then [r in 0..1 |-> r == q][x3] or -x3 < -5 else true
"""
STATES = range(4)
WANT = {0: False, 1: False, 2: "domain", 3: True}  # a value, or the error's kind


def nodes(e: ir.Expr) -> typing.Iterator[ir.Expr]:
    yield e
    for f in dataclasses.fields(e):
        v = getattr(e, f.name)
        for x in v if isinstance(v, tuple) else (v,):
            if isinstance(x, typing.get_args(ir.Expr)):
                yield from nodes(x)


@pytest.fixture(scope="module")
def program() -> ir.Program:
    return spec.load(SPEC)


def test_the_expression_has_every_node_type(program: ir.Program) -> None:
    # SymConst and ParamAt are in symbolic programs only, which only z3 reads (below)
    concrete = set(typing.get_args(ir.Expr)) - {ir.SymConst, ir.ParamAt}
    assert {type(n) for n in nodes(program.invariants[0].expr)} == concrete


# a choice per instance of a process set of symbolic size: an Init parameter read by
# ParamAt, in the Init's guard (at the guard's bound variable) and its writes
PER_INSTANCE = """const N : 1..4 = 2
process p[self in 1..N] {
  var x : 0..3 in {self, 3}
a:
  skip
}
invariant I: forall i in 1..N: p[i].x == i or p[i].x == 3
"""


def test_a_choice_per_instance_is_read_by_z3_and_printed() -> None:
    program = spec.load(PER_INSTANCE, {"N": "?"}, symbolic=True, cache=False)
    guard = program.init.guard
    assert ir.ParamAt("p.x", (ir.Param("self.2"),)) in set(nodes(guard))
    assert "p.x[self.2] == self.2" in ir_print.expr(guard)
    assert fold.reads_param(guard) and not fold.reads_state(guard)
    enc = Encoder(program)
    st, fires, step = enc.init("0")
    s = z3.Solver(ctx=enc.ctx)
    s.add(step.domain, fires, *enc.const_constraints())
    x = z3.Select(st.vals["p.x"], z3.IntVal(2, enc.ctx))
    s.add(enc.consts["N"] == 2)
    # instance 2 starts at 2 or 3, never at 0 or 1
    assert [s.check(x == v) for v in range(4)] == [z3.unsat, z3.unsat, z3.sat, z3.sat]


def test_translation(program: ir.Program) -> None:
    fn = compile_expr(program, program.invariants[0].expr)
    for x in STATES:
        try:
            got: object = bool(fn((x, 0)))
        except EvalError as err:
            got = err.kind
        assert got == WANT[x], x


def test_numpy(program: ir.Program) -> None:
    check_int64(program)
    layout = Layout.of(program)
    cols = np.zeros((len(program.slots), len(STATES)), dtype=np.int64)
    cols[program.offset("x3")] = list(STATES)
    compiler = ExprCompiler(program)
    frame = Frame(Columns(layout, layout.pack(cols)))
    value = np.broadcast_to(compiler.compile(program.invariants[0].expr)(frame, None, {}), (4,))
    err = frame.err if frame.err is not None else np.full(4, -1)
    got = [compiler.sites[err[x]].kind if err[x] >= 0 else bool(value[x]) for x in STATES]
    assert got == [WANT[x] for x in STATES]


def test_z3(program: ir.Program) -> None:
    enc = Encoder(program)
    for x in STATES:
        st = enc.zero_state()
        st.vals["x3"] = z3.IntVal(x, enc.ctx)
        value, errs = enc.expr(program.invariants[0].expr, st, {})
        kinds = {e.kind for e in errs if z3.is_true(z3.simplify(e.cond))}
        got = (
            kinds.pop()
            if z3.is_true(z3.simplify(failed(errs, enc.ctx)))
            else z3.is_true(z3.simplify(value))
        )
        assert got == WANT[x], x


def test_reads_printing_and_exports(program: ir.Program) -> None:
    e = program.invariants[0].expr
    assert {r.var for r in slots.reads(e)} == {"x3"} and fold.reads_state(e)
    assert "guard(" in ir_print.expr(e)
    assert "Assert(FALSE" in export_tla.TlaWriter(program).ex(e)
    with pytest.raises(ValueError, match="cannot be written in Promela"):
        export_promela.PromelaWriter(program).ex(e, {})


def test_conjuncts_in_evaluation_order() -> None:
    a, b, c = (ir.Read(x) for x in "abc")
    right = ir.Binary("or", c, ir.Binary("and", a, b))
    e = ir.Binary("and", ir.Binary("and", a, ir.Binary("and", b, c)), right)
    assert fold.conjuncts(e) == [a, b, c, right]
    assert fold.conjuncts(right) == [right]
