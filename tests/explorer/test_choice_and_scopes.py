"""`with x in S { ... }`, labels inside `either` branches, enum values scoped to their enum
(`Pte.none`), quantifiers whose bounds read variables, and `lock`, `init`, `with` as
names: the expectations of their specs in tests/specs on every back end, BMC and prove,
deadlocks and errors of `with`, and how traces show a `with`'s choice."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.cli import main
from mmcheck.explorer.core.result import HOLDS, VIOLATED
from mmcheck.explorer.report.view import param_texts, param_values
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.prove import CTI, PROVED

ROOT = Path(__file__).resolve().parents[2]
SPECS = ("with_choice", "either_labels", "enum_scopes", "quant_state_bounds", "soft_keywords")
sys.path.insert(0, str(ROOT / "tests"))
from expect_cases import BACKENDS, check_expectation, expectation_cases  # noqa: E402


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # relative paths: the messages name no machine path


@pytest.mark.parametrize(
    ("case", "backend"), expectation_cases([f"tests/specs/{s}.mms" for s in SPECS], 9)
)
def test_expectations_hold_on_every_backend(case, backend):
    check_expectation(case, backend)


@pytest.mark.parametrize(
    ("name", "consts", "depth", "expected"),
    [
        ("with_choice", {"BUG": True}, 3, ("invariant", "NotTwo", 1)),
        ("either_labels", {"BUG": True}, 3, ("invariant", "MappedHasRef", 2)),
        ("enum_scopes", {"BUG": True}, 5, ("invariant", "NotFreedWhileMigrating", 4)),
        ("quant_state_bounds", {"BUG": True}, 4, ("domain", "Bounded", 3)),
    ],
)
def test_bmc_finds_what_the_explorer_finds(name, consts, depth, expected):
    v = bmc(f"tests/specs/{name}.mms", consts, depth=depth).violation
    assert (v.kind, v.name, v.length) == expected


@pytest.mark.parametrize("name", SPECS)
def test_bmc_finds_nothing_in_the_specs_that_hold(name):
    assert bmc(f"tests/specs/{name}.mms", depth=4).violation is None


CHOOSE = """
var n : 0..3 = 2
var x : 0..3 = 0
var waiters : set of 1..3 = {1, 3}
process p {
a:
  with i in 0..n, q in waiters { x := min(i, q) }
}
invariant XleN: x <= n
invariant XltN: x < n or x == 0
"""


def test_prove_reasons_over_every_choice():
    r = prove(CHOOSE, invariants=["XleN"])
    assert r.status == PROVED
    r = prove(CHOOSE, invariants=["XltN"])
    assert r.status == CTI  # x := 2 with n = 2: the choice i = n


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_empty_with_is_not_enabled(backend):
    text = (
        "var s : set of 1..2 = {}\nvar x : 0..2 = 0\nprocess p {\na:\n  with i in s { x := i }\n}\n"
    )
    r = explorer.check(text, backend=backend)
    assert (r.verdict, r.violation.kind, r.violation.length) == (VIOLATED, "deadlock", 0)
    text = text.replace("in s {", "in {} {")
    r = explorer.check(text, backend=backend)
    assert (r.verdict, r.violation.kind) == (VIOLATED, "deadlock")


BAD_BOUND = """
var m : [1..2] -> 0..3 = [i in 1..2 |-> 1]
var k : 0..3 = 1
var x : 0..3 = 0
action K
  when k < 3
  k' = k + 1
process p {
a:
  await k == 3
  with i in 5..m[k] { x := 1 }
}
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_error_in_a_with_set_is_an_error_of_the_step(backend):
    # the range 5..m[3] would be empty: its bound is evaluated all the same
    r = explorer.check(BAD_BOUND, backend=backend)
    v = r.violation
    assert (r.verdict, v.kind, v.length, v.failed.action) == (VIOLATED, "domain", 3, "p.a")


