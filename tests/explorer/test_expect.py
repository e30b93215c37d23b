"""Expectations: how they read, when they apply, when a result meets them."""

import re

import pytest

from mmcheck.cli import main
from mmcheck.explorer import expect
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, VIOLATED, Result, Stats, Step, Violation
from mmcheck.spec import ir
from mmcheck.spec.errors import Loc

L = Loc("x.mms", 9, 1)
BOOL = ir.ScalarType("bool", ir.Const(0), ir.Const(1))
INT = ir.ScalarType("int", ir.Const(1), ir.Const(4))


def program(fixed: int, cpus: int, expects) -> ir.Program:
    return ir.Program(
        "X",
        "x.mms",
        (ir.ConstDecl("FIXED", fixed, BOOL, L), ir.ConstDecl("CPUS", cpus, INT, L)),
        (),
        (),
        ir.Action("Init", (), ir.TRUE, (), (), L),
        (),
        (),
        expects=tuple(expects),
    )


def violated(kind: str, name: str | None, steps: int, distinct: int = 10) -> Result:
    trace = tuple(Step(None if i == 0 else "a", (), (i,)) for i in range(steps + 1))
    return Result(VIOLATED, Stats(distinct=distinct), Violation(kind, name, "", L, trace))


HOLDS_RESULT = Result(HOLDS, Stats(distinct=1234))
E_HOLDS = ir.Expect((("FIXED", 1),), "holds", None, L)
E_HOLDS_N = ir.Expect((("FIXED", 1),), "holds", None, L, states=1234)
E_LEAK = ir.Expect((("FIXED", 0),), "invariant", "NoLeak", L, steps=9)
E_DEADLOCK = ir.Expect((("FIXED", 0), ("CPUS", 3)), "deadlock", None, L)
E_ASSERT = ir.Expect((), "assert", None, L)


def test_descriptions_read_like_the_spec():
    assert expect.describe_expect(E_HOLDS_N) == "holds with 1234 states"
    assert expect.describe_expect(E_LEAK) == "violates NoLeak in 9 steps"
    assert expect.describe_expect(E_ASSERT) == "fails assert"
    assert (
        expect.describe_result(violated("invariant", "NoLeak", 9)) == "violates NoLeak in 9 steps"
    )
    assert expect.describe_result(violated("lock", None, 3)) == "fails lock in 3 steps"
    assert expect.describe_result(violated("lock", None, 1)) == "fails lock in 1 step"
    assert expect.describe_result(Result(INCOMPLETE, Stats(), reason="max-states")) == (
        "incomplete (max-states)"
    )
    p = program(0, 3, ())
    assert expect.describe_consts(p, E_DEADLOCK.consts) == "FIXED=false, CPUS=3"
    assert expect.describe_consts(p, ()) == "defaults"


@pytest.mark.parametrize(
    "e, result, met",
    [
        (E_HOLDS, HOLDS_RESULT, True),
        (E_HOLDS_N, HOLDS_RESULT, True),
        (E_HOLDS_N, Result(HOLDS, Stats(distinct=1235)), False),
        (E_HOLDS, violated("invariant", "NoLeak", 9), False),
        (E_HOLDS, Result(INCOMPLETE, Stats(distinct=1234), reason="time limit"), False),
        (E_LEAK, violated("invariant", "NoLeak", 9), True),
        (E_LEAK, violated("invariant", "NoLeak", 8), False),
        (E_LEAK, violated("invariant", "Other", 9), False),
        (E_LEAK, violated("deadlock", None, 9), False),
        (E_LEAK, HOLDS_RESULT, False),
        (E_DEADLOCK, violated("deadlock", None, 4), True),
        (E_ASSERT, violated("assert", None, 2), True),
        (E_ASSERT, violated("lock", None, 2), False),
    ],
)
def test_matches(e, result, met):
    assert expect.matches(e, result) is met


def test_applicable_completes_with_defaults():
    expects = (E_HOLDS, E_LEAK, E_DEADLOCK, E_ASSERT)

    def consts_of(e):  # the spec's run for e: its constants, the others' defaults
        return {"FIXED": 0, "CPUS": 2, **dict(e.consts)}

    assert expect.applicable(program(0, 2, expects), consts_of) == [E_LEAK, E_ASSERT]
    assert expect.applicable(program(1, 2, expects), consts_of) == [E_HOLDS]
    assert expect.applicable(program(0, 3, expects), consts_of) == [E_DEADLOCK]
    assert expect.applicable(program(1, 3, expects), consts_of) == []


DERIVED = """
const FIX = true
const G = FIX
var bad : bool = false
process p {
a: if not G { bad := true }
}
invariant Ok: not bad
expect holds
expect FIX=false: violates Ok in 1 steps
expect G=false: violates Ok in 1 steps
"""


@pytest.mark.parametrize(
    "defines, lines",
    [
        ((), [9]),
        (("FIX=false",), [10]),  # G follows FIX, as in the run `mmcheck test` makes
        (("G=false",), [11]),
        (("FIX=false", "G=false"), [10]),  # the very run of FIX=false
        (("FIX=false", "G=true"), []),  # FIX=false's run has G=false
    ],
)
def test_check_applies_what_test_runs_of_a_derived_constant(tmp_path, capsys, defines, lines):
    path = tmp_path / "derived.mms"
    path.write_text(DERIVED)
    assert main(["test", str(path)]) == 0
    assert "3 cases in 1 spec file: 3 passed" in capsys.readouterr().out
    args = [a for d in defines for a in ("-D", d)]
    main(["check", str(path), *args])
    out = capsys.readouterr().out
    assert [int(m) for m in re.findall(r"Expectation met: .*:(\d+):1:", out)] == lines
    assert "NOT MET" not in out


def test_expect_consts_are_typed_for_load():
    p = program(0, 2, ())
    assert expect.expect_consts(p, E_DEADLOCK) == {"FIXED": False, "CPUS": 3}


def test_state_count_ignored_without_symmetry():
    more = Result(HOLDS, Stats(distinct=1500))
    assert not expect.matches(E_HOLDS_N, more)
    assert expect.matches(E_HOLDS_N, more, count_states=False)
    assert expect.describe_result(more, states=True) == "holds with 1500 states"
