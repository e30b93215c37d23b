"""Inductive proofs on the refcount specs: proved, CTIs with their actions, a true but
not inductive invariant made provable by lemmas, symbolic sizes, unknown and timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
import z3

from mmcheck import spec
from mmcheck.explorer.core.result import VIOLATED
from mmcheck.explorer.tuple.translate import compile_expr, compile_model
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.cti import check_cti
from mmcheck.invariants.encode import Encoder
from mmcheck.invariants.prove import CTI, INIT, NO_ERROR, PROVED, TIMEOUT
from mmcheck.spec.errors import UsageError

SPECS = Path(__file__).parents[1] / "specs"
REFCOUNT = str(SPECS / "refcount.mms")
NONLINEAR = str(SPECS / "refcount_nonlinear.mms")
MODELS = Path(__file__).parents[2] / "spec" / "models"
ACTIONS = (
    "fault",
    "zap",
    "zap_migration",
    "try_to_unmap",
    "gup",
    "unpin",
    "freeze",
    "unfreeze",
    "remove_migration_pte",
)


def failing(result):
    return {(q.invariant, q.action) for q in result.queries if q.status != PROVED}


def assert_real_cti(q):
    """The CTI is what it claims: the pre-state satisfies the goal, the Python
    translation takes the action with those parameters to the post-state, which
    violates it (or the step raises the error)."""
    program, v = q.program, q.cti
    model = compile_model(program)
    pre = v.trace[0].state
    group = next(g for g in model.groups if g.action.name == q.action)
    values = dict(v.failed.params if v.failed else v.trace[1].params)
    offset = 0
    for p, lo, size in zip(group.action.params, group.los, group.sizes):
        offset = offset * size + values[p.name] - lo
    if v.failed is not None:
        with pytest.raises(Exception) as info:
            model.step(group.base + offset, pre)
        assert getattr(info.value, "kind", None) == v.kind
        return
    assert model.step(group.base + offset, pre) == v.trace[1].state
    inv = next(i for i in program.invariants if i.name == q.invariant)
    holds = compile_expr(program, inv.expr)
    assert holds(pre) and not holds(v.trace[1].state)


def test_refcount_accounting_is_inductive():
    r = prove(REFCOUNT)
    assert r.goals == ("Balanced", "Mapcount", "FrozenAlone", "MappedHasRef")
    assert len(r.queries) == 5 * (1 + len(ACTIONS))
    assert r.status == PROVED and r.exit_code == 0


def test_true_but_not_inductive_invariant_has_unreachable_ctis():
    r = prove(REFCOUNT, invariants=["MappedHasRef"])
    assert r.exit_code == 1
    assert failing(r) == {
        ("MappedHasRef", "zap"),
        ("MappedHasRef", "try_to_unmap"),
        ("MappedHasRef", "unpin"),
        ("MappedHasRef", "freeze"),
        (NO_ERROR, "fault"),
        (NO_ERROR, "zap"),
        (NO_ERROR, "try_to_unmap"),
        (NO_ERROR, "gup"),
        (NO_ERROR, "unpin"),
        (NO_ERROR, "remove_migration_pte"),
    }
    for q in r.queries:
        if q.status == CTI:
            assert len(q.cti.trace) == (1 if q.invariant == NO_ERROR else 2)
            assert_real_cti(q)
    zap = next(q for q in r.queries if (q.invariant, q.action) == ("MappedHasRef", "zap"))
    reach = check_cti(zap.program, zap.cti)
    assert reach.verdict == "unreachable"
    assert "62 distinct states" in reach.text


def test_lemmas_make_it_provable():
    r = prove(REFCOUNT, invariants=["MappedHasRef"], lemmas=["Balanced", "FrozenAlone"])
    assert r.goals == ("MappedHasRef", "Balanced", "FrozenAlone")
    # the invariants are proved; the range of mapcount still needs the Mapcount lemma
    assert {a for i, a in failing(r)} <= {"fault", "zap", "try_to_unmap", "remove_migration_pte"}
    assert all(i == NO_ERROR for i, _ in failing(r))
    r = prove(REFCOUNT, invariants=["MappedHasRef"], lemmas=["Balanced", "FrozenAlone", "Mapcount"])
    assert r.status == PROVED


def test_a_real_bug_gives_a_reachable_cti():
    r = prove(
        REFCOUNT,
        {"UNLESS_ZERO": "false"},
        invariants=["Balanced"],
        lemmas=["FrozenAlone", "Mapcount"],
    )
    assert ("Balanced", "fault") in failing(r)
    q = next(q for q in r.queries if (q.invariant, q.action) == ("Balanced", "fault"))
    assert_real_cti(q)
    assert check_cti(q.program, q.cti).verdict == "reachable"


@pytest.mark.parametrize("ptes", ["64", "?"])
def test_refcount_for_64_ptes_and_a_symbolic_number(ptes):
    r = prove(REFCOUNT, {"PTES": ptes}, timeout=60)
    assert r.status == PROVED, [(q.invariant, q.action, q.status, q.reason) for q in r.queries]
    assert r.fallback is None


def test_symbolic_cti_is_shown_at_the_sizes_of_the_model():
    r = prove(REFCOUNT, {"PTES": "?"}, invariants=["MappedHasRef"])
    q = next(q for q in r.queries if (q.invariant, q.action) == ("MappedHasRef", "zap"))
    ptes = q.program.const_value("PTES")
    assert 1 <= ptes <= 100
    assert len(q.cti.trace[0].state) == ptes + 4
    assert_real_cti(q)


def test_initiation_cti_is_an_initial_state():
    text = """
    var x : 0..3 = 2
    action inc
      when x < 3
      x' = x + 1
    invariant Small: x < 2
    """
    r = prove(text)
    assert failing(r) == {("Small", INIT), ("Small", "inc")}
    q = next(q for q in r.queries if q.action == INIT)
    assert [s.state for s in q.cti.trace] == [(2,)]
    assert check_cti(q.program, q.cti).verdict == "reachable"


def test_timeout_is_reported_never_proved_and_falls_back():
    r = prove(NONLINEAR, {"NR": "?", "MAPS": "?"}, invariants=["Sqrt2"], timeout=1)
    statuses = {(q.invariant, q.action): q.status for q in r.queries}
    assert statuses[("Sqrt2", "map")] == TIMEOUT
    assert statuses[("Sqrt2", "unmap")] == TIMEOUT
    assert r.exit_code == 3
    assert r.fallback is not None and "the spec's defaults" in r.fallback_reason
    assert r.fallback.consts == (("MAPS", 2), ("NR", 4))
    assert r.fallback.status == PROVED


def test_explicit_fallback_size_and_easy_proof_with_the_lemma():
    r = prove(NONLINEAR, {"NR": "?", "MAPS": "?"}, invariants=["Sqrt2"], timeout=1, fallback=3)
    assert r.fallback.consts == (("MAPS", 3), ("NR", 3))
    r = prove(
        NONLINEAR, {"NR": "?", "MAPS": "?"}, invariants=["Sqrt2"], lemmas=["Product"], timeout=20
    )
    assert r.status == PROVED


def test_unknown_invariant_name_is_a_usage_error():
    with pytest.raises(UsageError, match="no lemma named Nope"):
        prove(REFCOUNT, lemmas=["Nope"])


def test_cli_prove_table_and_exit_codes(capsys):
    from mmcheck.cli import main

    assert main(["prove", REFCOUNT, "--inv", "MappedHasRef", "--check-cti"]) == 1
    out = capsys.readouterr().out
    assert "MappedHasRef        zap                   CTI" in out
    assert "counterexample to induction: MappedHasRef by zap" in out
    assert "State 0: pre-state" in out
    assert "not reachable: the complete state space (62 distinct states)" in out
    assert "NOT PROVED: 20 queries: 10 proved, 10 CTI" in out
    assert main(["prove", REFCOUNT, "-D", "PTES=?"]) == 0
    assert "PROVED: 50 queries: 50 proved" in capsys.readouterr().out


def test_symbolic_program_keeps_its_constants_symbolic():
    p = spec.load(REFCOUNT, {"PTES": "?"}, symbolic=True)
    assert not p.is_concrete


def test_frame_lemmas_of_a_count_with_a_written_index_outside_its_range():
    # a[3] is written; card(s) sums over -1..1: its summand at 3 used to be looked up
    # in the summands at -1, 0, 1 (an IndexError, differential seed 84)
    text = """
