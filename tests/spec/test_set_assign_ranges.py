"""A set written with an element outside the element range of its place is a range
error there, as an int written outside its range is: on every back end, in a step, an
action, a macro, an initial value, inside records and maps; statically where the
element is there for certain."""

from __future__ import annotations

import pytest

from mmcheck import explorer, invariants, spec
from mmcheck.explorer.core.result import HOLDS
from mmcheck.spec.errors import SpecErrors

HEAD = """var s : set of 0..2 = {}
var t : set of 0..4 = {3}
var x : 0..3 in 0..3
var r : record { f: set of 0..2, n: 0..1 } = { f: {}, n: 0 }
var m : [0..1] -> set of 0..2 = [i in 0..1 |-> {}]
macro put(v, w) { v := w }
"""

# each: the statement(s) after HEAD, the line:col of the range error (HEAD is 6 lines)
RUNTIME = {
    "assign": ("process p {\na: s := t\n}\n", "8:4"),
    "union": ("process p {\na: s := s union {x}\n}\n", "8:4"),
    "if": ("process p {\na: s := if x > 1 then t else s\n}\n", "8:4"),
    "record-field": ("process p {\na: r.f := t\n}\n", "8:4"),
    "record-except": ("process p {\na: r := { r except f = t minus {4} }\n}\n", "8:4"),
    "record-literal": ("process p {\na: r := { f: t, n: 1 }\n}\n", "8:4"),
    "map-element": ("process p {\na: m[1] := t\n}\n", "8:4"),
    "map-literal": ("process p {\na: m := [i in 0..1 |-> if i == 1 then t else {}]\n}\n", "8:4"),
    "map-except": ("process p {\na: m := [m except [0] = {x}]\n}\n", "8:4"),
    "action": ("action go\n  s' = t\n", "8:3"),
    "action-map": ("action go\n  m[0]' = {x}\n", "8:3"),
    "macro": ("process p {\na: put(s, t)\n}\n", "6:19"),  # in the macro, as for ints
    "init": ("var u : set of 0..2 = {x}\n", "7:23"),
    "init-map": ("var u : [0..1] -> set of 1..2 = [i in 0..1 |-> {i}]\n", "7:33"),
    "init-local": ("process p[i in 0..1] {\n  var u : set of 0..2 = {x}\na: skip\n}\n", "8:25"),
    # elements of no known range, listed symbolically: arithmetic, bounds read from the state
    "arith": ("process p {\na: s := {x * 2}\n}\n", "8:4"),
    "arith-union": ("process p {\na: s := s union {x + 1}\n}\n", "8:4"),
    "arith-minus": ("process p {\na: s := {x + 1} minus {0}\n}\n", "8:4"),
    "arith-field": ("process p {\na: r.f := {x + 1}\n}\n", "8:4"),
    "arith-map": ("process p {\na: m := [i in 0..1 |-> {i + x}]\n}\n", "8:4"),
    "arith-init": ("var u : set of 0..2 = {x + 1}\n", "7:23"),
    "state-range": ("process p {\na: s := 0..x\n}\n", "8:4"),
    "state-range-union": ("process p {\na: s := s union ((x - 1)..x)\n}\n", "8:4"),
    "state-range-minus": ("process p {\na: s := (0..x) minus {1}\n}\n", "8:4"),
    "state-range-if": ("process p {\na: s := if x > 0 then 1..x else {}\n}\n", "8:4"),
    "state-range-action": ("action go\n  s' = x..3\n", "8:3"),
    "state-range-init": ("var u : set of 1..3 = x..3\n", "7:23"),
}


