"""`x in [D -> S]`, `x in [f: S, ...]` and `x in subset S` as expressions (TLA+'s
TypeOK): what the front end accepts, what it folds statically (a map over another
range, a record of other fields: false), its errors with their locations, and the
prover on a domain of symbolic size."""

from __future__ import annotations

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer.core.result import HOLDS, VIOLATED
from mmcheck.invariants import prove
from mmcheck.invariants.prove import PROVED
from mmcheck.spec import ir
from mmcheck.spec.errors import SpecErrors

DECLS = """\
type Color = enum { red, green }
type Shade = enum { red, blue }
type P = symmetric 1..2
var f : [1..2] -> 0..3 = [n in 1..2 |-> 0]
var g : [1..2, Color] -> bool = [n in 1..2, c in Color |-> false]
var c : [Color] -> bool = [k in Color |-> false]
var b : [bool] -> 0..1 = [k in bool |-> 0]
var p : [P] -> 0..1 = [k in P |-> 0]
var r : record { a: 0..3, b: bool } = {a: 0, b: false}
var s : set of 0..3 = {}
var x : 0..3 = 0
"""
LINE = DECLS.count("\n") + 1  # the invariant's line


def invariant(expr: str) -> ir.Expr:
    program = spec.load(DECLS + f"invariant I: {expr}\n")
    (inv,) = program.invariants
    return inv.expr


@pytest.mark.parametrize(
    "expr",
    [
        "f in [1..3 -> 0..3]",  # another range: TLA+'s false
        "f in [0..1 -> 0..3]",
        "f in [1..2, 1..2 -> 0..3]",  # pairs: another domain
        "g in [1..2 -> [Color -> bool]]",
        "r in [a: 0..3]",  # fewer fields
        "r in [a: 0..3, b: bool, c: bool]",  # more
        "r in [a: 0..3, c: bool]",  # others
    ],
)
def test_another_domain_or_other_fields_is_false(expr):
    assert invariant(expr) == ir.FALSE
    assert invariant(expr.replace(" in ", " notin ", 1)) == ir.TRUE


@pytest.mark.parametrize(
    "expr",
    [
        "f in [1..2 -> 0..3]",
        "g in [1..2, Color -> bool]",
        "c in [Color -> bool]",
        "b in [bool -> 0..1]",
        "p in [P -> 0..1]",
        "r in [a: 0..3, b: bool]",
        "r in [b: bool, a: 0..3]",  # the fields in any order
        "{} in subset 0..3",
    ],
)
def test_the_type_of_the_set_is_true(expr):
    assert invariant(expr) == ir.TRUE


@pytest.mark.parametrize(
    ("expr", "col", "message"),
    [
        ("x in [1..2 -> 0..3]", 19, "a 0..3 cannot be in [D -> S] (a set of maps): it is no map"),
        ("x in [a: 0..3]", 19, "a 0..3 cannot be in [f: S, ...] (a set of records)"),
        ("x notin subset 0..3", 22, "a 0..3 cannot be in subset S (a set of sets)"),
        ("f in [1..2 -> [a: bool]]", 28, "a 0..3 cannot be in [f: S, ...]"),
        ("c in [Shade -> bool]", 20, "a map over Color is never in a set of maps over Shade"),
        ("b in [0..1 -> 0..1]", 20, "a map over bool is never in a set of maps over 0..1"),
        ("p in [1..2 -> 0..1]", 20, "the domains mix values of symmetric P"),
        ("r in [a: 0..3, a: 0..2]", 20, "field 'a' given twice"),
        ("f in [1..2 -> true]", 28, "expected a set, got bool"),
        ("f in [1..2 -> {true}]", 28, "a 0..3 cannot be in a set of bool"),
        ("s in subset {true}", 19, "set of 0..3 and set of bool do not mix"),
        ("card([1..2 -> 0..1]) == 4", 19, "or the right side of `in` and `notin`"),
        ("forall h in [1..2 -> 0..1]: h == f", 26, "may only be the set a variable starts in"),
        ("[1..2 -> 0..1] == [1..2 -> 0..1]", 14, "may only be the set a variable starts in"),
        # a set of other maps or records, false whatever its elements, is type checked
        ("f in [1..3 -> nope]", 28, "unknown name"),
        ("f in [1..2, Nope -> 0..3]", 26, "unknown type 'Nope'"),
        ("r in [a: 0..3, c: {true} union 0..1]", 32, "do not mix"),
    ],
)
def test_errors_name_where(expr, col, message):
    with pytest.raises(SpecErrors) as e:
        spec.load(DECLS + f"invariant I: {expr}\n")
    errors = [(err.loc.line, err.loc.col, err.message) for err in e.value.errors]
    assert any((line, c) == (LINE, col) and message in m for line, c, m in errors), errors


SYMBOLIC = """\
const N : 1.. = 3
var f : [1..N] -> 0..5 = [n in 1..N |-> 0]
action inc(n: 1..N)
  when f[n] < LIMIT
  f' = [f except [n] = f[n] + 1]
invariant TypeOK: f in [1..N -> 0..3]
"""


def test_prove_with_a_symbolic_domain():
    """`-D N=?`: f's domain and the set's are the same symbolic range."""
    assert prove(SYMBOLIC.replace("LIMIT", "3"), {"N": "?"}).status == PROVED
    broken = SYMBOLIC.replace("LIMIT", "4")
    assert prove(broken, {"N": "?"}).status != PROVED
    assert explorer.check(broken, deadlock=False).violation.length == 4
    assert explorer.check(SYMBOLIC.replace("LIMIT", "3"), deadlock=False).verdict == HOLDS


def test_prove_refuses_a_domain_it_cannot_compare():
    text = SYMBOLIC.replace("LIMIT", "3").replace("[1..N -> 0..3]", "[1..3 -> 0..3]")
    assert explorer.check(text, deadlock=False).verdict == HOLDS  # N is 3
    other = explorer.check(text, consts={"N": 2}, deadlock=False)  # another domain
    assert (other.verdict, other.violation.length) == (VIOLATED, 0)
    with pytest.raises(SpecErrors, match="cannot tell whether this domain is the map's"):
        prove(text, {"N": "?"})
