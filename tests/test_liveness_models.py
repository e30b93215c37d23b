"""Liveness, pinned: the classic results (tests/specs: Peterson, dining philosophers) and
the kernel showcases (spec/models: spinlock_fairness, anon_vma_walk, migrate_page's
FaultProceeds), on the tuple back end and on the reference interpreter, whose fair-cycle
check is independent of the tuple back end's (brute force over its own state graph).

Both back ends must give the same verdict, the same states and the same property, and a
valid lasso. The lasso's prefix and cycle lengths are pinned for the tuple back end; the
reference may find any fair cycle (its cycle goes through every state of the set it
found), so its lengths are left to its own tests. migrate_page is too large for the
reference's brute force: it is pinned on tuple."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer.core.result import HOLDS, STUTTER, VIOLATED, Result

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "spec" / "models"
SPECS = ROOT / "tests" / "specs"
sys.path.insert(0, str(ROOT / "tests" / "explorer" / "report"))
from test_traces import PRINTED_WHERE_PINNED, assert_prints_in_every_format  # noqa: E402

# (spec, constants, distinct states, violated property or None,
#  (prefix steps, cycle steps) of the tuple back end's lasso, or None)
CASES = [
    # Peterson: starvation-free under weak fairness, not without fairness
    (SPECS / "peterson_fair.mms", {}, 26, None, None),
    (SPECS / "peterson_unfair.mms", {}, 26, "StarvationFree", (1, 1)),
    # Dijkstra's ordered forks: no deadlock; a philosopher starves under weak fairness,
    # eats under strong fairness
    (SPECS / "philosophers_weak.mms", {}, 12, "Eats", (0, 6)),
    (SPECS / "philosophers_strong.mms", {}, 12, None, None),
    # test-and-set: a CPU starves under weak fairness; tickets: it cannot
    (MODELS / "spinlock_fairness.mms", {}, 21, "NoStarvation", (1, 7)),
    (MODELS / "spinlock_fairness.mms", {"CPUS": 3}, 81, "NoStarvation", (1, 12)),
    (MODELS / "spinlock_fairness.mms", {"TICKET": True}, 88, None, None),
    # the rmap walkers of seed 000: no livelock; starvation when the child's lock is
    # taken again and again; none with the root's lock, under strong fairness
    (MODELS / "anon_vma_walk.mms", {}, 136, None, None),
    (MODELS / "anon_vma_walk.mms", {"ROOT_WALKERS": 3}, 368, None, None),
    (MODELS / "anon_vma_walk.mms", {"REPEAT": True}, 52, "RootWalksEnd", (0, 9)),
    (
        MODELS / "anon_vma_walk.mms",
        {"ROOT_WALKERS": 3, "REPEAT": True},
        140,
        "RootWalksEnd",
        (0, 11),
    ),
    (MODELS / "anon_vma_walk.mms", {"LOCK_ROOT": True}, 88, None, None),
    (MODELS / "anon_vma_walk.mms", {"LOCK_ROOT": True, "REPEAT": True}, 28, None, None),
    (
        MODELS / "anon_vma_walk.mms",
        {"ROOT_WALKERS": 3, "LOCK_ROOT": True, "REPEAT": True},
        68,
        None,
        None,
    ),
]


def case_id(case: tuple) -> str:
    return "-".join([case[0].stem, *(f"{k}={v}" for k, v in case[1].items())])


def assert_lasso(result: Result) -> None:
    """A lasso's trace returns to the state its cycle starts at."""
    v = result.violation
    assert v is not None and v.loop is not None
    assert v.trace[-1].state == v.trace[v.loop].state
    assert v.cycle == len(v.trace) - 1 - v.loop >= 1


@pytest.mark.parametrize("backend", ["tuple", "reference"])
@pytest.mark.parametrize(
    ("path", "consts", "states", "prop", "lasso"), CASES, ids=map(case_id, CASES)
)
def test_pinned(backend, path, consts, states, prop, lasso):
    result = explorer.check(path, consts, backend=backend)
    assert result.stats.distinct == states
    assert result.stats.sccs is not None and result.stats.sccs > 0
    if prop is None:
        assert result.verdict == HOLDS
        return
    assert result.verdict == VIOLATED
    assert (result.violation.kind, result.violation.name) == ("property", prop)
    assert_lasso(result)
    if backend == "tuple":
        assert (result.violation.loop, result.violation.cycle) == lasso


def test_unfair_peterson_stutters_while_waiting():
    """Without fairness the lasso is p[1] raising its flag and then nothing at all: the
    one-step cycle is a stutter step."""
    v = explorer.check(SPECS / "peterson_unfair.mms", backend="tuple").violation
    assert [(s.action, s.instance) for s in v.trace[1:]] == [
        ("p.set_flag", "p[1]"),
        (STUTTER, None),
    ]


def spinlock_cycle(result: Result) -> list[tuple[str, str | None]]:
    v = result.violation
    return [(s.action, s.instance) for s in v.trace[v.loop + 1 :]]


def test_test_and_set_starves_cpu_1_while_cpu_2_takes_the_lock():
    """In the cycle CPU 1 keeps running its spin, failing, while CPU 2 takes and releases
    the lock; CPU 1 never reaches its critical section."""
    result = explorer.check(MODELS / "spinlock_fairness.mms", backend="tuple")
    cycle = spinlock_cycle(result)
    assert ("cpu.critical", "cpu[2]") in cycle and ("cpu.spin_unlock", "cpu[2]") in cycle
    mine = {a for a, i in cycle if i == "cpu[1]"}
    assert mine and mine <= {"cpu.atomic_read", "cpu.atomic_cmpxchg"}


