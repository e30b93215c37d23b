"""`holder(l)` compared with processes, anywhere: parsing, lowering to comparisons of the
lock's slot with holder numbers, symmetry, and its use by the explorer and the prover."""

from __future__ import annotations

import pytest

from mmcheck import explorer, invariants, spec
from mmcheck.spec import ast
from mmcheck.spec.errors import SpecErrors
from mmcheck.spec.ir_print import expr
from mmcheck.spec.parser import parse

# reclaim is holder 1, fault[1] and fault[2] are 2 and 3
SPEC = """
type Pte = 1..2
lock ptl : [Pte]
var x : 0..1 = 0
process reclaim {
take:
  spin_lock(ptl[1])
  x := 1
drop:
  x := 0
  spin_unlock(ptl[1])
}
process fault[self in 1..2] {
f1:
  spin_lock(ptl[2])
  assert holder(ptl[2]) == self and holder(ptl[2]) == fault[self]
f2:
  spin_unlock(ptl[2])
}
invariant R: locked(ptl[1]) => holder(ptl[1]) == reclaim
invariant X: x == 1 <=> holder(ptl[1]) == reclaim
invariant F: forall i in 1..2: holder(ptl[2]) == fault[i] <=> at(fault[i], f2)
invariant S: not locked(ptl[2]) or holder(ptl[2]) == fault
invariant N: holder(ptl[2]) != reclaim
invariant D: locked(ptl[1]) or locked(ptl[2]) => holder(ptl[1]) != holder(ptl[2])
"""


def inv(p, name: str) -> str:
    return expr(next(i for i in p.invariants if i.name == name).expr)


def test_holder_parses_as_a_call():
    (d,) = parse("invariant I: holder(ptl[1]) == reclaim\n", "t.mms").decls
    assert isinstance(d.expr, ast.BinOp) and d.expr.op == "=="
    assert isinstance(d.expr.left, ast.Call) and d.expr.left.name == "holder"


def test_holder_lowers_to_holder_numbers():
    p = spec.load(SPEC)
    assert [expr(pr.first_holder) for pr in p.processes] == ["1", "2"]
    assert inv(p, "R") == "ptl[1] != 0 => ptl[1] == 1"
    assert inv(p, "F") == "forall i in 1..2: ptl[2] == i + 1 <=> fault.pc[i] == 1"
    assert inv(p, "S") == "ptl[2] == 0 or 2 <= ptl[2] and ptl[2] <= 3"
    assert inv(p, "N") == "ptl[2] != 1"
    assert inv(p, "D") == "ptl[1] != 0 or ptl[2] != 0 => ptl[1] != ptl[2]"
    f1 = next(a for a in p.actions if a.name == "fault.f1")
    # after the lock, the holder is known to be this instance: the assert folds away
    assert [c.kind for c in f1.checks] == ["lock"]


def test_holder_invariants_hold_and_a_wrong_one_fails():
    r = explorer.check(SPEC)
    assert (r.verdict, r.stats.distinct) == ("holds", 24)  # 3 reclaim pcs x 8 fault pairs
    r = explorer.check(SPEC + "invariant W: holder(ptl[2]) != fault[2]\n")
    assert (r.verdict, r.violation.name, r.violation.length) == ("violated", "W", 1)


def test_holder_outside_its_meaning_is_a_type_error():
    bad = {
        "holder(ptl[1]) == 1": "a lock's holder is compared with a process, not int",
        "holder(x) == reclaim": "expected a lock, got 0..1",
        "ptl[1] == reclaim": "type mismatch: lock and process reclaim (compare holder(l)",
        "holder(ptl[1]) == self": "'self' is only defined inside a process set",
    }
    for text, message in bad.items():
        with pytest.raises(SpecErrors) as e:
            spec.load(SPEC + f"invariant B: {text}\n")
        assert message in str(e.value), text


SYMMETRIC = """
type C = symmetric 1..3
lock l
process cpu[self in C] {
a:
  lock l
  assert holder(l) == self
b:
  unlock l
}
invariant H: forall i in C: holder(l) == cpu[i] <=> at(cpu[i], b)
"""


def test_holder_of_a_symmetric_set():
    # all at a; one holds l (at b); then each of those with one, two, three at Done
    assert explorer.check(SYMMETRIC).stats.distinct == 7
    assert explorer.check(SYMMETRIC, symmetry=False).stats.distinct == 20
    assert explorer.check(SYMMETRIC).verdict == "holds"
    with pytest.raises(SpecErrors, match="a constant index breaks symmetry"):
        spec.load(SYMMETRIC + "invariant K: holder(l) != cpu[1]\n")


