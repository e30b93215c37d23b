"""Disagreements the differential tests found, minimised, each with the answer of the
reference interpreter and docs/language.md (never the back end's) as the expected one.
The seed that found each is named; `specgen.generate(seed)` rebuilds the spec."""

from __future__ import annotations

import pytest

from mmcheck import explorer
from mmcheck.explorer import reference
from mmcheck.explorer.core.result import BOUNDED, HOLDS, VIOLATED
from mmcheck.explorer.vector import engine as vector
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.prove import CTI, PROVED, TIMEOUT, UNKNOWN

# seed 128: a set holds only elements of its domain; `{-1, 2}` is no value of
# `set of 1..4`, so the assignment is a range error (docs/language.md, "Types": a set
# is a subset of its finite domain; "Variables of a declared range must stay inside
# it"). The back ends dropped -1 and went on.
SET_OUTSIDE_ITS_DOMAIN = """
var y : -1..1 = -1
var x0 : set of 1..4 = {4}
process p0 {
a:
  x0 := x0 union {y}
}
"""

# seed 121: a process instance outside the set's domain is a domain error at the
# instance `p0[y]` (as a map read is at the index), not at the `at(...)` around it.
INSTANCE_OUTSIDE_ITS_DOMAIN = """
var y : 0..2 = 2
process p0[self in 1..2] {
a:
  skip
}
action act1
  when at(p0[y], a)
  y' = 0
"""

# seed 84 (shrunk by specgen.shrink): prove raised IndexError in the frame lemmas of
# a sum over `card` of a set of -1..1.
PROVE_CRASH = """var x0 : set of -1..1 = {-1, 1}
var x2 : 1..4 = 1
var page : record { count: 0..3, locked: bool } = { count: 1, locked: false }
lock LA : [1..2]
process p0 {
p0l2:
}
process p1 {
  var t : 0..2 in 0..1
p1l0:
  if (2 in ({t, 0x1, (-1)} minus x0)) then page.locked := trylock(LA[2])
}
action act0 {
  x2' = min(max((sum i1_0 in 0..3: card(x0)), 1), 4)
}
invariant Inv0: page.locked
"""


def ref_violations(text: str) -> set:
    ex = reference.explore(reference.Reference(text))
    return {(kind, name, (loc.line, loc.col)) for kind, name, loc in ex.violations}


@pytest.mark.parametrize("backend", ["tuple", "vector"])
def test_set_assigned_an_element_outside_its_domain(backend):
    assert ref_violations(SET_OUTSIDE_ITS_DOMAIN) == {("range", None, (6, 3))}
    r = explorer.check(SET_OUTSIDE_ITS_DOMAIN, backend=backend)
    assert r.verdict == VIOLATED and r.violation.kind == "range"
    assert (r.violation.loc.line, r.violation.loc.col, r.violation.length) == (6, 3, 1)


def test_bmc_sees_a_set_element_outside_its_domain():
    r = bmc(SET_OUTSIDE_ITS_DOMAIN, depth=2)
    assert r.verdict == VIOLATED and r.violation.kind == "range" and r.violation.length == 1


def test_prove_sees_a_set_element_outside_its_domain():
    assert (
        prove(SET_OUTSIDE_ITS_DOMAIN.replace("\n}\n", "\n}\ninvariant I: true\n")).status != PROVED
    )


@pytest.mark.parametrize("backend", ["tuple", "vector"])
def test_instance_outside_its_domain_is_reported_at_the_instance(backend):
    assert ref_violations(INSTANCE_OUTSIDE_ITS_DOMAIN) == {("domain", None, (8, 11))}
    v = explorer.check(INSTANCE_OUTSIDE_ITS_DOMAIN, backend=backend).violation
    assert (v.kind, v.loc.line, v.loc.col) == ("domain", 8, 11)


def test_prove_of_a_sum_over_a_card_does_not_crash():
    # the initial state breaks Inv0 (page.locked is false): never PROVED
    assert prove(PROVE_CRASH, invariants=["Inv0"]).status in (CTI, UNKNOWN, TIMEOUT)


# seed 100028 (slow run): `1..3 minus {}` is {1, 2, 3}, so 0 is not in it and the
# await blocks: a deadlock in the initial state. The back ends found 0 in it.
MINUS_EMPTY = """
var x : 0..1 = 0
process p {
a:
  await x in (1..3 minus {})
}
"""