@pytest.mark.parametrize("case", list(RUNTIME))
def test_a_wider_set_assigned_is_a_range_error(tmp_path, case):
    text, at = RUNTIME[case]
    path = tmp_path / "s.mms"
    path.write_text(HEAD + text)
    program = spec.load(path)
    for backend in ("tuple", "vector"):
        v = explorer.check(program, deadlock=False, backend=backend).violation
        assert v is not None and (v.kind, f"{v.loc.line}:{v.loc.col}") == ("range", at), backend
        assert "a set with an element outside its range" in v.message
    v = invariants.bmc(program, depth=1).violation
    assert v is not None and v.kind == "range"


def test_only_out_of_range_elements_are_errors(tmp_path):
    # t holds 3 only when x is 3: s := t minus {4} fails there and nowhere else
    path = tmp_path / "s.mms"
    path.write_text(
        "var x : 0..3 in 0..3\nvar t : set of 0..4 = {x}\nvar s : set of 0..2 = {}\n"
        "process p {\na: s := t minus {4}\n}\n"
    )
    for backend in ("tuple", "vector"):
        r = explorer.check(path, deadlock=False, backend=backend)
        assert r.violation is not None and r.violation.kind == "range"
        assert r.violation.trace[0].state[0] == 3  # x
    ok = path.read_text().replace("t minus {4}", "t minus {3, 4}")
    path.write_text(ok)
    for backend in ("tuple", "vector"):
        assert explorer.check(path, deadlock=False, backend=backend).verdict == HOLDS
    assert invariants.bmc(spec.load(path), depth=2).violation is None


# each: a set written to s : set of 0..2 whose elements are listed symbolically (x in 0..3)
# and lie inside 0..2 in every state: the values an `inter` or `minus` takes out and the
# literals of an `if` branch not taken do not count
INSIDE = [
    "{x + 1} minus {3, 4}",
    "(0..x) minus {3}",
    "(x..x + 1) inter {0, 1, 2}",
    "if x < 2 then {x + 1} else {x - 1}",
    "if x != 0 then {2 / x} else {}",  # the element is computed only where it is chosen
    "if x < 3 then 0..x else {}",
    "s union ((x + 1)..x)",  # empty
]


@pytest.mark.parametrize("value", INSIDE)
def test_symbolic_elements_inside_the_range_are_no_error(tmp_path, value):
    path = tmp_path / "s.mms"
    path.write_text(
        f"var x : 0..3 in 0..3\nvar s : set of 0..2 = {{}}\nprocess p {{\na: s := {value}\n}}\n"
    )
    for backend in ("tuple", "vector"):
        assert explorer.check(path, deadlock=False, backend=backend).verdict == HOLDS, backend
    assert invariants.bmc(spec.load(path), depth=2).violation is None


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("var s : set of 0..2 = {3}\n", "1:23"),
        ("var s : set of 0..2 = {}\nprocess p {\na: s := s union {3}\n}\n", "3:4"),
        ("var r : record { f: set of 0..2 } = { f: {1, 5} }\n", "1:37"),
        ("var s : set of 0..2 = {}\nprocess p {\na: s := (1..3) minus {1}\n}\n", "3:4"),
        ("var x : 0..2 = 0\nvar s : set of 0..2 = {}\nprocess p {\na: s := {x, 1 + 2}\n}\n", "4:4"),
    ],
    ids=["init", "step", "record", "range-minus", "arith"],
)
def test_an_element_there_for_certain_is_a_static_error(text, at):
    with pytest.raises(SpecErrors) as e:
        spec.load(text)
    (err,) = e.value.errors
    assert f"{err.loc.line}:{err.loc.col}" == at
    assert "a set with an element outside its range" in err.message


def test_a_range_of_arithmetic_bounds_under_minus_is_a_static_error():
    # its values outside 0..2 are neither all in the set nor of a known range to list
    with pytest.raises(SpecErrors) as e:
        spec.load(
            "var x : 0..2 = 0\nvar s : set of 0..2 = {}\nprocess p {\na: s := (0..x + 1) minus {1}\n}\n"
        )
    (err,) = e.value.errors
    assert (err.loc.line, err.loc.col) == (4, 4) and "cannot check" in err.message
