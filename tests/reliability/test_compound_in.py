"""`x in [D -> S]`, `x in [f: S, ...]` and `x in subset S` on every back end against
the reference interpreter, which decides them from the value of x (its keys, fields and
elements) with no code of the lowering: tests/specs/typeok_compound.mms's expectations,
BMC and prove on it, and the evaluation order of docs/language.md (x first, whole; then
the elements in index order, the fields in the set's order, up to the first that is
not in its set; an option's none is a null error)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mmcheck import explorer
from mmcheck.explorer import reference
from mmcheck.explorer.core.result import BOUNDED, VIOLATED
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.prove import CTI, PROVED

ROOT = Path(__file__).resolve().parents[2]
TYPEOK = ROOT / "tests/specs/typeok_compound.mms"
sys.path.insert(0, str(ROOT / "tests"))
from expect_cases import check_expectation, expectation_cases  # noqa: E402


@pytest.mark.parametrize(("case", "backend"), expectation_cases([TYPEOK], 3, named=False))
def test_expectations_hold_on_every_backend(case, backend):
    check_expectation(case, backend)


def test_bmc_and_prove():
    wide = {"WIDE": True}
    assert bmc(TYPEOK, depth=3, invariants=["TypeOK"]).verdict == BOUNDED
    v = bmc(TYPEOK, wide, depth=3, invariants=["TypeOK"]).violation
    assert (v.kind, v.name, v.length) == ("invariant", "TypeOK", 2)
    assert prove(TYPEOK, invariants=["TypeOK"]).status == PROVED
    assert prove(TYPEOK, wide, invariants=["TypeOK"]).status == CTI
    assert bmc(TYPEOK, depth=4, invariants=["NotAllBusy"]).violation.length == 4


ORDER = """\
type Opt = 0..2
var k : 0..1 = 0
var m : [0..1] -> 0..2 = [q in 0..1 |-> q]
var r : record { a: 0..2, b: bool } = {a: 0, b: false}
var o : [0..1] -> Opt? = [q in 0..1 |-> none]
var s : set of 0..2 = {}
action step
  when k == 0
  k' = 1
  s' = {1}
terminal k == 1
invariant I: EXPR
"""
# (expression, the violation: kind, line and column, trace length; None: it holds)
ORDER_CASES = [
    # x is evaluated first, whole, where its domain is another (false) too
    ("[q in 0..1 |-> 1 / (q + 1 - k)] in [0..1 -> 0..1]", ("div", 12, 29, 1)),
    ("[q in 0..1 |-> 1 / (q + 1 - k)] notin [1..2 -> 0..2]", ("div", 12, 29, 1)),
    ("{a: 1 / k, b: true} notin [a: 0..2]", ("div", 12, 18, 0)),
    # the elements in index order, each in the set evaluated where first needed
    ("m in [0..1 -> {0, 1 / (1 - k)}]", ("div", 12, 32, 1)),
    ("m in [0..1 -> {1 / (1 - k)}]", ("invariant", 12, 1, 0)),
    ("m notin [0..1 -> {1, 1 / k}]", ("div", 12, 35, 0)),  # 0 is no member: each tried
    ("m notin [0..1 -> {1} minus {1 / k}]", None),  # m[0] is not in it: m[1] never asked
    # the fields in the set's order, up to the first that is not in its set
    ("r notin [b: {true}, a: {1 / k}]", None),
    ("r notin [a: {1 / k}, b: {true}]", ("div", 12, 27, 0)),
    # an option's none where a value of the set is wanted: at the set
    ("o in [0..1 -> Opt]", ("null", 12, 19, 0)),
    ("k == 0 or [q in 0..1 |-> some(q)] in [0..1 -> Opt]", None),
    # subsets; nested sets
    ("s in subset {0, 2}", ("invariant", 12, 1, 1)),
    ("{r: r, m: m} in [m: [0..1 -> 0..k + 1], r: [b: bool, a: {0}]]", None),
    ("[q in 0..1 |-> s] in [0..1 -> subset {0}]", ("invariant", 12, 1, 1)),
    (
        "[q in 0..1 |-> [p in 0..1 |-> p + q * k]] in [0..1 -> [0..1 -> 0..1]]",
        ("invariant", 12, 1, 1),
    ),
    ("[q in 0..1 |-> [p in 0..1 |-> 1 / k]] notin [0..1 -> [1..2 -> 0..1]]", ("div", 12, 44, 0)),
]


def violation(r: explorer.Result) -> tuple | None:
    v = r.violation
    return v and (v.kind, v.loc.line, v.loc.col, v.length)


@pytest.mark.parametrize(("expr", "want"), ORDER_CASES)
def test_evaluation_order_agrees_with_the_reference(expr, want):
    text = ORDER.replace("EXPR", expr)
    ex = reference.explore(reference.Reference(text))
    got = ex.result.violation
    assert (got and (got.kind, got.loc.line, got.loc.col, got.length)) == want
    for backend in ("tuple", "vector"):
        assert violation(explorer.check(text, backend=backend)) == want, backend
    b = bmc(text, depth=1)
    assert (b.verdict, violation(b)) == ((VIOLATED, want) if want else (BOUNDED, None))
