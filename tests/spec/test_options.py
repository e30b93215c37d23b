"""Options (`T?`, `none`, `some(x)`): errors, runtime failures on every back end, how
traces show them, and symmetry over an option of a symmetric type."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mmcheck import bmc, check, load
from mmcheck.explorer.report.itf import to_itf

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from expect_cases import BACKENDS  # noqa: E402

ERRORS = {
    "option of a record": (
        "type R = record { a: bool }\nvar r : R? = none\n",
        "2:9: error: only a bool, a range or an enum can be an option, not R",
    ),
    "set of options": (
        "var s : set of 0..2? = {}\n",
        "1:16: error: 0..2? is not a finite domain",
    ),
    "an option of an enum with a value none": (
        "type Pte = enum { present, none }\nvar e : Pte? = some(present)\n",
        "2:9: error: Pte has a value none: an option of it would have two nones",
    ),
    "none as a number": (
        "var x : 0..3 = 0\ninvariant I: none + 1 == x\n",
        "2:14: error: `none` is no value here: only an option can be none",
    ),
    "some of a record": (
        "type R = record { a: bool }\nvar r : R = {a: true}\ninvariant I: some(r) == none\n",
        "3:19: error: some(..) makes an option of a bool, an int or an enum, not R",
    ),
    "none in a set": (
        "var s : set of 0..3 = {none}\n",
        "1:24: error: `none` is no value here: only an option can be none",
    ),
    "option of an option": ("var p : 0..3?? = none\n", "1:14: error: unexpected '?'"),
}


@pytest.mark.parametrize("case", ERRORS, ids=str)
def test_errors(run_cli, case):
    text, says = ERRORS[case]
    rc, _, err = run_cli(text)
    assert rc == 2 and f"spec.mms:{says}" in err and "Traceback" not in err, err


# each (statement, where in it the failure is reported, kind): p is none, b a none
# bool?, q holds 4, w some(4)
FAILURES = {
    "arithmetic": ("x := p + 1", "p + 1", "null"),
    "index": ("x := m[p]", "p]", "null"),
    "condition": ("if b then x := 1", "b then", "null"),
    "await": ("await b", "b", "null"),
    "ordering": ("await p < 2", "p <", "null"),
    "membership": ("await p in {1}", "p in", "null"),
    "set literal": ("await 1 in {p}", "p}", "null"),
    "stored in a plain variable": ("x := p", "x", "null"),
    "one past the option's range": ("p := q", "p", "range"),
    "an option of a wider range": ("p := w", "p", "range"),
}
FAILING = """\
var p : 0..3? = none
var b : bool? = none
var q : 0..5 = 4
var w : 0..5? = some(4)
var x : 0..5 = 0
var m : [0..3] -> 0..5 = [i in 0..3 |-> i]
process a {
  s: {stmt}
}
"""


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", FAILURES, ids=str)
def test_runtime_failures(tmp_path, case, backend):
    stmt, at, kind = FAILURES[case]
    path = tmp_path / "f.mms"
    path.write_text(FAILING.replace("{stmt}", stmt))
    r = check(path, backend=backend)
    v = r.violation
    col = len("  s: ") + stmt.index(at) + 1
    assert (r.verdict, v.kind, v.loc.line, v.loc.col) == ("violated", kind, 8, col)


SEMANTICS = """\
var p : 0..3? = none
var q : 0..5? = some(4)
var r : 0..3? = 2
var s : record { o: bool?, n: 0..2 } = {o: none, n: 1}
var done : bool = false
process a {
  s1: assert p == none and p != q and q == 4 and q != none and r == some(2)
      assert r == 2 and not (r == q) and s.o == none and s == {o: none, n: 1}
      p := if r == 2 then r else none
      s.o := some(false)
  s2: assert p == 2 and p == r and s.o == false and not s.o and s.o != true
      q := p
      p := none
  s3: assert q == some(2) and q != p and (if p == none then 0 else p) == 0
      done := true
}
invariant Done: done => q == 2
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_comparisons_and_implicit_some(tmp_path, backend):
    path = tmp_path / "s.mms"
    path.write_text(SEMANTICS)
    r = check(path, backend=backend)
    assert (r.verdict, r.stats.distinct) == ("holds", 4)


def test_bmc_finds_the_null_dereference():
    r = bmc(ROOT / "tests/specs/option_lookup.mms", {"CHECK": False}, depth=4)
    assert (r.verdict, r.violation.kind, r.violation.length) == ("violated", "null", 3)
    assert (
        bmc(ROOT / "tests/specs/option_lookup.mms", {"CHECK": True}, depth=6).verdict == "bounded"
    )


TRACED = """\
type Pte = enum { present, none }
type Lru = enum { active, inactive }
var p : Lru? = some(inactive)
var pte : Pte = none
var o : 1..2? = none
var b : bool? = true
process a {
  s: o := 2; p := if pte == none then none else active
  t: assert false
}
"""


def test_text_traces_show_none_and_some(run_cli):
    rc, out, _ = run_cli(TRACED, verb="check")
    assert rc == 1
    for line in (
        "  p = inactive",
        "  pte = none",
        "  o = none",
        "  b = true",
        "o: none -> 2",
        "p: inactive -> none",
    ):
        assert line in out, out


def test_itf_writes_options_as_variants(tmp_path):
    path = tmp_path / "t.mms"
    path.write_text(TRACED)
    program = load(path)
    r = check(program)
    doc = json.loads(json.dumps(to_itf(program, r.trace)))
    first, last = doc["states"][0], doc["states"][-1]
    assert first["p"] == {"tag": "Some", "value": "inactive"}
    assert first["pte"] == "none"
    assert first["o"] == {"tag": "None", "value": {"#tup": []}}
    assert first["b"] == {"tag": "Some", "value": True}
    assert last["o"] == {"tag": "Some", "value": {"#bigint": "2"}}


def test_symmetry_over_an_option_of_a_sort():
    path = ROOT / "tests/specs/option_owner.mms"
    reduced, full = check(path), check(path, symmetry=False)
    ref = check(path, backend="reference")
    assert [(r.verdict, r.stats.distinct) for r in (reduced, full, ref)] == [
        ("holds", 8),
        ("holds", 28),
        ("holds", 28),
    ]
    bug = [check(path, {"BUG": True}, symmetry=s) for s in (True, False)]
    assert [(r.verdict, r.violation.name, r.violation.length) for r in bug] == [
        ("violated", "OwnedInside", 2)
    ] * 2
