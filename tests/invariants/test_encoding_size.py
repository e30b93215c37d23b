"""The prover's encoding of a step stays polynomial in the size of its IR.

The lowering shares subtrees, so the IR of a few sequence assignments in one step, each
reading the sequence the one before wrote through nested `if`s, is a DAG exponentially
larger as a tree. Encoded as a tree, a random spec's step (the differential tests' seed
164) grew for minutes until z3 ran out of memory: each error of a subexpression was
listed once per path to it, hundreds of copies of the same few. Now each node is
encoded once per step and each error site is listed once."""

from __future__ import annotations

from mmcheck import spec
from mmcheck.explorer import reference
from mmcheck.explorer.core.result import HOLDS, VIOLATED
from mmcheck.invariants import prove
from mmcheck.invariants.encode import Encoder
from mmcheck.invariants.prove import CTI, NO_ERROR, PROVED

CHAIN = """spec SeqChain
var x : 0..2 = 0
var qs : seq[3] of 0..2 = <<1>>
process w[self in 1..2] {
wl1:
  qs := (if x == 0 then TAIL else (if x == 1 then TAIL else (if len(qs) > 0 then tail(qs) else qs)))
  qs := (if x >= 1 then TAIL else (if len(qs) < 3 then append(qs, 2) else qs))
  qs := (if len(qs) < 3 then append(qs, 1) else qs)
  x := (x + 1) % 3
  goto wl1
}
invariant NonEmpty: len(qs) >= 1
"""
# guarded, the spec proves; unguarded, an empty sequence's tail is an error the
# reference reaches
SAFE = CHAIN.replace("TAIL", "(if len(qs) > 0 then tail(qs) else qs)")
UNSAFE = CHAIN.replace("TAIL", "tail(qs)")


def test_each_error_site_is_listed_once():
    program = spec.load(UNSAFE)
    enc = Encoder(program)
    (action,) = program.actions
    step = enc.step(action, enc.new_state("pre"), enc.param_terms(action, "1"))
    sites = {(e.kind, e.loc, e.message) for e in step.errors}
    assert len(step.errors) == len(sites) == 12  # was 609, the same 12 sites repeated


def test_chain_proves_as_the_reference_explores():
    p = prove(SAFE, invariants=["NonEmpty"], timeout=20)
    assert [(q.invariant, q.action, q.status) for q in p.queries] == [
        ("NonEmpty", "Init", PROVED),
        (NO_ERROR, "Init", PROVED),
        ("NonEmpty", "w.wl1", PROVED),
        (NO_ERROR, "w.wl1", PROVED),
    ]
    assert reference.explore(reference.Reference(SAFE)).verdict == HOLDS


def test_chain_error_is_a_cti_the_reference_reaches():
    p = prove(UNSAFE, invariants=["NonEmpty"], timeout=20)
    assert {(q.invariant, q.action) for q in p.queries if q.status == CTI} == {(NO_ERROR, "w.wl1")}
    ex = reference.explore(reference.Reference(UNSAFE))
    assert ex.verdict == VIOLATED
    # the second statement's tail, of the sequence the first emptied
    assert {(kind, loc.line, loc.col) for kind, _, loc in ex.violations} == {("domain", 7, 25)}


# found by the symbolic differential (specgen's sized seeds): prove ran for minutes
SUM_OVER_RECORDS = """spec SumOverRecords
type M = record { f: bool, g: 0..1 }
var ms : set of M = {{f: true, g: 1}}
var x : bool = false
action a
  x' = not x
invariant I: (sum m in ms: m.g) >= 0
"""


def test_comparing_sums_makes_no_sums_to_compare(monkeypatch):
    """frame_lemmas compares each count of the post-state with those of the pre-state;
    a comparison evaluates the summands, which hold counts (membership in a set of
    records), and those were kept too and compared in turn: the list grew while it was
    walked (thousands of comparisons for this spec). They are kept no longer."""
    kept: list[int] = []
    frame_lemmas = Encoder.frame_lemmas

    def counting(self: Encoder, *args: object) -> object:
        out = frame_lemmas(self, *args)
        kept.append(len(self.sums))
        return out

    monkeypatch.setattr(Encoder, "frame_lemmas", counting)
    p = prove(SUM_OVER_RECORDS)
    assert (p.status, len(p.queries)) == (PROVED, 4)
    assert kept == [12]  # those in the two states' formulas