var s : set of -1..1 = {-1}
var a : [1..3] -> 0..1 = [i in 1..3 |-> 0]
action w
  a[3]' = 1
  s' = s union {0}
invariant I: card(s) <= 3
"""
    assert prove(text).status == PROVED


def test_a_symbolic_forall_goal_is_refuted_at_a_witness_the_counts_are_bounded_at():
    # Zapping one swap pte leaves the others resolvable only because the count was at
    # least 2: the post-state's count is at least its summand at the pte the negated
    # goal picks. As a negated z3 quantifier, z3 never related that pte to the count
    # (a timeout); as a witness constant, the frame lemmas bound the count there.
    text = """
const PTES : 1..64 = 2
var swapped : [1..PTES] -> bool = [i in 1..PTES |-> true]
var swap_count : 0..PTES = PTES
var cached : bool = true
action zap(i: 1..PTES)
  when swapped[i]
  swapped[i]' = false
  swap_count' = swap_count - 1
  cached' = cached and swap_count > 1
invariant Counted: swap_count == (count i in 1..PTES: swapped[i])
invariant Resolves: forall i in 1..PTES: swapped[i] => swap_count > 0 and cached
"""
    r = prove(text, {"PTES": "?"}, timeout=60)
    assert r.status == PROVED
    assert r.fallback is None
    # a real counterexample is still found at a symbolic size, with its witness
    broken = text.replace("cached and swap_count > 1", "cached and swap_count > 2")
    r = prove(broken, {"PTES": "?"}, timeout=60)
    assert failing(r) == {("Resolves", "zap")}
    (q,) = [q for q in r.queries if q.status == CTI]
    assert_real_cti(q)


LEMMAS = str(SPECS / "lemma_refcount.mms")


def test_the_specs_lemmas_are_assumed_and_proved_with_no_flag(capsys):
    from mmcheck.cli import main

    r = prove(LEMMAS, {"PTES": "?"})
    assert r.status == PROVED
    assert r.goals == ("MappedHasRef", "Balanced", "Mapcount")
    assert r.lemmas == ("Balanced", "Mapcount")
    # before the fix the lemma is not inductive: the fault breaks it
    assert ("Balanced", "fault") in failing(prove(LEMMAS, {"FIXED": False}))
    assert main(["prove", LEMMAS, "--inv", "MappedHasRef", "--lemma", "MappedHasRef"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(
        ": MappedHasRef, Balanced, Mapcount (lemmas: Balanced, Mapcount, MappedHasRef)"
    )


# A count inside a forall over a symbolic range reads the forall's variable. Its
# recursive definition took that variable as a free constant, one value for the whole
# forall: the true Counts was refuted at Init, and, assumed in the pre-state, made
# Never "proved" after a step that breaks it.
COUNT_UNDER_A_SYMBOLIC_FORALL = """
const N : 2..4 = 2
var x : 0..1 = 0
action a
  when true
  x' = 1