def test_bmc_finds_the_error_in_a_with_set():
    v = bmc(BAD_BOUND, depth=3).violation
    assert (v.kind, v.length) == ("domain", 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_quantifier_over_an_empty_range_still_evaluates_its_bounds(backend):
    text = BAD_BOUND.replace(
        "process p {\na:\n  await k == 3\n  with i in 5..m[k] { x := 1 }\n}", ""
    )
    text += "invariant I: forall i in 5..m[k]: false\n"
    v = explorer.check(text, backend=backend).violation
    assert (v.kind, v.length, v.name) == ("domain", 2, "I")


def test_trace_shows_the_choice_of_with(capsys):
    main(["check", "tests/specs/with_choice.mms", "-D", "BUG=true"])
    assert "Step 1: server.pick(with q = 2)  [server at pick]" in capsys.readouterr().out
    main(["check", "tests/specs/with_choice.mms", "-D", "BUG=true", "--trace", "cpu"])
    assert "pick()  [with q = 2]" in capsys.readouterr().out
    main(["check", "tests/specs/with_choice.mms", "-D", "BUG=true", "--trace", "itf"])
    itf = json.loads(capsys.readouterr().out.split("\n\n")[0])
    assert itf["states"][1]["#meta"]["params"] == {"with q": {"#bigint": "2"}}


def test_trace_leaves_out_a_with_not_reached():
    text = """
type Mode = enum { idle, busy }
var mode : Mode = idle
var b : bool = false
process p {
a:
  either { with m in Mode, c in bool { mode := m; b := c } } or { b := true }
}
invariant I: not b
"""
    for backend in BACKENDS:
        r = explorer.check(text, backend=backend)
        assert (r.verdict, r.violation.length) == (VIOLATED, 1), backend
    program = spec.load(text)
    taken = (("either#1", 1), ("with#2", 1), ("with#3", 1))
    assert param_texts(program, "p.a", taken) == ["branch 1", "with m = busy", "with c = true"]
    assert [(n, t.show(v)) for n, v, t in param_values(program, "p.a", taken)[1:]] == [
        ("with m", "busy"),
        ("with c", "true"),
    ]
    other = (("either#1", 2), ("with#2", -1), ("with#3", -1))
    assert param_texts(program, "p.a", other) == ["branch 2"]
    assert [n for n, _, _ in param_values(program, "p.a", other)] == ["either#1"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_label_in_a_branch_is_a_step_of_its_own(backend):
    r = explorer.check("tests/specs/either_labels.mms", {"BUG": True}, backend=backend)
    steps = [s.action for s in r.violation.trace[1:]]
    assert steps == ["fault.start", "fault.install"]


LABELS = """
var x : 0..3 = 0
process p {
a:
  either { x := 1
  b:
    x := 2 } or { goto b }
  x := 3
c:
  await at(p, c) and x == 3
}
invariant I: at(p, b) => x <= 1
invariant J: at(p, a) => x == 0
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_goto_and_at_name_a_label_in_a_branch(backend):
    r = explorer.check(LABELS, backend=backend)
    assert (r.verdict, r.stats.distinct) == (HOLDS, 5)


def test_prove_and_bmc_see_the_steps_of_labels_in_branches():
    assert bmc(LABELS, depth=4).violation is None
    assert prove(LABELS).status == PROVED


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_parameter_of_a_shared_value_name_is_numbered_by_its_own_enum(backend):
    text = """
type B = enum { b1, b2, none }
type A = enum { none, a1 }
var x : B = b1
action Set(v: B)
  when v == none
  x' = v
invariant I: x != none
"""
    v = explorer.check(text, backend=backend).violation
    assert (v.name, v.trace[1].params) == ("I", (("v", 2),))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_with_under_a_failed_condition_is_an_error(backend):
    text = """
var m : [1..2] -> bool = [i in 1..2 |-> true]
var k : 0..2 = 0
var x : 0..2 = 0
process p {
a:
  if m[k] { with i in 1..2 { x := i } }
}
"""
    v = explorer.check(text, backend=backend).violation
    assert (v.kind, v.length, v.failed.action) == ("domain", 1, "p.a")
