"""Set operators on sets of integers of different ranges, against Python's sets, on every
back end: each expression is pinned, for every pair of sets of a table, to the value
Python computes, by an invariant that must hold in every initial state."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import pytest

from mmcheck import explorer, invariants, spec
from mmcheck.explorer.core.result import BOUNDED, HOLDS
from mmcheck.invariants.prove import PROVED

A_SETS = [set(c) for n in range(4) for c in combinations(range(3), n)]  # every subset of 0..2
B_SETS = [set(), {2}, {1, 2}, {3, 4}, {2, 4}, {1, 2, 3, 4}]  # subsets of 1..4
CASES = [(a, b) for a in A_SETS for b in B_SETS]  # case = i * len(B_SETS) + j


def lit(s: set[int]) -> str:
    return "{" + ", ".join(map(str, sorted(s))) + "}"


# expression -> its value for the sets a, b (a: set of 0..2, b: set of 1..4)
EXPRS: dict[str, Callable[[set[int], set[int]], int | bool]] = {
    "card(a union b)": lambda a, b: len(a | b),
    "card(a inter b)": lambda a, b: len(a & b),
    "card(a minus b)": lambda a, b: len(a - b),
    "card(b minus a)": lambda a, b: len(b - a),
    "card(a minus {0})": lambda a, b: len(a - {0}),
    "card(a union {5})": lambda a, b: len(a | {5}),
    "card({0, 3} minus a)": lambda a, b: len({0, 3} - a),
    "card(if card(a) > 1 then a else b)": lambda a, b: len(a if len(a) > 1 else b),
    "sum k in a union b: k": lambda a, b: sum(a | b),
    "sum k in a inter 0..1: k + 1": lambda a, b: sum(k + 1 for k in a & {0, 1}),
    "count k in b minus {1}: k > 2": lambda a, b: sum(k > 2 for k in b - {1}),
    "count k in {0, 4} union a: true": lambda a, b: len({0, 4} | a),
    "count k in {}: true": lambda a, b: 0,
    "(forall k in {}: false) and not (exists k in {}: true)": lambda a, b: True,
    "a == b": lambda a, b: a == b,
    "a != b": lambda a, b: a != b,
    "a subset b": lambda a, b: a <= b,
    "b subset a": lambda a, b: b <= a,
    "a inter b == {}": lambda a, b: not a & b,
    "a minus {0} == b minus {3, 4}": lambda a, b: a - {0} == b - {3, 4},
    "a union b subset 0..3": lambda a, b: a | b <= {0, 1, 2, 3},
    "forall k in a minus b: k < 2": lambda a, b: all(k < 2 for k in a - b),
    "exists k in a inter b: k > 1": lambda a, b: any(k > 1 for k in a & b),
    "[i in 0..1 |-> a] == [i in 0..1 |-> b]": lambda a, b: a == b,
    "{ s: a, n: 1 } == { s: b, n: 1 }": lambda a, b: a == b,
    "m[0] == a and m[1] == b": lambda a, b: True,
    "m == [i in 0..1 |-> if i == 0 then b else a]": lambda a, b: a == b,
    "r.s == b and r == { s: b, n: 0 }": lambda a, b: True,
    "r.s subset a": lambda a, b: b <= a,
    # EXCEPT with a set of a wider range widens the record's field, the map's elements
    "{ q except s = b } == q": lambda a, b: a == b,
    "[n except [1] = b] == n": lambda a, b: a == b,
    "[n except [1] = b] == [i in 0..1 |-> if i == 0 then a else b]": lambda a, b: True,
}
for x in range(-1, 6):
    EXPRS[f"{x} in a minus b"] = lambda a, b, x=x: x in a - b
    EXPRS[f"{x} in a union b"] = lambda a, b, x=x: x in a | b
    EXPRS[f"{x} notin b inter a"] = lambda a, b, x=x: x not in b & a


def choice(var: str, sets: list[set[int]]) -> str:
    return " else ".join(f"if {var} == {i} then {lit(s)}" for i, s in enumerate(sets[:-1])) + (
        f" else {lit(sets[-1])}"
    )


def expected(cases: list[int], values: list[int | bool]) -> str:
    """The value for the case in state, as an expression: cases grouped by value."""
    by_value: dict[int | bool, list[int]] = {}
    for c, v in zip(cases, values):
        by_value.setdefault(v, []).append(c)
    shown = lambda v: str(v).lower()  # noqa: E731
    *rest, (last, _) = by_value.items()
    return "".join(f"if case in {lit(set(cs))} then {shown(v)} else " for v, cs in rest) + shown(
        last
    )


def set_spec() -> str:
    n = len(B_SETS)
    lines = [
        "spec SetSemantics",
        f"var case : 0..{len(CASES) - 1} in 0..{len(CASES) - 1}",
        f"var a : set of 0..2 = {choice('case / ' + str(n), A_SETS)}",
        f"var b : set of 1..4 = {choice('case % ' + str(n), B_SETS)}",
        "var m : [0..1] -> set of 0..4 = [i in 0..1 |-> if i == 0 then a else b]",
        "var r : record { s: set of 1..4, n: 0..1 } = { s: b, n: 0 }",
        "var q : record { s: set of 0..2 } = { s: a }",
        "var n : [0..1] -> set of 0..2 = [i in 0..1 |-> a]",
    ]
    for k, (text, fn) in enumerate(EXPRS.items()):
        values = [fn(a, b) for a, b in CASES]
        op = "<=>" if isinstance(values[0], bool) else "=="
        lines.append(f"invariant E{k}: ({text}) {op} ({expected(list(range(len(CASES))), values)})")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    path = tmp_path_factory.mktemp("sets") / "sets.mms"
    path.write_text(set_spec())
    return spec.load(path)


@pytest.mark.parametrize("backend", ["tuple", "vector"])
def test_explorer_evaluates_set_operators_as_python(program, backend):
    r = explorer.check(program, deadlock=False, backend=backend)
    assert r.verdict == HOLDS, (r.violation.name, r.violation.message) if r.violation else r
    assert r.stats.distinct == len(CASES)


def test_prover_evaluates_set_operators_as_python(program):
    r = invariants.prove(program)
    assert r.status == PROVED, [(q.invariant, q.action) for q in r.queries if q.status != PROVED]
    assert invariants.bmc(program, depth=0).verdict == BOUNDED


# the reports: `==` of int sets compared nothing; card of a `minus` counted nothing
REPORTED = [
    ("var s : set of 0..2 = {1}\nvar t : set of 0..2 = {2}\ninvariant Differ: s != t\n", True),
    ("var s : set of 0..2 = {0, 1, 2}\ninvariant Two: card(s minus {0}) <= 1\n", False),
]


@pytest.mark.parametrize(("text", "holds"), REPORTED, ids=["set-eq", "card-minus"])
def test_reported_int_set_verdicts_on_every_back_end(tmp_path, text, holds):
    path = tmp_path / "s.mms"
    path.write_text(text)
    for backend in ("tuple", "vector"):
        assert (explorer.check(path, deadlock=False, backend=backend).verdict == HOLDS) == holds
    assert (invariants.prove(str(path)).status == PROVED) == holds
    assert (invariants.bmc(spec.load(path), depth=0).verdict == BOUNDED) == holds