invariant Counts: forall i in 1..N: (count j in 1..N: j <= i) == i
invariant Never: x == 0
"""


def test_a_count_under_a_symbolic_forall_follows_its_variable():
    r = prove(COUNT_UNDER_A_SYMBOLIC_FORALL, {"N": "?"}, timeout=5)
    got = {(q.invariant, q.action): q.status for q in r.queries}
    assert got[("Counts", "Init")] == PROVED
    assert got[("Never", "a")] != PROVED
    assert r.status != PROVED


def test_a_count_through_a_definition_is_one_count_whatever_its_argument_is_written_as():
    # pins(p) with p bound by a forall to 1 and pins(1) are one count: as two constants
    # (their IR differs), z3 had to prove them equal by induction and timed out
    text = """
const N : 1..64 = 2
var pin : [1..N] -> 0..2 = [i in 1..N |-> 0]
var refs : [1..2] -> 0..65 = [p in 1..2 |-> 0]
var frozen : bool = false
def pins(p) = count g in 1..N: pin[g] == p
action take(g: 1..N, p: 1..2)
  when pin[g] == 0 and not frozen
  pin[g]' = p
  refs[p]' = refs[p] + 1
action freeze
  when refs[1] == 0
  frozen' = true
invariant Accounted: forall p in 1..2: refs[p] == pins(p)
invariant FrozenAlone: frozen => pins(1) == 0
"""
    r = prove(text, {"N": "?"}, timeout=10)
    assert r.status == PROVED
    assert r.fallback is None


def test_a_cti_speaks_values():
    """The steps of a counterexample to induction have .values, as a check's trace: the
    pre-state z3 chose and the state the step leads to, of the program the CTI is of."""
    import mmcheck

    r = mmcheck.prove(str(SPECS / "diehard.mms"))
    ctis = {q.action: q.cti for q in r.queries if q.cti is not None}
    assert set(ctis) == {"SmallToBig", "BigToSmall"}
    for cti in ctis.values():
        pre, post = (s.values for s in cti.trace)
        assert set(pre) == set(post) == {"small", "big"}
        assert post["big"] == 4  # NotFour: the step makes big 4
        assert all(isinstance(v, int) and not isinstance(v, bool) for v in pre.values())


def test_a_count_in_a_frame_lemmas_summand_follows_its_variable():
    # the frame lemmas quantify over the outer sum's range: the count in its summand must
    # be a function of that variable, not a constant defined at one free value of it
    text = (
        "const N : 1..8 = 3\nvar a : [1..N] -> 0..N = [i in 1..N |-> 1]\n"
        "action zero(k: 1..N)\n  when a[k] == 1\n  a[k]' = 0\n"
        "invariant S: (sum i in 1..N: count j in 1..N: a[j] == i) == N\n"
    )
    program = spec.load(text, {"N": "?"}, symbolic=True)
    enc = Encoder(program)
    pre = enc.new_state("pre")
    (action,) = program.actions
    step = enc.step(action, pre, enc.param_terms(action, "s"))
    enc.holds(program.invariants[0], pre)
    enc.holds(program.invariants[0], step.post)
    enc.frame_lemmas(pre, step.post)
    under_quantifier = [t for t in enc.sums if any("@" not in str(v) for v in t.env.values())]
    assert len(under_quantifier) == 8
    assert all(t.value.num_args() == 2 for t in under_quantifier)
    assert prove(text, {"N": "?"}).status == CTI


def answers(result):
    """Per query its verdict and its CTI's states (the seconds aside)."""
    return [(q.invariant, q.action, q.status, q.cti and q.cti.trace) for q in result.queries]


