"""migrate_page.mms: page migration as Hugh Dickins' 2015 series leaves it (seed 004).

With every patch applied the model holds; with patch 3, 6, 7 or 10 reverted it shows the
defect that patch's mail names, as a shortest trace; with 8, 11 or 12 reverted it holds
("no actual problem", as their mails say), and so do the spec's lemmas. BMC agrees with
the explorer at small depths.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mmcheck import explorer, invariants, spec
from mmcheck.explorer.core.result import BOUNDED, HOLDS, INCOMPLETE, VIOLATED
from mmcheck.explorer.report import format_cpu
from mmcheck.invariants.prove import CTI, PROVED

SPEC = Path(__file__).resolve().parent.parent / "spec" / "models" / "migrate_page.mms"

# patch reverted, violated invariant, shortest trace length
DEFECTS = [
    ("PATCH3", "MlockCarried", 9),
    ("PATCH6", "UnusedNewPageReturned", 4),
    ("PATCH7", "NoBug", 6),
    ("PATCH10", "SwapcacheRemapped", 11),
]

# patch reverted (None: the series applied), distinct states of the whole state space;
# a few seconds each, so only the series runs by default
HOLDING = [
    (None, 203_760),
    pytest.param("PATCH8", 212_664, marks=pytest.mark.slow),
    pytest.param("PATCH11", 203_760, marks=pytest.mark.slow),
    pytest.param("PATCH12", 203_751, marks=pytest.mark.slow),
]


def reverted(patch: str | None) -> dict:
    return {patch: False} if patch else {}


@pytest.mark.parametrize(("patch", "invariant", "length"), DEFECTS, ids=[d[0] for d in DEFECTS])
def test_reverting_a_fix_shows_its_defect(patch, invariant, length):
    result = explorer.check(SPEC, reverted(patch))
    assert result.verdict == VIOLATED
    assert (result.violation.kind, result.violation.name) == ("invariant", invariant)
    assert result.violation.length == length


@pytest.mark.parametrize(
    ("patch", "states"), HOLDING, ids=["series", "PATCH8", "PATCH11", "PATCH12"]
)
def test_holds_with_the_series_and_without_the_cleanups(patch, states):
    result = explorer.check(SPEC, reverted(patch), lemmas=True)
    assert result.verdict == HOLDS
    assert result.stats.distinct == states
    if patch is None:  # the paths the invariants are about are taken: they hold not vacuously
        reached = {c.name: c.length for c in result.covers if c.reached}
        assert reached == {
            "Migrated": 13,
            "StillMlocked": 13,
            "FreedUnderUs": 4,
            "MunlockPinFailsFreeze": 8,
            "MunlockClearsBehindMigrationEntry": 6,
        }


def test_swap_count_keeps_swap_entries_resolvable(tmp_path):
    # Before patch 10 migration leaves swap ptes; swap_map counts them, so the outside
    # mm's free_swap_and_cache() leaves the page in the swap cache. Without the count
    # (deleting the page once unmapped), a swap pte is left with no page behind it.
    chosen = ["SwapEntryResolves", "SwapCountAccounted"]
    result = explorer.check(SPEC, {"PATCH10": False}, invariants=chosen)
    assert result.verdict == HOLDS
    assert result.stats.distinct == 124_632
    source = SPEC.read_text()
    counted = "  if swap_count == 0 and slot != 0 {\n"
    assert source.count(counted) == 1
    uncounted = tmp_path / "migrate_page.mms"
    uncounted.write_text(source.replace(counted, "  if slot != 0 {\n"))
    result = explorer.check(uncounted, {"PATCH10": False}, invariants=["SwapEntryResolves"])
    assert result.verdict == VIOLATED
    assert (result.violation.name, result.violation.length) == ("SwapEntryResolves", 11)
    assert result.violation.trace[-1].label == "free_swap_and_cache"


def test_munlock_pin_makes_the_freeze_fail():
    # v4.3's munlock takes a FOLL_GET pin (follow_page_mask) under the pte lock and drops
    # it after TestClearPageMlocked; held across page_freeze_refs(), it makes it fail
    result = explorer.check(SPEC)
    cover = next(c for c in result.covers if c.name == "MunlockPinFailsFreeze")
    steps = [(s.instance, s.label) for s in cover.trace[1:]]
    assert ("munlock", "follow_page_mask") in steps
    assert steps.index(("munlock", "follow_page_mask")) < steps.index(
        ("migrate", "migrate_page_move_mapping")
    )
    assert ("munlock", "pagevec_release") not in steps


def test_bug_trace_is_the_previous_user_holding_newpage_lock():
    # Patch 7: "a race with the previous use of newpage": its lock_page() comes between
    # get_new_page() and move_to_new_page()'s trylock_page(newpage), which BUG()s.
    result = explorer.check(SPEC, {"PATCH7": False})
    steps = [(s.instance, s.label) for s in result.violation.trace[1:]]
    assert steps == [
        ("migrate", "get_new_page"),
        ("migrate", "lock_page"),
        ("migrate", "try_to_unmap_one"),
        ("prev_user[2]", "get_page_unless_zero"),
        ("prev_user[2]", "lock_page"),
        ("migrate", "move_to_new_page"),
    ]


def test_freed_page_trace_in_cpu_columns():
    # Patch 6: the page is unmapped and leaves the swap cache before unmap_and_move()
    # looks at page_count(page) == 1; the unused newpage then goes to putback_lru_page().
    program = spec.load(SPEC, {"PATCH6": False})
    result = explorer.check(program)
    text = format_cpu(program, result.violation)
    for column in ("(migrate)", "(zap[1])", "(free_swap)"):
        assert column in text
    assert "(gup[1])" not in text
    for label in (
        "zap_pte_range()",
        "free_swap_and_cache()",
        "get_new_page()",
        "putback_lru_page()",
        "rc = rc_freed",
    ):
        assert label in text


@pytest.mark.slow
def test_scaling_constants_keep_the_series_correct():
    # two ptes (the second vma not VM_LOCKED) and two migrate_pages() passes
    result = explorer.check(SPEC, {"PTES": 2, "ZAPS": 2, "PASSES": 2})
    assert result.verdict == HOLDS
    assert result.stats.distinct == 989_036


@pytest.mark.parametrize(
    ("consts", "depth", "invariant", "length"),
    [
        ({}, 3, None, None),
        ({"PATCH6": False}, 4, "UnusedNewPageReturned", 4),
        pytest.param({"PATCH7": False}, 6, "NoBug", 6, marks=pytest.mark.slow),
    ],
    ids=["series", "PATCH6", "PATCH7"],
)
def test_bmc_agrees_with_the_explorer(consts, depth, invariant, length):
    # all invariants for the series; the one that breaks otherwise (BMC's cost grows
    # with each invariant encoded at each depth)
    chosen = [invariant] if invariant else None
    bounded = invariants.bmc(SPEC, consts, depth=depth, invariants=chosen)
    explored = explorer.check(SPEC, consts, max_depth=depth, invariants=chosen)
    if invariant is None:
        assert bounded.verdict == BOUNDED
        assert explored.verdict == INCOMPLETE and explored.violation is None
    else:
        for result in (bounded, explored):
            assert result.verdict == VIOLATED
            assert (result.violation.name, result.violation.length) == (invariant, length)


# the accounting, the invariant of patch 8, which the proof needs too, and the swap
# entries' resolving
ACCOUNTING = [
    "RefcountAccounted",
    "MapcountAccounted",
    "FrozenExclusive",
    "RssCountersRight",
    "SwapCountAccounted",
    "SwapEntryResolves",
]
# every invariant, in the spec's order
INVARIANTS = [
    "MigrationEntryLocked",
    "NoMigrationEntryLeft",
    "RefcountAccounted",
    "MapcountAccounted",
    "FrozenExclusive",
    "NewPageSetUpBeforeVisible",
    "DirtyNotLost",
    "MlockCarried",
    "UnusedNewPageReturned",
    "NoBug",
    "RssCountersRight",
    "SwapcacheRemapped",
    "SwapCountAccounted",
    "SwapEntryResolves",
]
# who holds each reference and lock (the accounting's), then migration's program
# counter and what it says of the ptes, the slot and the new page (the control flow's)
LEMMAS = (
    "NewPageHeld",
    "OldPageIsolated",
    "OldPageLockedByMigration",
    "NewPageLockOwners",
    "RacerRefs",
    "PtesWellFormed",
    "FrozenWhileReplacing",
    "MigrationOutcome",
    "MigrationEntriesInFlight",
    "NewPageVisibleOnlyMigrated",
    "SwapCachePageDirty",
    "VmLockedUntilMunlock",
)


def all_proved(result, goals: list[str], queries: int) -> None:
    assert result.status == PROVED
    assert result.fallback is None
    assert result.lemmas == LEMMAS
    assert result.goals == (*goals, *LEMMAS)
    assert len(result.queries) == queries
    assert all(q.status == PROVED for q in result.queries)


def test_every_invariant_is_inductive_with_the_lemmas():
    # the whole run, in CI: the accounting alone (684 queries) takes as long, z3's part
    # being about 2 s of either
    all_proved(invariants.prove(SPEC), INVARIANTS, 972)


def test_accounting_alone_is_not_inductive():
    # without the lemmas (declared invariants instead), unfreezing a page whose references
    # are not known to be only the isolation's is a counterexample to induction
    program = spec.load(SPEC)
    no_lemmas = tuple(dataclasses.replace(i, lemma=False) for i in program.invariants)
    result = invariants.prove(
        dataclasses.replace(program, invariants=no_lemmas), invariants=ACCOUNTING
    )
    assert result.status == CTI
    failed = {(q.invariant, q.action) for q in result.queries if q.status == CTI}
    assert ("RefcountAccounted", "migrate.page_unfreeze_refs") in failed


# patch reverted (deadlock: the BUG() it hits stops migration), with the default sizes
LEMMA_MODES = [
    pytest.param({"PATCH3": False}, False, marks=pytest.mark.slow),
    pytest.param({"PATCH6": False}, False, marks=pytest.mark.slow),
    pytest.param({"PATCH7": False}, True, marks=pytest.mark.slow),
    pytest.param({"PATCH10": False}, False, marks=pytest.mark.slow),
]


@pytest.mark.parametrize(
    ("consts", "bug"), LEMMA_MODES, ids=["PATCH3", "PATCH6", "PATCH7", "PATCH10"]
)
def test_lemmas_hold_where_a_fix_is_reverted(consts, bug):
    # the lemmas assume nothing the kernel without a fix does not do: the explorer finds
    # them (and the accounting) holding in every reachable state of each defect's mode
    result = explorer.check(
        SPEC, consts, invariants=[*ACCOUNTING, *LEMMAS], deadlock=not bug, properties=[]
    )
    assert result.verdict == HOLDS, result.violation


# every racer's number symbolic (GUPS, FAULTS and ZAPS at most PTES, by the spec's assume)
RACERS = {"PTES": "?", "LOOKUPS": "?", "GUPS": "?", "FAULTS": "?", "ZAPS": "?"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "consts",
    [
        {"PTES": "?"},
        {"PTES": 2, "POOL": 2, "LOOKUPS": 2, "GUPS": 2, "FAULTS": 2, "ZAPS": 2, "PASSES": 2},
        RACERS,
        {"PASSES": "?"},
        # the first pool page is a first-element sum (Encoder._first_element): without
        # it, NewPageHeld and the runtime errors after get_new_page timed out
        {"POOL": "?"},
    ],
    ids=["PTES=?", "twos", "racers=?", "PASSES=?", "POOL=?"],
)
def test_every_invariant_is_inductive_at_larger_sizes(consts):
    all_proved(invariants.prove(SPEC, consts), INVARIANTS, 972)
