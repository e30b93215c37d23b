"""The tuple back end on the classic specs of tests/specs: verdicts, distinct-state
counts and shortest trace lengths pinned; exact and fingerprint modes agree; symmetry
reduces and keeps the verdict; simulation, coverage and initial states."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from mmcheck import explorer
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, VIOLATED
from mmcheck.spec.errors import UsageError

SPECS = str(Path(__file__).resolve().parents[2] / "specs")


def spec(name: str) -> str:
    return os.path.join(SPECS, name)


def test_peterson_holds_with_pinned_count():
    r = explorer.check(spec("peterson.mms"))
    assert r.verdict == HOLDS and r.violation is None
    assert (r.stats.distinct, r.stats.generated, r.stats.depth) == (26, 45, 7)
    assert r.stats.queue == 0 and r.exit_code == 0


def test_broken_mutex_shortest_trace():
    r = explorer.check(spec("broken_mutex.mms"))
    v = r.violation
    assert r.verdict == VIOLATED and v.kind == "invariant" and v.name == "MutualExclusion"
    assert v.length == 4 and v.failed is None
    assert [s.instance for s in v.trace] == [None, "p[1]", "p[2]", "p[1]", "p[2]"]
    prog = explorer.load(spec("broken_mutex.mms"))
    pcs = [v.trace[-1].state[slot] for _, _, slot in prog.process_instances()]
    assert [prog.processes[0].labels[pc] for pc in pcs] == ["critical", "critical"]
    assert v.trace[-1].label == "set_flag" and v.loc.line == 21


def test_diehard_solution_is_six_steps():
    r = explorer.check(spec("diehard.mms"))
    v = r.violation
    assert r.verdict == VIOLATED and v.name == "NotFour" and v.length == 6
    assert v.trace[0].state == (0, 0) and v.trace[-1].state[1] == 4
    # the trace is real: every step is the named action applied to the previous state
    actions = [s.action for s in v.trace[1:]]
    assert actions == ["FillBig", "BigToSmall", "EmptySmall", "BigToSmall", "FillBig", "BigToSmall"]


def test_philosophers_deadlock():
    r = explorer.check(spec("philosophers.mms"))
    v = r.violation
    assert r.verdict == VIOLATED and v.kind == "deadlock" and v.length == 3
    assert {s.label for s in v.trace[1:]} == {"take_left"}
    assert explorer.check(spec("philosophers.mms"), deadlock=False).verdict == HOLDS


@pytest.mark.parametrize(
    "bug, line, col, length, words",
    [
        (1, 12, 20, 1, "not held"),
        (2, 14, 20, 2, "re-acquired by its holder"),
        (3, 23, 5, 2, "held by another"),
    ],
)
def test_lock_misuse(bug, line, col, length, words):
    r = explorer.check(spec("lock_misuse.mms"), {"BUG": bug})
    v = r.violation
    assert r.verdict == VIOLATED and v.kind == "lock"
    assert (v.loc.line, v.loc.col) == (line, col) and words in v.message
    assert v.length == length and v.failed is not None
    assert v.failed.process in ("owner", "thief")


def test_lock_misuse_fixed_holds():
    r = explorer.check(spec("lock_misuse.mms"), {"BUG": 0})
    assert r.verdict == HOLDS and r.stats.distinct == 8


ALL_SPECS = sorted(glob.glob(os.path.join(SPECS, "*.mms")))


@pytest.mark.parametrize("path", ALL_SPECS, ids=os.path.basename)
def test_fingerprint_and_exact_agree(path):
    # safety only: the liveness check refuses fingerprints
    exact = explorer.check(path, max_states=50_000, properties=())
    fp = explorer.check(path, max_states=50_000, fingerprint=True, properties=())
    assert (fp.verdict, fp.stats.distinct, fp.stats.generated, fp.stats.depth) == (
        exact.verdict,
        exact.stats.distinct,
        exact.stats.generated,
        exact.stats.depth,
    )
    assert (fp.violation is None) == (exact.violation is None)
    if exact.violation:
        assert fp.violation.trace == exact.violation.trace
    assert exact.stats.collision_probability is None
    assert 0 <= fp.stats.collision_probability < 1e-9


@pytest.mark.parametrize(
    "consts, reduced, full, verdict, length",
    [
        ({"LOCKED": "true"}, 13, 61, HOLDS, None),
        ({"LOCKED": "false"}, 88, 404, VIOLATED, 12),
        ({"LOCKED": "true", "CPUS": "4"}, 17, 257, HOLDS, None),
    ],
)
def test_symmetry_reduces_and_keeps_verdict(consts, reduced, full, verdict, length):
    on = explorer.check(spec("symmetric_spinlock.mms"), consts)
    off = explorer.check(spec("symmetric_spinlock.mms"), consts, symmetry=False)
    assert (on.stats.distinct, off.stats.distinct) == (reduced, full)
    assert on.verdict == off.verdict == verdict
    if length is not None:
        assert on.violation.length == off.violation.length == length


def test_symmetric_trace_is_real():
    """Rebuilt from canonical states, the trace still follows the real steps: replaying
    its edges from its first state gives its states."""
    r = explorer.check(spec("symmetric_spinlock.mms"), {"LOCKED": "false", "CPUS": "3"})
    trace = r.violation.trace
    from mmcheck.explorer.tuple.translate import compile_model

    model = compile_model(explorer.load(spec("symmetric_spinlock.mms"), {"LOCKED": "false"}))
    state = trace[0].state
    assert state in model.init_states()
    for step in trace[1:]:
        succ = {t for _, t in model.successors(state)}
        assert step.state in succ
        state = step.state
    assert state[model.program.offset("counter")] < 3


def test_unknown_invariant_is_a_usage_error():
    with pytest.raises(UsageError, match="NoSuch"):
        explorer.check(spec("peterson.mms"), invariants=["NoSuch"])


def test_chosen_invariants_only():
    r = explorer.check(spec("diehard.mms"), invariants=[])
    assert r.verdict == HOLDS and r.stats.distinct == 16


def test_simulation_finds_or_stays_incomplete():
    r = explorer.check(spec("diehard.mms"), simulate=200, seed=1, depth=50)
    assert r.verdict == VIOLATED and r.violation.name == "NotFour"
    assert r.violation.trace[-1].state[1] == 4 and r.violation.length >= 6
    ok = explorer.check(spec("peterson.mms"), simulate=20, seed=3, depth=30)
    assert ok.verdict == INCOMPLETE and ok.reason == "simulation"
    assert ok.stats.distinct == 26  # 600 random steps visit every state
    again = explorer.check(spec("diehard.mms"), simulate=200, seed=1, depth=50)
    assert again.violation.trace == r.violation.trace


def test_simulation_finds_deadlock():
    r = explorer.check(spec("philosophers.mms"), simulate=100, seed=0, depth=20)
    assert r.verdict == VIOLATED and r.violation.kind == "deadlock"


def test_coverage_counts():
    r = explorer.check(spec("lock_misuse.mms"), {"BUG": 0}, coverage=True)
    cov = {c.label: (c.enabled, c.taken) for c in r.coverage}
    assert cov == {"take": (2, 2), "again": (2, 2), "drop": (2, 2), "steal": (4, 4)}
    r = explorer.check(spec("philosophers.mms"), coverage=True, deadlock=False)
    first = r.coverage[0]
    assert all(c.taken > 0 for c in r.coverage) and first.process == "phil"


def test_initial_states_replaced():
    prog = explorer.load(spec("diehard.mms"))
    r = explorer.check(prog, initial=[(3, 1)])
    assert r.violation.length == 1 and r.violation.trace[0].state == (3, 1)
    assert r.violation.trace[-1].action == "SmallToBig"


def test_progress_callback_gets_stats():
    seen = []
    r = explorer.check(spec("peterson.mms"), progress=seen.append)
    assert r.verdict == HOLDS and all(s is r.stats for s in seen)
