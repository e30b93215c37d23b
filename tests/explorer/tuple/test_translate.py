"""The translation to Python: IR semantics (floor division, short-circuit, pre-state
reads, conditional and ordered updates), runtime errors with their kind and place, and
safety: hostile spec names and strings never reach the generated code."""

from __future__ import annotations

import ast
import re

import pytest

from mmcheck import explorer
from mmcheck.explorer.core.model import EvalError
from mmcheck.explorer.tuple.translate import compile_expr, compile_model, to_python_source
from mmcheck.spec import ir
from mmcheck.spec.errors import Loc

C = ir.Const
L = Loc("<hand>", 1, 1)


def loc(line: int) -> Loc:
    return Loc("<hand>", line, 1)


def T(lo: int, hi: int, kind: str = "int") -> ir.ScalarType:
    return ir.ScalarType(kind, C(lo), C(hi))


def B(op: str, a: ir.Expr, b: ir.Expr, line: int = 1) -> ir.Binary:
    return ir.Binary(op, a, b, loc(line))


def R(var: str, *index: ir.Expr, line: int = 1) -> ir.Read:
    return ir.Read(var, tuple(index), loc(line))


def program(actions, vars_=None, invariants=(), name="Hand") -> ir.Program:
    vars_ = vars_ or (ir.Var("x", T(-9, 9), (), L), ir.Var("m", T(0, 5), (ir.Dim(C(1), C(3)),), L))
    inits = []
    for v in vars_:
        if v.dims:
            inits.append(ir.AssignAll(v.name, ("i",), C(0), ir.TRUE, L))
        else:
            inits.append(ir.Assign(v.name, (), C(0), ir.TRUE, L))
    init = ir.Action("Init", (), ir.TRUE, (), tuple(inits), L)
    return ir.Program(name, "<hand>", (), (), tuple(vars_), init, tuple(actions), tuple(invariants))


def act(name, updates, guard=ir.TRUE, params=(), checks=()) -> ir.Action:
    return ir.Action(name, tuple(params), guard, tuple(checks), tuple(updates), L)


def assign(var, value, *index, cond=ir.TRUE, line=1) -> ir.Assign:
    return ir.Assign(var, tuple(index), value, cond, loc(line))


# --------------------------------------------------------------------------- semantics


@pytest.mark.parametrize("a, b", [(7, 2), (-7, 2), (7, -2), (-7, -2), (0, 3)])
def test_floor_div_and_mod(a, b):
    p = program([])
    assert (
        compile_expr(p, B("div", ir.Param("a"), ir.Param("b")), ("a", "b"))((0,) * 4, a, b)
        == a // b
    )
    assert (
        compile_expr(p, B("mod", ir.Param("a"), ir.Param("b")), ("a", "b"))((0,) * 4, a, b) == a % b
    )


def test_short_circuit_skips_errors():
    p = program([])
    bad = B("div", C(1), R("x"), line=4)  # x is 0: division by zero if evaluated
    for e in (
        B("and", C(0, True), bad),
        B("or", C(1, True), bad),
        B("=>", C(0, True), bad),
        ir.Ite(C(1, True), C(3), bad),
    ):
        compile_expr(p, e)((0,) * 4)
    with pytest.raises(EvalError) as err:
        compile_expr(p, B("and", C(1, True), B("==", bad, C(1))))((0,) * 4)
    assert (err.value.kind, err.value.loc.line) == ("div", 4)


def test_quantifiers():
    p = program([])
    q = ir.Param("k")
    state = (0, 2, 0, 3)
    body = B(">", R("m", q), C(0))
    for kind, want in (("forall", False), ("exists", True), ("count", 2)):
        assert compile_expr(p, ir.Quant(kind, "k", C(1), C(3), body))(state) == want
    assert compile_expr(p, ir.Quant("sum", "k", C(1), C(3), R("m", q)))(state) == 5
    # bounds read from the state are not unrolled
    e = ir.Quant("sum", "k", C(1), ir.Param("n"), R("m", q))
    assert compile_expr(p, e, ("n",))(state, 2) == 2