@pytest.mark.parametrize("backend", ["tuple", "vector"])
def test_minus_the_empty_set(backend):
    ex = reference.explore(reference.Reference(MINUS_EMPTY))
    assert (ex.verdict, ex.violations, ex.shortest) == (VIOLATED, {("deadlock", None, None)}, 0)
    r = explorer.check(MINUS_EMPTY, backend=backend)
    v = r.violation
    assert (r.verdict, v and v.kind, v and v.length) == (VIOLATED, "deadlock", 0)


# seed 100440 (slow run, shrunk): x3 == -1, so the init constraint indexes x0 at 2, a
# domain error at length 0 (docs/guarantees.md: initial states are checked too). The
# back ends read x0's initial value `false` there, so the constraint ruled out every
# initial state and the spec held. A step that reads a map it wrote whole is the same.
INIT_OUTSIDE_ITS_DOMAIN = """
var x0 : [0..1] -> bool = [q0 in 0..1 |-> false]
var x3 : -1..0 in -1..-1
init x0[(x3) % 3 + 0]
invariant I: true
"""
STEP_READS_A_WRITTEN_MAP_OUTSIDE_ITS_DOMAIN = """
var x3 : 0..3 = 2
var x0 : [0..1] -> bool = [q0 in 0..1 |-> false]
process p {
a:
  x0 := [q in 0..1 |-> true];
  x0[1] := x0[x3]
}
invariant I: true
"""
WRITTEN_WHOLE = [
    (INIT_OUTSIDE_ITS_DOMAIN, (4, 6), 0),
    (STEP_READS_A_WRITTEN_MAP_OUTSIDE_ITS_DOMAIN, (7, 12), 1),
]


@pytest.mark.parametrize(("text", "loc", "length"), WRITTEN_WHOLE, ids=["init", "step"])
def test_a_map_written_whole_read_outside_its_domain(text, loc, length):
    assert ref_violations(text) == {("domain", None, loc)}
    for r in (*(explorer.check(text, backend=b) for b in ("tuple", "vector")), bmc(text, depth=2)):
        v = r.violation
        assert (r.verdict, v.kind, (v.loc.line, v.loc.col), v.length) == (
            VIOLATED,
            "domain",
            loc,
            length,
        )
    assert prove(text).status == CTI


# seed 100130 (slow run, shrunk): `let` is TLA+'s LET, evaluated where it is used
# (docs/language.md), so the unused binding's read of x1 at 3 never happens and the
# spec holds. The reference evaluated the binding anyway and reported a domain error.
UNUSED_LET = """
var x0 : 0..2 = 0
var x1 : [1..2] -> bool = [q in 1..2 |-> true]
process p {
a:
  x0 := 2
}
invariant Inv0: let v = x1[x0 % 3 + 1] in x1[1]
"""


def test_an_unused_let_binding_is_never_evaluated():
    ex = reference.explore(reference.Reference(UNUSED_LET))
    assert (ex.verdict, ex.violations) == (HOLDS, set())
    for backend in ("tuple", "vector"):
        assert explorer.check(UNUSED_LET, backend=backend).verdict == HOLDS
    assert bmc(UNUSED_LET, depth=3).verdict == BOUNDED
    assert prove(UNUSED_LET).status == PROVED


# An initial choice outside the variable's declared range is a range error at the `in`
# set, at length 0 (docs/language.md: "Variables of a declared range must stay inside
# it"), as the reference says; the back ends dropped 3..5 and held with 3 states.
CHOICE_OUTSIDE_ITS_RANGE = [
    ("var x : 0..2 in 0..5\nterminal true\ninvariant I: true\n", (1, 17)),
    (
        "process p[self in 1..2] {\n  var x : 0..2 in {1, 4}\na:\n  skip\n}\ninvariant I: true\n",
        (2, 19),
    ),
]


@pytest.mark.parametrize(("text", "loc"), CHOICE_OUTSIDE_ITS_RANGE, ids=["global", "process-set"])
def test_an_initial_choice_outside_the_range_is_a_range_error(text, loc):
    assert ref_violations(text) == {("range", None, loc)}
    for r in (*(explorer.check(text, backend=b) for b in ("tuple", "vector")), bmc(text, depth=1)):
        v = r.violation
        assert (r.verdict, v.kind, (v.loc.line, v.loc.col), v.length) == (VIOLATED, "range", loc, 0)
    assert prove(text).status == CTI