def refaired(model: str, old: str, new: str, tmp_path: Path) -> Path:
    """A copy of a model whose process declarations say `new` where they said `old`."""
    text = (MODELS / f"{model}.mms").read_text()
    assert f"\n{old} process " in text
    copy = tmp_path / f"{model}.mms"
    copy.write_text(text.replace(f"\n{old} process ", f"\n{new} process ".replace("\n ", "\n")))
    return copy


@pytest.mark.parametrize("backend", ["tuple", "reference"])
def test_strong_fairness_does_not_save_test_and_set(backend, tmp_path):
    """The failing spin step is always enabled and taken in the cycle, so strong fairness
    is met by the same starvation (with tickets the property holds either way)."""
    copy = refaired("spinlock_fairness", "fair", "strongly fair", tmp_path)
    result = explorer.check(copy, backend=backend)
    assert (result.verdict, result.violation.name) == (VIOLATED, "NoStarvation")
    assert explorer.check(copy, {"TICKET": True}, backend=backend).verdict == HOLDS


@pytest.mark.parametrize("backend", ["tuple", "reference"])
def test_anon_vma_walks_need_fairness(backend, tmp_path):
    """Without fairness a walker may just stop: the walks end only because the processes
    are fair, so RootWalksEnd holding with them is not vacuous."""
    copy = refaired("anon_vma_walk", "strongly fair", "", tmp_path)
    result = explorer.check(copy, backend=backend)
    assert (result.verdict, result.violation.name) == (VIOLATED, "RootWalksEnd")


@pytest.mark.parametrize("backend", ["tuple", "reference"])
def test_root_lock_needs_strong_fairness(backend, tmp_path):
    """With the root's lock and repeated child walks, a weakly fair walker can still
    starve: the lock is free only between the others' critical sections. It takes a fair
    (ticket) lock, which strong fairness models, to end every walk."""
    copy = refaired("anon_vma_walk", "strongly fair", "fair", tmp_path)
    result = explorer.check(copy, {"LOCK_ROOT": True, "REPEAT": True}, backend=backend)
    assert (result.verdict, result.violation.name) == (VIOLATED, "RootWalksEnd")


MIGRATE_PAGE = MODELS / "migrate_page.mms"
REFCOUNTS = ["RefcountAccounted", "MapcountAccounted", "FrozenExclusive"]


def test_fault_waits_forever_on_a_migration_entry_left_behind():
    """MISS_VMA (seed 000's walk missing the vma): remove_migration_ptes skips the pte,
    migration ends and unlocks the page, and the fault waits, drops its reference,
    faults on the same migration entry and waits again, forever. Migration is fair and
    done; the fault is fair and takes every step it can. The spec expects it, and the
    lasso prints in every format (for test_traces.py, which leaves this run to here)."""
    program = spec.load(MIGRATE_PAGE, {"MISS_VMA": True})
    result = explorer.check(program, invariants=REFCOUNTS, backend="tuple")
    assert result.stats.distinct == 231_998
    assert (result.violation.kind, result.violation.name) == ("property", "FaultProceeds")
    assert_lasso(result)
    v = result.violation
    assert (v.loop, v.cycle) == (11, 3)
    prefix = [(s.action, s.params) for s in v.trace[1 : v.loop + 1]]
    # the walk's second branch: "if (address == -EFAULT) continue;"
    assert ("migrate.remove_migration_pte", (("either#1", 2),)) in prefix
    assert prefix[-1][0] == "migrate.putback_lru_page"
    cycle = [s.action for s in v.trace[v.loop + 1 :]]
    assert sorted(cycle) == ["fault.do_swap_page", "fault.put_page", "fault.wait_on_page_locked"]
    # the spec's expectation, run as `mmcheck test` runs it
    expected = next(e for e in program.expects if (e.verdict, e.prop) == ("property", v.name))
    assert (expected.consts, expected.checks) == ((("MISS_VMA", 1),), tuple(REFCOUNTS))
    assert ("migrate_page.mms", "property", v.name) in PRINTED_WHERE_PINNED
    assert_prints_in_every_format(program, result)


def test_the_missed_entry_is_the_seed_000_bug_on_first():
    """Safety first: with every invariant, the entry left behind is migration_entry_to_page's
    BUG_ON (MigrationEntryLocked) and no property is examined."""
    result = explorer.check(MIGRATE_PAGE, {"MISS_VMA": True}, properties=(), backend="tuple")
    assert (result.violation.kind, result.violation.name, result.violation.length) == (
        "invariant",
        "MigrationEntryLocked",
        10,
    )


@pytest.mark.slow
def test_fault_proceeds_with_the_series():
    """With the series (v4.3's walk misses nothing), every fault that waits on a migration
    entry proceeds, under fairness of migration and of the fault only."""
    result = explorer.check(
        MIGRATE_PAGE, invariants=(), properties=("FaultProceeds",), backend="tuple"
    )
    assert result.verdict == HOLDS
    assert result.stats.distinct == 203_760
    assert result.stats.sccs is not None and result.stats.sccs > 0