def test_updates_read_the_pre_state_and_later_writes_win():
    swap = act(
        "swap",
        [
            assign("x", R("m", C(1))),
            assign("m", R("x"), C(1)),
            assign("m", C(4), C(2)),
            assign("m", C(5), C(2)),
            assign("m", C(1), C(3), cond=B("==", R("x"), C(4))),
        ],
    )
    model = compile_model(program([swap]))
    assert model.successors((3, 1, 0, 0)) == [(0, (1, 3, 5, 0))]
    assert model.successors((4, 2, 0, 0)) == [(0, (2, 4, 5, 1))]


def test_dynamic_index_and_parameter_edges():
    i = ir.Param("i")
    inc = act(
        "inc",
        [assign("m", B("+", R("m", i), C(1)), i)],
        guard=B("<", R("m", i), C(2)),
        params=[ir.ParamDecl("i", T(1, 3))],
    )
    model = compile_model(program([inc]))
    assert model.successors((0, 0, 2, 1)) == [(0, (0, 1, 2, 1)), (2, (0, 0, 2, 2))]
    assert model.decode(2)[1] == (3,) and model.step(1, (0, 0, 2, 1)) is None
    r = explorer.check(program([inc]), deadlock=False)
    assert (r.verdict, r.stats.distinct) == ("holds", 27)


def test_loops_agree_with_unrolling(monkeypatch):
    import mmcheck.explorer.tuple.translate as tr

    i, j = ir.Param("i"), ir.Param("j")
    mv = act(
        "move",
        [assign("m", R("m", j), i), assign("m", R("m", i), j)],
        guard=B("and", B("!=", i, j), B("<", R("m", i), R("m", j))),
        params=[ir.ParamDecl("i", T(1, 3)), ir.ParamDecl("j", T(1, 3))],
    )
    bump = act(
        "bump",
        [assign("m", B("+", R("m", i), C(1)), i)],
        guard=B("<", R("m", i), C(3)),
        params=[ir.ParamDecl("i", T(1, 3))],
    )
    p = program([mv, bump])
    unrolled = explorer.check(p, deadlock=False)
    monkeypatch.setattr(tr, "UNROLL_EDGES", 0)
    assert "for p1 in range(1, 4)" in to_python_source(p)
    looped = explorer.check(p, deadlock=False)
    assert unrolled.stats.distinct == looped.stats.distinct == 64
    assert unrolled.stats.generated == looped.stats.generated


# --------------------------------------------------------------------------- runtime errors


def errors_program(kind: str) -> ir.Program:
    step = act("step", [assign("x", B("+", R("x"), C(1)))], guard=B("<", R("x"), C(2)))
    if kind == "assert":
        chk = act(
            "chk",
            [],
            guard=B("==", R("x"), C(1)),
            checks=[ir.Check("assert", B("!=", R("x"), C(1)), 'say "no"\n', loc(9))],
        )
        return program([step, chk])
    value = {
        "range": B("+", R("x"), C(5)),
        "domain": R("m", R("x"), line=7),
        "div": B("div", C(1), B("-", R("x"), C(2)), line=8),
    }[kind]
    target = "m" if kind == "range" else "x"
    index = (C(1),) if kind == "range" else ()
    boom = act("boom", [assign(target, value, *index, line=6)], guard=B("==", R("x"), C(2)))
    return program([step, boom])


@pytest.mark.parametrize("kind, line, length, message", [
    ("range", 6, 3, "m := 7 is outside its range 0..5"),
    ("domain", 7, 3, "m[2] is outside its domain"),  # m[2] is fine: see below
    ("div", 8, 3, "the divisor of div is 0"),
    ("assert", 9, 2, 'say "no"\n'),
])  # fmt: skip
def test_runtime_errors(kind, line, length, message):
    p = errors_program(kind)
    if kind == "domain":  # read m[x] with x = 4
        p = program(
            [
                act("step", [assign("x", B("+", R("x"), C(2)))], guard=B("<", R("x"), C(4))),
                act(
                    "boom",
                    [assign("x", R("m", R("x"), line=7), line=6)],
                    guard=B("==", R("x"), C(4)),
                ),
            ]
        )
        length, message = 3, "m[4] is outside its domain 1..3"
    r = explorer.check(p)
    v = r.violation
    assert r.verdict == "violated" and v.kind == kind and v.loc.line == line
    assert v.message == message and v.length == length
    assert v.failed.action == ("chk" if kind == "assert" else "boom")