# An `in` range whose bound reads an earlier choice: the choice's domain is bounded
# through that choice's (a traceback: "not a constant"). A non-member of the `in` set
# is no choice, so nothing of the initial state is evaluated for it: the back ends
# applied the initial values before the membership guard, so 12, in an operand of the
# set but not in the set, was a range error, and 3 a division by zero.
CHOICE_NOT_TAKEN = [
    ("var y : 0..10 in 2..4\nvar z : 0..10 in 0..y\nterminal true\n", 12),
    ("var y : 0..10 in ({2, 3} union {4, 12}) minus {12}\nvar z : 0..10 = y + 6\n"
     "terminal true\n", 3),
    ("var y : 1..10 in (1..10) minus {3}\nvar z : -10..10 = 10 / (y - 3)\nterminal true\n", 9),
]  # fmt: skip


@pytest.mark.parametrize(("text", "states"), CHOICE_NOT_TAKEN, ids=["bound", "minus", "div"])
def test_only_the_members_of_an_in_set_are_initial_choices(text, states):
    ex = reference.explore(reference.Reference(text))
    assert (ex.verdict, len(ex.violations)) == (HOLDS, 0)
    for backend in ("tuple", "vector"):
        r = explorer.check(text, backend=backend)
        assert (r.verdict, r.stats.distinct) == (HOLDS, states)
    assert bmc(text, depth=1).verdict == BOUNDED


# like seed 121's `at(p0[y], a)`: `done(p0[y])` fails at `p0[y]`, and `holder(l) == p0[y]`
# too (it compared the holder with a value that stands for no instance of p0)
INSTANCE_IN_DONE = INSTANCE_OUTSIDE_ITS_DOMAIN.replace("at(p0[y], a)", "done(p0[y])")
INSTANCE_AS_HOLDER = (
    INSTANCE_OUTSIDE_ITS_DOMAIN.replace("at(p0[y], a)", "holder(L) == p0[y]").replace("= 2", "= 0")
    + "lock L\n"
)


@pytest.mark.parametrize(("text", "col"), [(INSTANCE_IN_DONE, 13), (INSTANCE_AS_HOLDER, 21)],
                         ids=["done", "holder"])  # fmt: skip
def test_instance_outside_its_domain_in_done_and_holder(text, col):
    assert {(k, loc) for k, _, loc in ref_violations(text)} == {("domain", (8, col))}
    for r in (*(explorer.check(text, backend=b) for b in ("tuple", "vector")), bmc(text, depth=3)):
        v = r.violation
        assert (v.kind, v.loc.line, v.loc.col) == ("domain", 8, col)


# The rule for a failed `if` condition (docs/language.md, "Processes"): k == 2, so m[k]
# fails. Written as a statement, x, which the branch may write, holds a failed value;
# written as an expression, x is assigned a failed value: either way the await reads it,
# a domain error at the condition. (The reference once went down both branches and found
# the statement disabled; the expression's `(if m[k] then 1 else 0) == 2` was folded to
# false by the back ends, dropping the error.)
FAILED_IF = """
var m : [0..1] -> bool = [i in 0..1 |-> true]
var k : 0..2 = 2
var x : 0..2 = 0
process p {
a:
  STMT
  await x == 2
}
"""
FAILED_IF_CASES = [
    pytest.param("if m[k] then x := 1", ("domain", (7, 6), 1), id="statement"),
    pytest.param("x := if m[k] then 1 else 0", ("domain", (7, 11), 1), id="expression"),
]  # fmt: skip


@pytest.mark.parametrize(("stmt", "want"), FAILED_IF_CASES)
def test_a_failed_if_condition(stmt, want):
    text = FAILED_IF.replace("STMT", stmt)
    ex = reference.explore(reference.Reference(text))
    assert {(k, loc and (loc.line, loc.col)) for k, _, loc in ex.violations} == {want[:2]}
    for backend in ("tuple", "vector"):
        v = explorer.check(text, backend=backend).violation
        assert (v.kind, v.loc and (v.loc.line, v.loc.col), v.length) == want


