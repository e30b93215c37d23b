"""exec_stack_migrate.mms: exec's shift_arg_pages against migration's rmap walks.

In 2.6.34 remove_migration_ptes can run after exec's vma_adjust moved vm_start down and
before move_page_tables moved the stack page's pte: vma_address gives the new address,
the migration entry is still at the old one and is left behind, and exec faults on it in
create_elf_tables with the page unlocked (the BUG_ON of a8bef8ff6ea1's oops). With
a8bef8ff6ea1 (VM_STACK_INCOMPLETE_SETUP) and with the anon_vma lock held from vma_adjust
to the pte move (the alternative of Mel Gorman's mail) it holds; the lemmas make that
inductive. BMC agrees with the explorer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcheck import explorer, invariants, spec
from mmcheck.explorer.core.result import HOLDS, VIOLATED, Result
from mmcheck.explorer.report import format_cpu
from mmcheck.invariants.prove import CTI, PROVED
from tests.outcomes import steps

SPEC = Path(__file__).resolve().parent.parent / "spec" / "models" / "exec_stack_migrate.mms"
INVARIANT = "NoMigrationPteLeft"
LEMMAS = (
    "LockedByMigration",
    "StackLayout",
    "IncompleteSetup",
    "AnonVmaLockHeld",
    "AnonVmaLockHolder",
    "NoEntryWhileIncomplete",
    "EntryInWindow",
)

# the spec's expectations: constants, the invariants checked (None: every invariant),
# and the shortest violation (kind, name, length) or, where it holds, the distinct states
MODES = [
    ({"MODE": 0}, None, ("invariant", INVARIANT, 6)),
    ({"MODE": 1}, None, 48),
    ({"MODE": 2}, None, 40),
    ({"MODE": 0}, ["IncompleteSetup"], ("assert", None, 10)),
    ({"MODE": 1}, ["IncompleteSetup"], 48),
    ({"MODE": 2}, ["IncompleteSetup"], 40),
]


def case_id(consts: dict, checks: list[str] | None) -> str:
    return "-".join([*(f"{k}={v}" for k, v in consts.items()), *(checks or ["all"])])


def outcome(result: Result) -> int | tuple:
    """The distinct states of a run that holds, else its violation (kind, name, length)."""
    if result.verdict == HOLDS:
        return result.stats.distinct
    v = result.violation
    return (v.kind, v.name, v.length)


@pytest.mark.parametrize(
    ("consts", "checks", "expected"), MODES, ids=[case_id(c, k) for c, k, _ in MODES]
)
def test_modes(consts, checks, expected):
    assert outcome(explorer.check(SPEC, consts, invariants=checks)) == expected


@pytest.mark.parametrize(
    ("consts", "checks", "expected"), MODES[:3], ids=[case_id(c, k) for c, k, _ in MODES[:3]]
)
def test_modes_on_the_vector_back_end(consts, checks, expected):
    assert outcome(explorer.check(SPEC, consts, invariants=checks, backend="vector")) == expected


@pytest.mark.parametrize("mode", [1, 2])
def test_fixes_hold_not_vacuously(mode):
    """After either fix, migration still runs into exec's window (the walk computes the
    new address while the pte is at the old one), and the stack page is migrated once
    exec has moved it."""
    result = explorer.check(SPEC, {"MODE": mode})
    reached = {c.name: c.length for c in result.covers if c.reached}
    assert reached == {"WalkInWindow": 4, "StackPageMigrated": 9 if mode == 1 else 7}


def test_race_is_the_walk_in_execs_window():
    """The entry is made at the old address, vma_adjust moves vm_start down, and
    remove_migration_ptes looks at the new address: the entry stays. exec then moves it
    with the page tables and faults on it in create_elf_tables, the page unlocked."""
    result = explorer.check(SPEC, {"MODE": 0})
    assert steps(result) == [
        ("migrate", "lock_page"),
        ("migrate", "try_to_unmap"),
        ("migrate", "move_to_new_page"),
        ("exec", "vma_adjust"),
        ("migrate", "remove_migration_ptes"),
        ("migrate", "unlock_page"),
    ]
    bug = explorer.check(SPEC, {"MODE": 0}, invariants=["IncompleteSetup"])
    assert "BUG_ON(!PageLocked(p))" in bug.violation.message
    assert [s for s in steps(bug) if s[0] == "exec"] == [
        ("exec", "vma_adjust"),
        ("exec", "move_page_tables"),
        ("exec", "vma_adjust_shrink"),
        ("exec", "setup_arg_pages"),
    ]
    failed = bug.violation.failed
    assert (failed.instance, failed.label) == ("exec", "create_elf_tables")
    diagram = format_cpu(spec.load(SPEC, {"MODE": 0}), bug.violation)
    assert "CPU0 (migrate)" in diagram and "CPU1 (exec)" in diagram
    order = [
        "try_to_unmap()",
        "pte[3] = migration",
        "vma_adjust()",
        "vm_start = 0",
        "remove_migration_ptes()",
        "unlock_page()",
        "move_page_tables()",
        "pte[1] = migration",
        "create_elf_tables()",
        "assertion failed: BUG_ON(!PageLocked(p))",
    ]
    at = [diagram.index(text) for text in order]
    assert at == sorted(at)


def test_with_the_fix_the_walk_skips_the_temporary_stack():
    """a8bef8ff6ea1: while VM_STACK_INCOMPLETE_SETUP is set, try_to_unmap passes over the
    stack vma, so no migration entry exists in exec's window; migration of the stack page
    succeeds only after setup_arg_pages cleared the flag."""
    result = explorer.check(SPEC, {"MODE": 1})
    cover = next(c for c in result.covers if c.name == "StackPageMigrated")
    labels = [(s.instance, s.label) for s in cover.trace[1:]]
    assert labels.index(("exec", "setup_arg_pages")) < labels.index(("migrate", "try_to_unmap"))


@pytest.mark.parametrize(
    ("mode", "depth"),
    [
        (0, 6),
        (1, 6),
        pytest.param(1, 10, marks=pytest.mark.slow),
        pytest.param(2, 10, marks=pytest.mark.slow),
    ],
    ids=["2.6.34-depth6", "a8bef8ff6ea1-depth6", "a8bef8ff6ea1-depth10", "lock-depth10"],
)
def test_bmc_agrees_with_explorer(mode, depth):
    """Before the fix BMC finds the 6-step violation; after it, none at that length, nor
    up to the depth at which the explorer's search ends (10)."""
    bmc = invariants.bmc(SPEC, {"MODE": mode}, depth=depth)
    bfs = explorer.check(SPEC, {"MODE": mode}, max_depth=depth, deadlock=False)
    assert (bmc.verdict == VIOLATED) == (bfs.verdict == VIOLATED) == (mode == 0)
    if mode == 0:
        assert (bmc.violation.name, bmc.violation.length) == (INVARIANT, 6)
    elif depth == 10:
        assert bfs.verdict == HOLDS  # the search ends within the depth


@pytest.mark.parametrize("mode", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_fixes_proved(mode):
    """With the lemmas, NoMigrationPteLeft and the BUG_ON are inductive with either fix."""
    result = invariants.prove(SPEC, {"MODE": mode})
    assert result.status == PROVED
    assert result.lemmas == LEMMAS
    assert len(result.queries) == 108


@pytest.mark.slow
def test_induction_fails_exactly_at_the_race():
    """In 2.6.34 the same lemmas hold, and induction fails only where the race shows: the
    entry left at unlock_page and the BUG_ON in create_elf_tables."""
    result = invariants.prove(SPEC, {"MODE": 0})
    assert result.status == CTI
    ctis = sorted((q.invariant, q.action) for q in result.queries if q.status == CTI)
    assert ctis == [
        ("(no runtime error)", "exec.create_elf_tables"),
        (INVARIANT, "migrate.unlock_page"),
    ]