def test_init_error_is_a_violation():
    vars_ = (ir.Var("x", T(0, 3), (), L),)
    init = ir.Action("Init", (), ir.TRUE, (), (ir.Assign("x", (), C(4), ir.TRUE, loc(2)),), L)
    p = ir.Program("I", "<hand>", (), (), vars_, init, (), ())
    r = explorer.check(p)
    assert r.violation.kind == "range" and r.violation.loc.line == 2 and r.violation.trace == ()


# --------------------------------------------------------------------------- safety

HOSTILE = [
    "__import__",
    'x"); import os; os.system("echo pwned") #',
    "a\nimport os\n",
    "__builtins__",
    "s",
    "t",
    "out",
    "\x00\r\x0b'''",
    "exec(open('/etc/passwd'))",
]

ALLOWED_NAMES = re.compile(
    r"^(s|t|pc|out|p\d+|q\d+|_t\d+|_v\d+|_fail|_div|_mod|a_\d+|st_\d+|inv_\d+|iter_init|"
    r"con_\d+|constraints_ok|successors|terminal|all_done|fingerprint|hash|range|min|max|all|any|sum|tuple|list)$"
)


def hostile_program() -> ir.Program:
    vars_ = tuple(
        ir.Var(n, T(0, 1), (ir.Dim(C(0), C(1)),) if k % 2 else (), L) for k, n in enumerate(HOSTILE)
    )
    actions = []
    for k, n in enumerate(HOSTILE):
        index = (ir.Param(n),) if k % 2 else ()
        params = (ir.ParamDecl(n, T(0, 1)),) if k % 2 else ()
        actions.append(
            ir.Action(
                n,
                params,
                B("<", ir.Read(n, index, L), C(1)),
                (ir.Check("assert", ir.TRUE, n, L),),
                (ir.Assign(n, index, B("+", ir.Read(n, index, L), C(1)), ir.TRUE, L),),
                Loc(n, 1, 1),
            )
        )
    invs = tuple(ir.Invariant(n, ir.Quant("forall", n, C(0), C(1), ir.TRUE), L) for n in HOSTILE)
    return program(actions, vars_, invs, name=HOSTILE[1])


def test_hostile_names_never_reach_code():
    source = to_python_source(hostile_program())
    tree = ast.parse(source)
    for node in ast.walk(tree):
        assert not isinstance(node, ast.Import | ast.ImportFrom | ast.Lambda)
        if isinstance(node, ast.Attribute):  # the only one: appending a successor
            assert node.attr == "append" and node.value.id == "out"
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, int | type(None)), node.value
        if isinstance(node, ast.Name):
            assert ALLOWED_NAMES.match(node.id), node.id
        if isinstance(node, ast.FunctionDef):
            assert ALLOWED_NAMES.match(node.name) and not node.decorator_list
    for line in source.splitlines():
        assert line.isascii() and line.isprintable()
        if "#" in line:
            assert "import" not in line.split("#")[0]


def test_hostile_program_runs_with_restricted_builtins():
    p = hostile_program()
    model = compile_model(p)
    builtins = model.successors.__globals__["__builtins__"]
    assert set(builtins) <= {"hash", "range", "min", "max", "all", "any", "sum", "tuple", "list"}
    r = explorer.check(p, deadlock=False)
    assert r.verdict == "holds"
    assert r.stats.distinct == 2**13  # five bools and four 2-element bool arrays


def test_unenumerable_parameters_are_a_spec_error():
    from mmcheck.spec.errors import SpecError

    text = (
        "spec Big\nvar x : 0..3 = 0\naction a(i: 0..4611686018427387904)\n"
        "  when x < 3 and i == x\n  x' = x + 1\n"
    )
    with pytest.raises(SpecError) as err:
        explorer.check(text)
    assert (err.value.loc.line, err.value.loc.col) == (3, 1)
    assert "at most 10000000" in err.value.message