# seed 100853 (slow run, shrunk by hand): `[m except [k] = e]` at a k outside m's
# domain is a domain error, as it is statically for a constant k ("index 3 is outside
# the map's domain 1..2") and as `m[k] := e` is. The back ends leave m unchanged.
EXCEPT_OUTSIDE_ITS_DOMAIN = """
var m : [1..2] -> 0..1 = [i in 1..2 |-> 0]
var k : 1..3 = 3
terminal true
invariant I: [m except [k] = 1] == m
"""


@pytest.mark.parametrize("backend", ["tuple", "vector", "bmc"])
def test_except_outside_its_domain(backend):
    assert ref_violations(EXCEPT_OUTSIDE_ITS_DOMAIN) == {("domain", "I", (5, 25))}
    text = EXCEPT_OUTSIDE_ITS_DOMAIN
    r = bmc(text, depth=1) if backend == "bmc" else explorer.check(text, backend=backend)
    v = r.violation
    assert v is not None and (v.kind, v.loc.line, v.loc.col, v.length) == ("domain", 5, 25, 0)
    assert prove(text).status != PROVED


# A map literal has no variable to read, so its domain was never checked: indexed outside
# it, the back ends gave some value (here true) and held (docs/guarantees.md: HOLDS means
# no map is applied outside its domain). More in test_map_value_domain.py.
MAP_VALUE_OUTSIDE_ITS_DOMAIN = """
var x : 0..3 = 3
terminal true
invariant I: let m = [q in 0..1 |-> true] in m[x]
"""


@pytest.mark.parametrize("backend", ["tuple", "vector", "bmc"])
def test_a_map_value_outside_its_domain(backend):
    text = MAP_VALUE_OUTSIDE_ITS_DOMAIN
    assert ref_violations(text) == {("domain", "I", (4, 46))}
    r = bmc(text, depth=1) if backend == "bmc" else explorer.check(text, backend=backend)
    v = r.violation
    assert v is not None and (v.kind, v.loc.line, v.loc.col, v.length) == ("domain", 4, 46, 0)
    assert prove(text).status != PROVED


# Found checking the reference's documented evaluation order (docs/language.md, "Errors
# and evaluation order"): k == 3, so m[k] fails, and it is evaluated first in each of
# these (an `or` evaluates its left operand, an `if` its condition, `terminal`s are
# or-ed in order). The lowering folded `e or true` to true and `if c then a else a` to
# a, dropping the error (spec/ir.py says an error in what is evaluated happens); a fold
# now drops only what cannot fail (fold.may_fail).
FOLDED = "var m : [1..2] -> 0..1 = [i in 1..2 |-> 0]\nvar k : 1..3 = 3\n"
FOLDED_CASES = [
    (FOLDED + "terminal true\ninvariant I: m[k] == 0 or true\n", ("domain", "I", (4, 14))),
    (FOLDED + "terminal true\ninvariant I: (if m[k] == 0 then 1 else 1) == 1\n",
     ("domain", "I", (4, 18))),
    (FOLDED + "terminal m[k] == 0\nterminal true\n", ("domain", None, (3, 10))),
]  # fmt: skip


@pytest.mark.parametrize(("text", "want"), FOLDED_CASES, ids=["or-true", "if-same", "terminals"])
def test_an_error_in_what_is_evaluated_first_is_not_folded_away(text, want):
    assert ref_violations(text) == {want}
    v = explorer.check(text).violation
    assert v is not None and (v.kind, v.name, (v.loc.line, v.loc.col), v.length) == (*want, 0)


# slow seeds 102162, 102049, 101382 (shrunk by hand): map values are lazy, as TLC's
# function values (docs/language.md, "Errors and evaluation order"): an except's value
# is evaluated where the element is used, and storing m uses every element but m[k] is
# overwritten by the later update, so never evaluated. The reference once evaluated it
# where the except stands, a domain error.
EXCEPT_VALUE_OVERWRITTEN = """
var m : [1..2] -> 0..3 = [i in 1..2 |-> 0]
var k : 1..3 = 3
action a
  m' = [m except [1] = m[k], [1] = 1]
"""


@pytest.mark.parametrize("backend", ["tuple", "vector"])
def test_an_overwritten_except_value_is_not_evaluated(backend):
    ex = reference.explore(reference.Reference(EXCEPT_VALUE_OVERWRITTEN))
    assert (ex.verdict, ex.violations) == (HOLDS, set())
    r = explorer.check(EXCEPT_VALUE_OVERWRITTEN, backend=backend)
    assert (r.verdict, r.violation) == (HOLDS, None)