MUTEX = """
const N : 1..4 = 2
lock l
var x : 0..1 = 0
process cpu[self in 1..N] {
acquire:
  spin_lock(l)
enter:
  x := 1
leave:
  x := 0
release:
  spin_unlock(l)
}
def in_cs(i) = at(cpu[i], enter) or at(cpu[i], leave) or at(cpu[i], release)
invariant Mutex: forall i in 1..N, j in 1..N: i != j => not (in_cs(i) and in_cs(j))
invariant Holder: forall i in 1..N: holder(l) == cpu[i] <=> in_cs(i)
"""


def test_a_holder_lemma_makes_mutual_exclusion_inductive():
    alone = invariants.prove(MUTEX, invariants=["Mutex"])
    assert alone.status == "CTI"
    assert {q.action for q in alone.queries if q.status == "CTI"} == {
        "cpu.acquire",
        "cpu.release",
    }
    with_lemma = invariants.prove(MUTEX, invariants=["Mutex"], lemmas=["Holder"])
    assert with_lemma.status == "proved" and len(with_lemma.queries) == 15
    assert explorer.check(MUTEX).stats.distinct == 16
    # for every N in 1..4 at once: the holder's number is symbolic there
    symbolic = invariants.prove(MUTEX, {"N": "?"}, invariants=["Mutex"], lemmas=["Holder"])
    assert symbolic.status == "proved" and symbolic.fallback is None


def test_prove_command_with_a_holder_lemma(run_cli):
    rc, out, _ = run_cli(MUTEX, "--inv", "Mutex", "--lemma", "Holder", verb="prove")
    assert rc == 0
    assert "PROVED: 15 queries: 15 proved" in out


# two process sets of symbolic sizes: b's holder numbers follow a's, A + 1 to A + B
TWO_SETS = """
const A : 1..8 = 2
const B : 1..8 = 2
lock l
var n : 0..1 = 0
process a[self in 1..A] {
get:
  lock l
inc:
  n := 1
dec:
  n := 0
rel:
  unlock l
}
process b[self in 1..B] {
get:
  lock l
chk:
  assert holder(l) == self
rel:
  unlock l
}
invariant Who: forall i in 1..B: at(b[i], chk) => holder(l) == b[i]
invariant Disjoint: not (locked(l) and holder(l) == a and holder(l) == b)
lemma AHolds: forall i in 1..A: (at(a[i], inc) or at(a[i], dec) or at(a[i], rel)) => holder(l) == a[i]
lemma BHolds: forall i in 1..B: (at(b[i], chk) or at(b[i], rel)) => holder(l) == b[i]
lemma N: n == (if exists i in 1..A: at(a[i], dec) then 1 else 0)
lemma Held: locked(l) <=> ((exists i in 1..A: at(a[i], inc) or at(a[i], dec) or at(a[i], rel)) or (exists i in 1..B: at(b[i], chk) or at(b[i], rel)))
"""


def test_process_sets_of_symbolic_sizes_follow_each_other():
    p = spec.load(TWO_SETS, consts={"A": "?", "B": "?"}, symbolic=True)
    assert [expr(pr.first_holder) for pr in p.processes] == ["1", "1 + A"]
    assert inv(p, "Disjoint") == (
        "not (l != 0 and (1 <= l and l <= 1 + (A - 1)) and (1 + A <= l and l <= 1 + A + (B - 1)))"
    )
    symbolic = invariants.prove(TWO_SETS, {"A": "?", "B": "?"})
    assert symbolic.status == "proved" and symbolic.fallback is None
    # 6 goals x (init + 7 steps), and the 8 queries of runtime errors
    assert len(symbolic.queries) == 56
    # the lemmas hold where the explorer can look, and one less leaves a real CTI
    r = explorer.check(TWO_SETS, {"A": 3, "B": 2}, lemmas=True)
    assert (r.verdict, r.stats.distinct) == ("holds", 240)
    no_held = "\n".join(ln for ln in TWO_SETS.splitlines() if not ln.startswith("lemma Held"))
    without = invariants.prove(no_held, {"A": "?", "B": "?"})
    assert without.status == "CTI"
    assert {q.action for q in without.queries if q.status == "CTI"} == {"a.get", "b.get"}
    # a wrong invariant is not proved at symbolic sizes: b's holders are not a's
    wrong = TWO_SETS + "invariant W: forall i in 1..B: at(b[i], chk) => holder(l) == a\n"
    assert explorer.check(wrong).verdict == "violated"
    assert invariants.prove(wrong, {"A": "?", "B": "?"}, invariants=["W"]).status == "CTI"