def test_a_proof_makes_no_term_in_z3s_main_context(monkeypatch):
    # each proof, bounded model check and CTI makes its terms in a context of its own
    # (Encoder.ctx): z3's search depends on the terms its context holds
    def main_ctx() -> z3.Context:
        raise AssertionError("a z3 term made in the main context")

    monkeypatch.setattr(z3.z3, "main_ctx", main_ctx)
    r = prove(REFCOUNT, {"PTES": "?"}, invariants=["MappedHasRef"])
    (q,) = [q for q in r.queries if (q.invariant, q.action) == ("MappedHasRef", "zap")]
    assert q.status == CTI
    assert_real_cti(q)  # its states read from z3's model
    b = bmc(REFCOUNT, {"UNLESS_ZERO": False}, depth=5)
    assert b.verdict == VIOLATED
    assert (b.violation.kind, b.violation.name, b.violation.length) == ("invariant", "Balanced", 5)


def test_a_proofs_answers_do_not_depend_on_the_proofs_run_before_it():
    # mlock_munlock before the fix has three CTIs; in z3's main context, run again in the
    # same process, or after another proof, those at putback_lru_page came from other
    # models (other pre-states)
    mlock, consts = MODELS / "mlock_munlock.mms", {"FIXED": False}
    first = answers(prove(mlock, consts))
    again = answers(prove(mlock, consts))
    prove(MODELS / "spinlock_fairness.mms", {"CPUS": "?"})
    after = answers(prove(mlock, consts))
    assert first == again == after
    ctis = [(goal, action) for goal, action, status, _ in first if status == CTI]
    assert len(first) == 210
    assert ctis == [
        ("NoLeak", "exit_mmap.zap_pte_range"),
        ("NoLeak", "reclaim.putback_lru_page"),
        ("NoMlockedFree", "reclaim.putback_lru_page"),
    ]