# slow seed 104898 (shrunk): the initial state x0 == 0 is a deadlock (length 0); from
# x0 == -1 the guard reads x1 at 3, a domain error of length 1. A shortest violation is
# the deadlock (docs/guarantees.md: no violation of any kind in fewer steps); the back
# ends reported the step error found while expanding the first initial state. The
# variants: the deadlock first in the level (it stays), and the same one level deeper.
DEADLOCK_AFTER_STEP_ERROR = """
var x0 : -1..0 in -1..0
var x1 : [1..2] -> record { f: 0..2, g: bool } = [q0 in 1..2 |-> { f: 1, g: false }]
action act0
  when x1[(x0) % 3 + 1].g
"""
DEADLOCK_BEFORE_STEP_ERROR = DEADLOCK_AFTER_STEP_ERROR.replace("(x0) % 3 + 1", "x0 * 2 + 3")
DEADLOCK_AFTER_STEP_ERROR_DEEPER = """
var x0 : -1..0 in -1..0
var y : 0..1 = 0
var x1 : [1..2] -> bool = [q0 in 1..2 |-> false]
action start
  when y == 0
  y' = 1
action act0
  when y == 1 and x1[(x0) % 3 + 1]
"""
STEP_ERROR_OR_DEADLOCK = [
    (DEADLOCK_AFTER_STEP_ERROR, 0),
    (DEADLOCK_BEFORE_STEP_ERROR, 0),
    (DEADLOCK_AFTER_STEP_ERROR_DEEPER, 1),
]


@pytest.mark.parametrize(
    ("text", "length"), STEP_ERROR_OR_DEADLOCK, ids=["after", "before", "deeper"]
)
@pytest.mark.parametrize(("backend", "workers", "chunk"),
                         [("tuple", 1, None), ("vector", 1, None), ("vector", 1, 1), ("vector", 2, 1)])  # fmt: skip
def test_a_deadlock_is_shorter_than_a_step_error_of_the_same_level(
    text, length, backend, workers, chunk, monkeypatch
):
    if chunk is not None:  # the error and the deadlock in different chunks
        monkeypatch.setattr(vector, "CHUNK", chunk)
    ex = reference.explore(reference.Reference(text))
    assert (ex.shortest, ("deadlock", None, None) in ex.violations) == (length, True)
    v = explorer.check(text, backend=backend, workers=workers).violation
    assert (v.kind, v.length) == ("deadlock", length)


# seed 105075 (shrunk): an `unlock` by a process that is not the holder is misuse, but
# it leaves the lock held, so the `lock` after it waits for q and the step is disabled:
# it fails nowhere (docs/language.md). The lowering released the lock on the failing
# path too, and the back ends reported the unlock as a lock error of length 2.
FAILED_UNLOCK_THEN_LOCK = """
lock L
process q {
q0:
  lock L
q1:
  goto q1
}
process p {
p0:
  await locked(L)
  unlock L
  lock L
}
"""


@pytest.mark.parametrize("backend", ["tuple", "vector"])
def test_a_failed_unlock_leaves_the_lock_held(backend):
    assert reference.explore(reference.Reference(FAILED_UNLOCK_THEN_LOCK)).verdict == HOLDS
    assert explorer.check(FAILED_UNLOCK_THEN_LOCK, backend=backend).verdict == HOLDS


# Found by the lazy-values rule (docs/language.md, "Map, record and set values are
# lazy"): `==` on maps and records stops at the first pair of elements that differ, as
# the back ends' conjunction does, so a failing element after it is never evaluated;
# one before it is an error.
LAZY_EQUALITY = """
var x : 0..1 = 0
var m : [0..1] -> 0..3 = [i in 0..1 |-> 3]
var r : record { a: 0..3, b: 0..3 } = { a: 3, b: 0 }
terminal true
invariant I: EXPR
"""
LAZY_EQUALITY_CASES = [
    ("[q in 0..1 |-> 1 / (q - 1 + x)] != m", None),
    ("{ a: 1, b: 1 / x } != r", None),
    ("[q in 0..1 |-> 1 / (q + x)] != m", ("div", "I", (6, 29))),
    ("{ a: 1 / x, b: 1 } != r", ("div", "I", (6, 19))),
]


