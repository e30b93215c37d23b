"""anon_vma_ref.mms: migration uses an anon_vma the exiting process freed (3f6c82728f4e).

2.6.34's unmap_and_move holds only the RCU read lock: the process exits while the page
is unmapped into migration entries, frees the anon_vma, and remove_migration_ptes locks
it (3f6c82728f4e's race); or exits before migration starts, and 3f6c82728f4e's reference
is taken on the freed anon_vma (67b9509b2c68's race). With both the model holds, the exit
in migration's window still reached, and the spec's lemmas make that inductive for any
number of processes. BMC agrees with the explorer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcheck import explorer, invariants, spec
from mmcheck.explorer.core.result import BOUNDED, HOLDS, INCOMPLETE, VIOLATED
from mmcheck.explorer.report import format_cpu
from mmcheck.invariants.prove import CTI, PROVED
from tests.outcomes import steps

SPEC = Path(__file__).resolve().parent.parent / "spec" / "models" / "anon_vma_ref.mms"
INVARIANT = "AnonVmaLiveWhileMigrating"
FIXED = {"REF": True, "SKIP_UNMAPPED": True}
LEMMAS = ("ListLength", "Zapped", "WalkLock", "Reference", "Unreferenced", "Fixed")

# constants, the shortest violation of the invariant
RACES = [
    ({}, 5),
    ({"SKIP_UNMAPPED": True}, 5),
    ({"REF": True}, 3),
    ({**FIXED, "SPLIT": True}, 4),
    ({"MMS": 2}, 7),
]

# constants, distinct states of the whole state space
# 746b18d421da's page_get_anon_vma: the split check and increment, made safe
GET_UNLESS_ZERO = {**FIXED, "SPLIT": True, "GET_UNLESS_ZERO": True}
HOLDING = [
    (FIXED, 20),
    ({**FIXED, "MMS": 2}, 39),
    ({**FIXED, "MMS": 3}, 64),
    (GET_UNLESS_ZERO, 26),
    ({**GET_UNLESS_ZERO, "MMS": 2}, 51),
]


def name(consts: dict) -> str:
    return "-".join(f"{k}={v}" for k, v in consts.items()) or "2.6.34"


@pytest.mark.parametrize(("consts", "length"), RACES, ids=[name(c) for c, _ in RACES])
def test_anon_vma_used_after_free_without_both_fixes(consts, length):
    result = explorer.check(SPEC, consts)
    assert result.verdict == VIOLATED
    assert (result.violation.kind, result.violation.name) == ("invariant", INVARIANT)
    assert result.violation.length == length


@pytest.mark.parametrize(("consts", "states"), HOLDING, ids=[name(c) for c, _ in HOLDING])
def test_both_fixes_hold_with_the_exit_in_the_window(consts, states):
    result = explorer.check(SPEC, consts, lemmas=True)
    assert result.verdict == HOLDS
    assert result.stats.distinct == states
    reached = {c.name for c in result.covers if c.reached}
    assert reached == {"ExitedInWindow", "Remapped"}


@pytest.mark.parametrize(("consts", "expected"), [({}, 5), (FIXED, 20)], ids=["2.6.34", "fixed"])
def test_vector_back_end_agrees(consts, expected):
    result = explorer.check(SPEC, consts, backend="vector")
    if result.verdict == VIOLATED:
        assert (result.violation.name, result.violation.length) == (INVARIANT, expected)
    else:
        assert (result.verdict, result.stats.distinct) == (HOLDS, expected)


def test_race_is_the_exit_in_migrations_window():
    """2.6.34: try_to_unmap leaves migration entries (page_mapcount 0), the process exits
    and the last anon_vma_unlink frees the anon_vma; remove_migration_ptes' rmap walk
    then locks it."""
    program = spec.load(SPEC)
    result = explorer.check(program)
    assert steps(result) == [
        ("migrate", "rcu_read_lock"),
        ("migrate", "try_to_unmap"),
        ("exit[1]", "zap_pte_range"),
        ("exit[1]", "unlink_anon_vmas"),
        ("migrate", "rmap_walk_anon"),
    ]
    diagram = format_cpu(program, result.violation)
    header = next(line for line in diagram.splitlines() if line.startswith("CPU0"))
    assert header.split() == ["CPU0", "(migrate)", "CPU1", "(exit[1])"]
    order = ["try_to_unmap()", "zap_pte_range()", "anon_vma_free()", "rmap_walk_anon()"]
    at = [next(i for i, line in enumerate(diagram.splitlines()) if f in line) for f in order]
    assert at == sorted(at)


def test_reference_alone_is_taken_on_a_freed_anon_vma():
    """3f6c82728f4e without 67b9509b2c68: the process exits before unmap_and_move takes
    its reference, which lands on the freed anon_vma; migration's drop then frees it a
    second time."""
    result = explorer.check(SPEC, {"REF": True})
    assert steps(result) == [
        ("exit[1]", "zap_pte_range"),
        ("exit[1]", "unlink_anon_vmas"),
        ("migrate", "rcu_read_lock"),
    ]
    freed_twice = explorer.check(SPEC, {"REF": True}, invariants=["AnonVmaFreedAtLastUse"])
    failed = freed_twice.violation
    assert (failed.kind, failed.message) == ("assert", "kmem_cache_free of a freed anon_vma")
    assert failed.length == 7
    assert failed.failed.action == "migrate.rcu_unlock"


def test_split_check_and_increment_reopen_the_window():
    result = explorer.check(SPEC, {**FIXED, "SPLIT": True})
    assert steps(result) == [
        ("migrate", "rcu_read_lock"),
        ("exit[1]", "zap_pte_range"),
        ("exit[1]", "unlink_anon_vmas"),
        ("migrate", "atomic_inc"),
    ]


@pytest.mark.parametrize(
    ("consts", "depth", "length"),
    [({}, 4, None), ({}, 5, 5), ({"REF": True}, 3, 3), (FIXED, 6, None)],
    ids=["2.6.34-depth4", "2.6.34-depth5", "REF-depth3", "fixed-depth6"],
)
def test_bmc_agrees_with_the_explorer(consts, depth, length):
    bounded = invariants.bmc(SPEC, consts, depth=depth)
    explored = explorer.check(SPEC, consts, max_depth=depth, deadlock=False)
    if length is None:
        assert bounded.verdict == BOUNDED
        assert explored.violation is None
        assert explored.verdict == (HOLDS if consts == FIXED else INCOMPLETE)
    else:
        for result in (bounded, explored):
            assert result.verdict == VIOLATED
            assert (result.violation.name, result.violation.length) == (INVARIANT, length)


def test_fixed_is_inductive_and_the_races_are_ctis():
    for consts in (FIXED, GET_UNLESS_ZERO):
        fixed = invariants.prove(SPEC, consts)
        assert fixed.status == PROVED
        assert fixed.lemmas == LEMMAS
    for consts in ({}, {"SKIP_UNMAPPED": True}):
        broken = invariants.prove(SPEC, consts)
        assert broken.status == CTI
        failed = [(q.invariant, q.action) for q in broken.queries if q.status == CTI]
        assert failed == [(INVARIANT, "migrate.rmap_walk_anon")]
    broken = invariants.prove(SPEC, {"REF": True})
    failed = {(q.invariant, q.action) for q in broken.queries if q.status == CTI}
    assert (INVARIANT, "migrate.rcu_read_lock") in failed


@pytest.mark.slow
def test_fixed_is_inductive_for_any_number_of_processes():
    result = invariants.prove(SPEC, {**FIXED, "MMS": "?"})
    assert result.status == PROVED
    assert result.fallback is None
