"""Pools of references (`pool Page[N] of T = e`, `alloc`, `free`, `allocated`):
errors, use after free and double free on every back end, allocation, symmetry."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mmcheck import bmc, check

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from expect_cases import BACKENDS  # noqa: E402

POOL = "pool Page[2] of 0..3 = 0\n"

ERRORS = {
    "empty pool": ("pool Page[0] of 0..3 = 0\n", "1:11: error: a pool of 0 elements"),
    "size from the state": (
        "var n : 1..2 = 1\npool Page[n] of bool = false\n",
        "2:11: error: a constant or type cannot read the state",
    ),
    "initial value of another type": (
        "pool Page[2] of 0..3 = true\n",
        "1:24: error: pool Page holds 0..3, not bool",
    ),
    "a literal reference": (
        POOL + "invariant I: Page[1] == 0\n",
        "2:19: error: index into a map over symmetric Page must be a Page value",
    ),
    "alloc outside a process": (
        POOL + "var p : Page? = none\naction a\n  p' = alloc(Page)\n",
        "4:8: error: alloc(..) is only allowed in a process step",
    ),
    "alloc of no pool": (
        POOL + "var x : 0..1 = 0\nprocess a { s: x := alloc(x) }\n",
        "3:27: error: alloc(..) takes the name of a pool",
    ),
    "free of no reference": (
        POOL + "var x : 0..1 = 0\nprocess a { s: free(x) }\n",
        "3:21: error: free(..) takes a reference to a pool, not 0..1",
    ),
    "free as a value": (
        POOL + "var p : Page? = none\nvar b : bool = false\nprocess a { s: b := free(p) }\n",
        "4:21: error: free(..) is a statement, it has no value",
    ),
}


@pytest.mark.parametrize("case", ERRORS, ids=str)
def test_errors(run_cli, case):
    text, says = ERRORS[case]
    rc, _, err = run_cli(text)
    assert rc == 2 and f"spec.mms:{says}" in err and "Traceback" not in err, err


# each (statements, where the failure is reported, kind): p holds an allocated page
FAILURES = {
    "read after free": ("free(p); x := Page[p]", "Page[p]", "free"),
    "write after free": ("free(p); Page[p] := 1", "Page[p]", "free"),
    "double free": ("free(p); free(p)", "free(p)", "free", 1),
    "free of none": ("p := none; free(p)", "p)", "null"),
    "none dereferenced": ("p := none; x := Page[p]", "p]", "null"),
}
FAILING = """\
pool Page[2] of 0..3 = 2
var p : Page? = none
var x : 0..3 = 0
process a {
  s: p := alloc(Page); Page[p] := 3
  t: {stmts}
}
"""


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", FAILURES, ids=str)
def test_runtime_failures(tmp_path, case, backend):
    stmts, at, kind, *nth = FAILURES[case]
    path = tmp_path / "f.mms"
    path.write_text(FAILING.replace("{stmts}", stmts))
    r = check(path, backend=backend)
    v = r.violation
    col = len("  t: ") + stmts.index(at, stmts.index(at) + 1 if nth else 0) + 1
    assert (r.verdict, v.kind, v.loc.line, v.loc.col, v.length) == ("violated", kind, 6, col, 2)


ALLOCATION = """\
pool Page[2] of 0..3 = 2
var a : Page? = none
var b : Page? = none
var c : Page? = none
process p {
  s: a := alloc(Page); b := alloc(Page); c := alloc(Page)
     assert a != none and b != none and a != b and c == none
     assert Page[a] == 2 and allocated(a) and allocated(b)
     Page[a] := 3
     free(a)
     assert not allocated(a)
  t: c := alloc(Page)
     assert c != none and Page[c] == 2          // freed, then allocated: the initial value
}
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_allocation(tmp_path, backend):
    path = tmp_path / "a.mms"
    path.write_text(ALLOCATION)
    r = check(path, backend=backend, symmetry=False)
    # a and b: either order; c after the free: the page a had
    assert (r.verdict, r.stats.distinct) == ("holds", 5)


def test_symmetry_over_pages():
    path = ROOT / "tests/specs/pool_migrate.mms"
    counts = [
        (r.verdict, r.stats.distinct)
        for r in (
            check(path),
            check(path, symmetry=False),
            check(path, backend="vector"),
            check(path, backend="reference"),
        )
    ]
    assert counts == [("holds", 13), ("holds", 61), ("holds", 13), ("holds", 61)]
    for symmetry in (True, False):
        r = check(path, {"BUG": True}, symmetry=symmetry)
        assert (r.violation.kind, r.violation.length) == ("free", 5)


def test_bmc_finds_the_use_after_free():
    r = bmc(ROOT / "tests/specs/pool_migrate.mms", {"BUG": True}, depth=5)
    assert (r.verdict, r.violation.kind, r.violation.length) == ("violated", "free", 5)