@pytest.mark.parametrize(("expr", "want"), LAZY_EQUALITY_CASES,
                         ids=["map-differs-first", "record-differs-first", "map-fails-first",
                              "record-fails-first"])  # fmt: skip
def test_equality_stops_at_the_first_difference(expr, want):
    text = LAZY_EQUALITY.replace("EXPR", expr)
    assert ref_violations(text) == ({want} if want else set())
    for backend in ("tuple", "vector"):
        v = explorer.check(text, backend=backend).violation
        got = v and (v.kind, v.name, (v.loc.line, v.loc.col))
        assert got == want, backend


# found beside the sequences' `x in s` fix: `x in {}` and `x notin {}` folded to a
# constant without evaluating x, so a failing x was no error on the back ends, while the
# reference (docs/language.md: `x in S` evaluates x first) reports it
MEMBERSHIP_EVALUATES_X = """
var k : 0..1 = 0
terminal true
invariant I: EXPR
"""


@pytest.mark.parametrize("expr", ["(1 / k) notin {}", "(1 / k) in {}", "(1 / k) in {} minus {1}"])
def test_membership_evaluates_the_element_where_the_set_is_empty(expr):
    text = MEMBERSHIP_EVALUATES_X.replace("EXPR", expr)
    want = ("div", "I", (4, 15))
    assert ref_violations(text) == {want}
    for backend in ("tuple", "vector"):
        v = explorer.check(text, backend=backend).violation
        assert v is not None and (v.kind, v.name, (v.loc.line, v.loc.col)) == want, backend
    assert bmc(text, depth=0).verdict == VIOLATED


# seed 200062: a `with` over a range bounded by a parameter (`0..self`, an outer
# `with`'s value) made a hidden parameter of a non-constant domain, and every back end
# but the reference failed to build the model ("not a constant"). It runs over the
# bounds' hull, each value tested for membership.
WITH_OVER_A_PARAMETER = """
var x : 0..3 = 0
var y : 0..3 = 0
process p[self in 1..2] {
a:
  with i in 0..self { with j in i..self { x := i; y := j } }
}
invariant I: x <= y
"""


@pytest.mark.parametrize("backend", ["tuple", "vector"])
def test_with_over_a_range_bounded_by_a_parameter(backend):
    ref = reference.explore(reference.Reference(WITH_OVER_A_PARAMETER))
    got = explorer.check(WITH_OVER_A_PARAMETER, backend=backend, deadlock=False)
    assert (ref.verdict, ref.distinct) == (HOLDS, 16)  # 1 + 3 + 6 + 6 (pcs, x, y)
    assert (got.verdict, got.stats.distinct) == (ref.verdict, ref.distinct)
    assert prove(WITH_OVER_A_PARAMETER).status == PROVED


# A def read by a step's write and by another branch's await (slow seed 101256): reading
# the variable in the second branch reached the first branch's write, elaborated lazily
# while the await's def was being inlined, and the lowering called the def recursive.
DEF_IN_A_WRITE_AND_AN_AWAIT = """
var x : [0..1] -> bool = [i in 0..1 |-> false]
var k : 0..1 = 0
def flag = x[k]
process p {
a:
  either { x := [j in 0..1 |-> not flag]; k := 1 } or { await not flag; x[1] := true }
b:
  skip
}
invariant I: not (x[0] and x[1])
"""


@pytest.mark.parametrize("backend", ["tuple", "vector"])
def test_a_def_read_in_a_write_and_in_another_branch(backend):
    ref = reference.explore(reference.Reference(DEF_IN_A_WRITE_AND_AN_AWAIT))
    got = explorer.check(DEF_IN_A_WRITE_AND_AN_AWAIT, backend=backend, deadlock=False)
    assert (ref.verdict, ref.shortest) == (VIOLATED, 1)  # branch 1 makes both true
    assert (got.verdict, got.violation.name, got.violation.length) == (VIOLATED, "I", 1)
    assert got.trace[-1].values["x"] == {0: True, 1: True}
    holds = DEF_IN_A_WRITE_AND_AN_AWAIT.replace("invariant I: not (x[0] and x[1])", "")
    ref = reference.explore(reference.Reference(holds))
    got = explorer.check(holds, backend=backend, deadlock=False)
    assert (got.verdict, got.stats.distinct) == (ref.verdict, ref.distinct) == (HOLDS, 5)
