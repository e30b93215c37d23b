"""The races of the spec library (spec/models/): before its fix each spec violates its
invariant with a shortest trace of known length, after it the spec holds with a known
number of distinct states, and bounded model checking agrees with the explorer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mmcheck import explorer, invariants, spec
from mmcheck.explorer.core.result import HOLDS, VIOLATED, Result
from mmcheck.explorer.report import format_cpu
from mmcheck.invariants.cti import check_cti
from mmcheck.invariants.prove import CTI, PROVED

MODELS = Path(__file__).resolve().parent.parent / "spec" / "models"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from outcomes import steps, verdict  # noqa: E402

# spec, constants, violated invariant, shortest trace length
BEFORE_FIX = [
    ("mlock_munlock", {"FIXED": False}, "NoLeak", 11),
    ("mlock_munlock", {"FIXED": False, "VMAS": 1}, "NoMlockedFree", 11),
    ("mlock_munlock", {"FIXED": False, "TRUNCATE": True}, "NoMlockedFree", 9),
    ("mlock_munlock", {"FIXED": False, "VMAS": 4}, "NoLeak", 11),
]

# spec, constants, distinct states of the complete state space
AFTER_FIX = [
    ("mlock_munlock", {"FIXED": True}, 93),
    ("mlock_munlock", {"FIXED": True, "VMAS": 1}, 45),
    ("mlock_munlock", {"FIXED": True, "TRUNCATE": True}, 43),
    ("mlock_munlock", {"FIXED": True, "VMAS": 4}, 371),
    # PG_mlocked already set: reclaim culls the page at page_evictable(), fixed or not
    ("mlock_munlock", {"FIXED": False, "MLOCKED": True}, 46),
    ("mlock_munlock", {"FIXED": True, "MLOCKED": True}, 46),
    ("mlock_munlock", {"FIXED": False, "VMAS": 1, "MLOCKED": True}, 34),
    ("mlock_munlock", {"FIXED": False, "TRUNCATE": True, "MLOCKED": True}, 25),
]


def path(name: str) -> Path:
    return MODELS / f"{name}.mms"


def ids(cases: list[tuple]) -> list[str]:
    return [f"{c[0]}-" + "-".join(f"{k}={v}" for k, v in c[1].items()) for c in cases]


@pytest.mark.parametrize(("name", "consts", "invariant", "length"), BEFORE_FIX, ids=ids(BEFORE_FIX))
def test_race_found_before_fix(name, consts, invariant, length):
    result = explorer.check(path(name), consts)
    assert result.verdict == VIOLATED
    assert (result.violation.kind, result.violation.name) == ("invariant", invariant)
    assert result.violation.length == length


@pytest.mark.parametrize(("name", "consts", "states"), AFTER_FIX, ids=ids(AFTER_FIX))
def test_fix_holds(name, consts, states):
    result = explorer.check(path(name), consts)
    assert result.verdict == HOLDS
    assert result.stats.distinct == states


def test_mlock_race_is_the_one_in_the_thread():
    """The shortest leak is Kirill's race as Vlastimil Babka expanded it (seed 004,
    2015-10-19 12:33): exit_mmap's munlock on CPU0, reclaim's late mlock on CPU1, from
    the start the kernel can be in: PG_mlocked not yet set, so reclaim's page_evictable()
    lets the page through to try_to_unmap, and munlock's TestClearPageMlocked finds
    nothing to clear."""
    result = explorer.check(path("mlock_munlock"), {"FIXED": False})
    assert steps(result) == [
        ("reclaim", "trylock_page"),
        ("reclaim", "page_evictable"),
        ("reclaim", "try_to_unmap_one"),
        ("reclaim", "down_read_trylock"),
        ("exit_mmap", "munlock_vma_pages_range"),
        ("exit_mmap", "follow_page_mask"),
        ("exit_mmap", "__munlock_pagevec"),
        ("exit_mmap", "zap_pte_range"),
        ("reclaim", "mlock_vma_page"),
        ("reclaim", "unlock_page"),
        ("reclaim", "putback_lru_page"),
    ]
    diagram = format_cpu(spec.load(path("mlock_munlock"), {"FIXED": False}), result.violation)
    header = next(line for line in diagram.splitlines() if line.startswith("CPU0"))
    assert header.split() == ["CPU0", "(exit_mmap)", "CPU1", "(reclaim)"]
    lines, col = diagram.splitlines(), header.index("CPU1")
    at = lines.index(" " * col + "mlock_vma_page()")
    assert lines[at + 1] == " " * (col + 2) + "page.mlocked = true"


def test_mlock_page_lock_does_not_save_the_last_mapper():
    """munlock's phase 2, the only step that takes the page lock, never runs for a page
    reclaim holds isolated; so even the last mapper's unmap can precede the late mlock,
    and the page is freed PageMlocked. Phase 2 does run once reclaim has put the page
    back."""
    result = explorer.check(path("mlock_munlock"), {"FIXED": False, "VMAS": 1})
    assert ("exit_mmap", "__munlock_isolated_page") not in steps(result)
    assert steps(result)[-1] == ("reclaim", "putback_lru_page")
    fixed = explorer.check(path("mlock_munlock"), {"FIXED": True}, coverage=True)
    phase2 = next(c for c in fixed.coverage if c.label == "__munlock_isolated_page")
    assert phase2.taken > 0


def test_mlock_covers():
    """The rmap walk reaches the VM_LOCKED vma after another one; the late mlock happens
    after the fix too (under the pte lock); with PG_mlocked already set it never does,
    since reclaim culls the page at page_evictable()."""
    reached = {
        c.name: c.reached for c in explorer.check(path("mlock_munlock"), {"FIXED": True}).covers
    }
    assert reached == {"LockedVmaNotFirst": True, "LateMlock": True, "MunlockPhase2": True}
    culled = explorer.check(path("mlock_munlock"), {"FIXED": False, "MLOCKED": True})
    assert culled.verdict == HOLDS
    assert [c.name for c in culled.covers if not c.reached] == ["LateMlock"]


def test_mlock_truncation_frees_an_mlocked_page():
    result = explorer.check(path("mlock_munlock"), {"FIXED": False, "TRUNCATE": True})
    assert steps(result)[-1] == ("reclaim", "putback_lru_page")
    assert ("truncate", "zap_pte_range") in steps(result)
    assert ("reclaim", "mlock_vma_page") in steps(result)
    assert not any(instance == "exit_mmap" for instance, _ in steps(result))


MLOCK_LEMMAS = (
    "PageLock",
    "PageCount",
    "Pinned",
    "Phase2",
    "VmLocked",
    "ReclaimLocks",
    "WalkUnmlocked",
    "OneUnmapper",
    "Truncated",
    "MlockedFirst",
    "MlockWindow",
    "MlockUndone",
)


def test_mlock_lemmas_hold_where_the_race_is():
    """The lemmas assume nothing the racy kernel does not do: they hold in every mode
    without the fix, with either unmapper and either initial PG_mlocked."""
    for consts in [
        {"FIXED": False, "VMAS": 3},
        {"FIXED": False, "TRUNCATE": True, "VMAS": 3},
        {"FIXED": False, "MLOCKED": True, "VMAS": 3},
    ]:
        result = explorer.check(path("mlock_munlock"), consts, invariants=list(MLOCK_LEMMAS))
        assert result.verdict == HOLDS, consts


@pytest.mark.parametrize("vmas", [2, "?"])
def test_mlock_munlock_proved(vmas):
    """With the spec's lemmas, NoLeak and NoMlockedFree are inductive after the fix
    (exit_mmap's munlock, any number of vmas with "?"); before it, induction fails only
    where the late mlock's page is left: the unmap's end and reclaim's putback, each
    really reached from the initial states."""
    fixed = invariants.prove(path("mlock_munlock"), {"FIXED": True, "VMAS": vmas})
    assert fixed.status == PROVED
    assert fixed.lemmas == MLOCK_LEMMAS
    assert len(fixed.queries) == 210
    broken = invariants.prove(path("mlock_munlock"), {"FIXED": False, "VMAS": vmas})
    assert broken.status == CTI
    ctis = [q for q in broken.queries if q.status == CTI]
    assert sorted((q.invariant, q.action) for q in ctis) == [
        ("NoLeak", "exit_mmap.zap_pte_range"),
        ("NoLeak", "reclaim.putback_lru_page"),
        ("NoMlockedFree", "reclaim.putback_lru_page"),
    ]
    if vmas == 2:
        for q in ctis:
            assert check_cti(q.program, q.cti).verdict == "reachable"


def test_mlock_truncation_proved():
    """Truncation as the unmapper: proved after the fix, one CTI before it, real."""
    fixed = invariants.prove(path("mlock_munlock"), {"FIXED": True, "TRUNCATE": True})
    assert fixed.status == PROVED
    broken = invariants.prove(path("mlock_munlock"), {"FIXED": False, "TRUNCATE": True})
    (cti,) = [q for q in broken.queries if q.status == CTI]
    assert (cti.invariant, cti.action) == ("NoMlockedFree", "reclaim.putback_lru_page")
    assert check_cti(cti.program, cti.cti).verdict == "reachable"


@pytest.mark.parametrize(
    "consts", [{}, {"VMAS": 1}, {"TRUNCATE": True}], ids=["exit_mmap", "VMAS=1", "truncate"]
)
def test_mlock_culled_proved(consts):
    """Without the fix but with PG_mlocked set from the start, reclaim culls the page:
    proved, MlockedFirst saying the walk never finds a VM_LOCKED vma."""
    proof = invariants.prove(path("mlock_munlock"), {"FIXED": False, "MLOCKED": True, **consts})
    assert proof.status == PROVED
    assert len(proof.queries) == 210


@pytest.mark.slow
@pytest.mark.parametrize("mlocked", [False, True])
def test_mlock_truncation_proved_for_any_number_of_vmas(mlocked):
    consts = {"FIXED": True, "TRUNCATE": True, "MLOCKED": mlocked, "VMAS": "?"}
    assert invariants.prove(path("mlock_munlock"), consts).status == PROVED


SPINLOCK_LEMMAS = (
    "TestAndSet",
    "TicketsOnly",
    "TicketWrap",
    "QueueLength",
    "InWindow",
    "HolderOwns",
    "DistinctTickets",
)


@pytest.mark.parametrize(
    "consts",
    [
        {"CPUS": "?"},
        {"TICKET": True},
        {"TICKET": True, "CPUS": 3},
        {"TICKET": True, "CPUS": 4},
    ],
    ids=["test-and-set-CPUS=?", "TICKET-CPUS=2", "TICKET-CPUS=3", "TICKET-CPUS=4"],
)
def test_spinlock_fairness_mutual_exclusion_proved(consts):
    """With the spec's lemmas, MutualExclusion is inductive for test-and-set at any CPUS
    and for tickets at every CPUS of the declared range (2..4)."""
    result = invariants.prove(path("spinlock_fairness"), consts)
    assert (result.status, len(result.queries), result.fallback) == (PROVED, 63, None)
    assert result.lemmas == SPINLOCK_LEMMAS


@pytest.mark.slow
def test_spinlock_fairness_tickets_proved_for_any_number_of_cpus():
    """The ticket lock for any CPUS, after the test-and-set proof in the same process:
    the steps' `% (CPUS + 1)` over a symbolic CPUS is nonlinear, and z3's search on it
    depends on the terms its context holds. When every proof made its terms in z3's
    main context, InWindow at spin_lock timed out at 30 s after the test-and-set proof
    (and without a time limit ran past 10 minutes and 7 GB); each has its own now."""
    invariants.prove(path("spinlock_fairness"), {"CPUS": "?"})
    result = invariants.prove(path("spinlock_fairness"), {"TICKET": True, "CPUS": "?"}, timeout=120)
    assert (result.status, len(result.queries), result.fallback) == (PROVED, 63, None)
    assert result.lemmas == SPINLOCK_LEMMAS


@pytest.mark.parametrize("lock_root", [False, True])
@pytest.mark.parametrize("repeat", [False, True])
def test_anon_vma_walk_proved_for_any_number_of_walkers(lock_root, repeat):
    """With the spec's lemma (who holds each lock), ChildLockHeldOnlyToRead and the
    asserts are inductive in every mode, for a symbolic ROOT_WALKERS."""
    consts = {"LOCK_ROOT": lock_root, "REPEAT": repeat, "ROOT_WALKERS": "?"}
    result = invariants.prove(path("anon_vma_walk"), consts)
    assert result.status == PROVED
    assert result.lemmas == ("LockHolders",)
    assert len(result.queries) == 30


# rmap_vma_adjust, every expectation of the spec on both explorers: constants, the
# invariants checked (None: every invariant), and the outcome (kind, name, trace length)
# or, when it holds, the distinct states
RMAP_MODES = [
    ({"LOCK": 0}, None, ("invariant", "NoMigrationPteLeft", 6)),
    ({"LOCK": 1}, None, ("invariant", "NoMigrationPteLeft", 6)),
    ({"LOCK": 2}, None, 29),
    ({"LOCK": 0, "FAULTS": 3}, None, ("invariant", "NoMigrationPteLeft", 6)),
    ({"LOCK": 1, "FAULTS": 3}, None, ("invariant", "NoMigrationPteLeft", 6)),
    ({"LOCK": 2, "FAULTS": 3}, None, 57),
    ({"LOCK": 0}, ["OnlyThePagesPte"], ("assert", None, 8)),
    ({"LOCK": 1}, ["OnlyThePagesPte"], ("assert", None, 8)),
    ({"LOCK": 2}, ["OnlyThePagesPte"], 29),
]


@pytest.mark.parametrize("backend", ["tuple", "vector"])
@pytest.mark.parametrize(
    ("consts", "checks", "expected"),
    RMAP_MODES,
    ids=[
        "-".join([*(f"{k}={v}" for k, v in consts.items()), *(checks or ["all"])])
        for consts, checks, _ in RMAP_MODES
    ],
)
def test_rmap_vma_adjust_modes(backend, consts, checks, expected):
    """No lock in vma_adjust and the child's own anon_vma lock both leave the migration
    entry behind; the root's lock (012f18004da3) holds. The spec's expectations, pinned."""
    result = explorer.check(path("rmap_vma_adjust"), consts, invariants=checks, backend=backend)
    assert_expected(result, expected)


def test_rmap_child_anon_vma_lock_does_not_exclude_the_walk():
    """With vma->anon_vma's lock (the child's anon_vma), vma_adjust holds a lock that the
    walk of page_anon_vma(page) (the parent's) does not take: remove_migration_ptes runs
    between its two stores. Checking the assert alone, the fault meets the leftover entry
    once the page is unlocked and trips the BUG_ON in migration_entry_to_page."""
    result = explorer.check(path("rmap_vma_adjust"), {"LOCK": 1})
    assert steps(result) == [
        ("migrate", "lock_page"),
        ("migrate", "try_to_unmap"),
        ("migrate", "move_to_new_page"),
        ("mprotect", "vma_adjust"),
        ("migrate", "remove_migration_ptes"),
        ("migrate", "unlock_page"),
    ]
    diagram = format_cpu(spec.load(path("rmap_vma_adjust"), {"LOCK": 1}), result.violation)
    assert "anon_vma_lock[child_av]" in diagram.split("vma_adjust()")[1]
    bug = explorer.check(path("rmap_vma_adjust"), {"LOCK": 1}, invariants=["OnlyThePagesPte"])
    assert "BUG_ON(!PageLocked(p))" in bug.violation.message
    assert steps(bug)[-1] == ("mprotect", "vma_adjust_pgoff")
    failed = bug.violation.failed
    assert (failed.instance, failed.label) == ("fault[1]", "migration_entry_wait")


RMAP_LEMMAS = (
    "OnlyThePagesPte",
    "LockedByMigration",
    "AnonVmaLockHeld",
    "AnonVmaLockHolder",
    "MmapSem",
    "VmaFields",
    "EntryInWindow",
)


def test_rmap_vma_adjust_proved_for_any_number_of_faults():
    """With the root's lock, NoMigrationPteLeft and the BUG_ON are proved inductive for a
    symbolic FAULTS; with either other lock, induction fails exactly at the race: the
    leftover entry at unlock_page and the fault's BUG_ON."""
    fixed = invariants.prove(path("rmap_vma_adjust"), {"LOCK": 2, "FAULTS": "?"})
    assert fixed.status == PROVED
    assert fixed.lemmas == RMAP_LEMMAS
    for lock in (0, 1):
        broken = invariants.prove(path("rmap_vma_adjust"), {"LOCK": lock})
        assert broken.status == CTI
        assert sorted(q.action for q in broken.queries if q.status == CTI) == [
            "fault.migration_entry_wait",
            "migrate.unlock_page",
        ]


# rawio_cow, every expectation of the spec on both explorers: constants, and the length
# of the shortest trace to DataArrives' violation or, when it holds, the distinct states
RAWIO_MODES = [
    ({"KERNEL": 6}, ("invariant", "DataArrives", 9)),
    ({"KERNEL": 6, "WRITERS": 2}, ("invariant", "DataArrives", 9)),
    ({"KERNEL": 6, "WRITERS": 3}, ("invariant", "DataArrives", 9)),
    ({"KERNEL": 6, "REORDER": True}, ("invariant", "DataArrives", 9)),
    ({"KERNEL": 6, "REORDER": True, "WRITERS": 2}, ("invariant", "DataArrives", 9)),
    ({"KERNEL": 6, "REORDER": True, "WRITERS": 3}, ("invariant", "DataArrives", 9)),
    ({"KERNEL": 7}, 97),
    ({"KERNEL": 7, "WRITERS": 2}, 178),
    ({"KERNEL": 7, "WRITERS": 3}, 281),
    ({"KERNEL": 7, "REORDER": True}, 88),
    ({"KERNEL": 7, "REORDER": True, "WRITERS": 2}, 169),
    ({"KERNEL": 7, "REORDER": True, "WRITERS": 3}, 272),
    ({"KERNEL": 13}, 92),
    ({"KERNEL": 13, "WRITERS": 2}, 194),
    ({"KERNEL": 13, "WRITERS": 3}, 326),
    ({"KERNEL": 13, "REORDER": True}, 100),
    ({"KERNEL": 13, "REORDER": True, "WRITERS": 2}, ("invariant", "DataArrives", 11)),
    ({"KERNEL": 13, "REORDER": True, "WRITERS": 3}, ("invariant", "DataArrives", 11)),
]


@pytest.mark.parametrize("backend", ["tuple", "vector"])
@pytest.mark.parametrize(
    ("consts", "expected"),
    RAWIO_MODES,
    ids=["-".join(f"{k}={v}" for k, v in consts.items()) for consts, _ in RAWIO_MODES],
)
def test_rawio_cow_modes(backend, consts, expected):
    """2.6.6 loses the read; Andrea's page_count check (2.6.7) and c475a8ab625d's
    mapcount + swapcount (2.6.13) keep it, the latter only in its own order of
    do_swap_page. The spec's expectations, pinned."""
    result = explorer.check(path("rawio_cow"), consts, backend=backend)
    assert_expected(result, expected)


def test_rawio_data_lost_through_cow():
    """2.6.6: the pin makes do_swap_page's and do_wp_page's page_count 3 or more, so the
    write fault after the unmap copies the page the DMA is filling."""
    result = explorer.check(path("rawio_cow"), {"KERNEL": 6})
    assert steps(result) == [
        ("rawio", "get_user_pages"),
        ("reclaim", "lock_page"),
        ("reclaim", "try_to_unmap_one"),
        ("reclaim", "unlock_page"),
        ("user[1]", "lookup_swap_cache"),
        ("user[1]", "lock_page"),
        ("user[1]", "do_swap_page"),
        ("user[1]", "do_wp_page"),
        ("rawio", "dio_bio_end_io"),
    ]


def test_rawio_mapcount_check_needs_its_order():
    """c475a8ab625d's test in 2.6.12's do_swap_page: swap_free first makes the sum 0, and
    do_wp_page copies because a second faulting thread took the page lock after
    unlock_page. In c475a8ab625d's order the sum is 1 and no thread copies."""
    consts = {"KERNEL": 13, "REORDER": True, "WRITERS": 2}
    result = explorer.check(path("rawio_cow"), consts)
    assert steps(result)[-4:] == [
        ("user[1]", "do_swap_page"),
        ("user[2]", "lock_page"),
        ("user[1]", "do_wp_page"),
        ("rawio", "dio_bio_end_io"),
    ]
    assert steps(result)[1:3] == [("reclaim", "lock_page"), ("reclaim", "try_to_unmap_one")]


RAWIO_LEMMAS = (
    "PageLock",
    "PageTableLock",
    "PageCount",
    "SwapCount",
    "FaultWindow",
    "Pinned",
    "PinnedStaysMapped",
    "NeverCopied",
    "UnmapDone",
    "PinNotCopied",
    "DataStays",
)


@pytest.mark.parametrize(
    "consts",
    [{"KERNEL": 6, "WRITERS": 3}, {"KERNEL": 13, "REORDER": True, "WRITERS": 3}],
    ids=["KERNEL=6", "KERNEL=13-REORDER"],
)
def test_rawio_lemmas_hold_where_the_race_is(consts):
    """What the lemmas say of the fixes is guarded by KERNEL: they hold in the modes that
    lose the read too, so they assume nothing the kernel does not do."""
    result = explorer.check(path("rawio_cow"), consts, invariants=list(RAWIO_LEMMAS))
    assert result.verdict == HOLDS


def test_rawio_cow_proved_for_any_number_of_writers():
    """With the spec's lemmas, DataArrives is inductive for a symbolic WRITERS with the
    page_count check (either order) and with c475a8ab625d in its order; 2.6.6, and
    c475a8ab625d in 2.6.12's order with two writers, fail induction only at the DMA's
    completion."""
    for consts in [
        {"KERNEL": 7, "WRITERS": "?"},
        {"KERNEL": 7, "REORDER": True, "WRITERS": "?"},
        {"KERNEL": 13, "WRITERS": "?"},
    ]:
        fixed = invariants.prove(path("rawio_cow"), consts)
        assert fixed.status == PROVED, consts
        assert fixed.lemmas == RAWIO_LEMMAS
    for consts in [{"KERNEL": 6}, {"KERNEL": 13, "REORDER": True, "WRITERS": 2}]:
        broken = invariants.prove(path("rawio_cow"), consts)
        assert broken.status == CTI
        assert [q.action for q in broken.queries if q.status == CTI] == ["rawio.dio_bio_end_io"]


def test_rawio_mapcount_check_in_the_old_order_proved_with_one_writer():
    """c475a8ab625d in 2.6.12's order with one writing thread: do_wp_page's trylock can
    fail only against get_user_pages' own fault, before the pin, so the pinned page is
    never copied away (PinNotCopied)."""
    proof = invariants.prove(path("rawio_cow"), {"KERNEL": 13, "REORDER": True})
    assert proof.status == PROVED
    assert proof.lemmas == RAWIO_LEMMAS
    assert len(proof.queries) == 182


# async_buffer_migrate, every expectation of the spec on both explorers: constants, the
# outcome (kind, name, trace length) or, when it holds, the distinct states, and the
# covers reached
ASYNC_MODES = [
    ({"DESIGN": 0}, 200, {"GaveUpDirty"}),
    ({"DESIGN": 0, "ASYNC": False}, 784, {"Migrated", "JournalAfterMigration"}),
    ({"DESIGN": 1}, ("invariant", "AsyncNeverBlocks", 9), {"PartialRollback"}),
    ({"DESIGN": 1, "JOURNALS": 2}, ("invariant", "AsyncNeverBlocks", 9), {"PartialRollback"}),
    ({"DESIGN": 1, "ASYNC": False}, 784, {"Migrated", "JournalAfterMigration"}),
    ({"DESIGN": 2}, 819, {"Migrated", "PartialRollback", "JournalAfterMigration"}),
    ({"DESIGN": 2, "JOURNALS": 2}, 3186, {"Migrated", "PartialRollback", "JournalAfterMigration"}),
    ({"DESIGN": 2, "BUFS": 3}, 1401, {"Migrated", "PartialRollback", "JournalAfterMigration"}),
    ({"DESIGN": 2, "BUFS": 1}, 352, {"Migrated", "JournalAfterMigration"}),
    ({"DESIGN": 2, "ASYNC": False}, 784, {"Migrated", "JournalAfterMigration"}),
]


@pytest.mark.parametrize("backend", ["tuple", "vector"])
@pytest.mark.parametrize(
    ("consts", "expected", "covers"),
    ASYNC_MODES,
    ids=["-".join(f"{k}={v}" for k, v in consts.items()) for consts, _, _ in ASYNC_MODES],
)
def test_async_buffer_migrate_modes(backend, consts, expected, covers):
    """v3.2 never migrates the dirty page in async mode; the design b969c4ab9f18's
    comment rules out blocks; b969c4ab9f18 holds, and its partial-trylock rollback and a
    journal write from the new page happen. The spec's expectations, pinned."""
    result = explorer.check(path("async_buffer_migrate"), consts, backend=backend)
    assert_expected(result, expected)
    assert {c.name for c in result.covers if c.reached} == covers


def test_async_cannot_move_the_mapping_back():
    """The design ruled out: the slot points at the new page when the journal takes a
    buffer, the trylock fails, and a lookup that found the new page holds a reference,
    so page_freeze_refs(newpage) on the way back cannot succeed: async would block."""
    result = explorer.check(path("async_buffer_migrate"), {"DESIGN": 1})
    assert steps(result) == [
        ("migrate", "__unmap_and_move"),
        ("migrate", "move_to_new_page"),
        ("migrate", "migrate_page_move_mapping"),
        ("migrate", "radix_tree_replace_slot"),
        ("journal[1]", "lock_buffer"),
        ("migrate", "trylock_buffer"),
        ("migrate", "buffers_busy"),
        ("lookup", "find_get_page"),
        ("lookup", "page_cache_get_speculative"),
    ]


def mutated(name: str, *edits: tuple[str, str]) -> str:
    """The spec's text with each (old, new) edit made; each old text occurs once."""
    text = path(name).read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_async_buffer_migrate_invariants_are_not_vacuous():
    """Buffers moved after migration dropped their locks: the journal builds its bio from
    a page that no longer owns them. The sync lock loop skipped: the BUG_ON fires."""
    moved = mutated(
        "async_buffer_migrate",
        (
            "  buffers := newpage\n",
            "  buffers := newpage\n  unlock bh_lock[1]\n  unlock bh_lock[2]\n",
        ),
        ("  unlock bh_lock[i]\n  if i < BUFS { i := i + 1; goto unlock_buffer }", "  skip"),
        ("assert (forall b in Buf: held(bh_lock[b])) and", "assert"),
    )
    result = explorer.check(spec.load(moved, {"DESIGN": 2}))
    assert (result.violation.kind, result.violation.name) == (
        "invariant",
        "JournalWritesTheBuffersPage",
    )
    skipped = mutated(
        "async_buffer_migrate", ("  lock bh_lock[i]\n  if i < BUFS", "  skip\n  if i < BUFS")
    )
    bug = explorer.check(spec.load(skipped, {"DESIGN": 2, "ASYNC": False}))
    assert "BUG_ON(!buffer_migrate_lock_buffers(head, mode))" in bug.violation.message


# ksm_unmerge, every expectation of the spec on both explorers: constants, the outcome
# or the distinct states, and (when it holds) the covers reached
KSM_COVERS = {"MigrationFailed", "Migrated", "WaitedOnEntry"}
KSM_MODES = [
    ({"FIXED": False}, ("assert", None, 8), None),
    ({"FIXED": True}, 128, KSM_COVERS),
    ({"FIXED": False, "PTES": 3}, ("assert", None, 10), None),
    ({"FIXED": True, "PTES": 3}, 300, KSM_COVERS),
    ({"FIXED": True, "SWAPPED": 1}, ("invariant", "NoKsmPageLeft", 6), None),
    ({"FIXED": True, "SWAP_FIXED": True, "SWAPPED": 1}, 137, KSM_COVERS | {"FaultBehindUnmerge"}),
    ({"FIXED": True, "PTES": 2, "SWAPPED": 1}, ("invariant", "NoKsmPageLeft", 9), None),
    ({"FIXED": False, "SWAP_FIXED": True, "PTES": 2, "SWAPPED": 1}, ("assert", None, 9), None),
    (
        {"FIXED": True, "SWAP_FIXED": True, "PTES": 2, "SWAPPED": 1},
        335,
        KSM_COVERS | {"FaultBehindUnmerge"},
    ),
]


@pytest.mark.parametrize("backend", ["tuple", "vector"])
@pytest.mark.parametrize(
    ("consts", "expected", "covers"),
    KSM_MODES,
    ids=["-".join(f"{k}={v}" for k, v in consts.items()) for consts, _, _ in KSM_MODES],
)
def test_ksm_unmerge_modes(backend, consts, expected, covers):
    """Each cause is found without its fix (remove_stable_node's WARN, or a KSM page
    faulted back after it), and both fixes hold while migration both fails and succeeds
    and the fault comes behind the unmerge. The spec's expectations, pinned."""
    result = explorer.check(path("ksm_unmerge"), consts, backend=backend)
    assert_expected(result, expected)
    if covers is not None:
        assert {c.name for c in result.covers if c.reached} == covers


ASYNC_LEMMAS = (
    "TreeLock",
    "MigrateBufferLocks",
    "Rollback",
    "Cursors",
    "Result",
    "JournalBufferLocks",
    "JournalBufferNotMigrating",
    "BuffersOwner",
    "BhPage",
    "PageLocks",
    "OldCount",
    "NewCount",
    "AsyncTrylocks",
    "AsyncGivesUp",
    "SyncLocks",
)


def test_async_buffer_migrate_lemmas_hold_in_every_design():
    """The lemmas assume nothing the design ruled out does not do too."""
    result = explorer.check(
        path("async_buffer_migrate"), {"DESIGN": 1}, invariants=list(ASYNC_LEMMAS)
    )
    assert result.verdict == HOLDS


def test_async_buffer_migrate_proved():
    """With the spec's lemmas, the invariants and asserts are inductive for v3.2 and
    b969c4ab9f18 in either mode; in the design ruled out, induction fails exactly at the
    race: the failed trylock's way back and the lookup's reference to the new page."""
    for consts in [
        {"DESIGN": 0},
        {"DESIGN": 0, "ASYNC": False},
        {"DESIGN": 2},
        {"DESIGN": 2, "ASYNC": False},
        {"DESIGN": 2, "BUFS": 3, "JOURNALS": 3},
    ]:
        fixed = invariants.prove(path("async_buffer_migrate"), consts)
        assert fixed.status == PROVED, consts
        assert fixed.lemmas == ASYNC_LEMMAS
    broken = invariants.prove(path("async_buffer_migrate"), {"DESIGN": 1})
    assert broken.status == CTI
    assert sorted(q.action for q in broken.queries if q.status == CTI) == [
        "lookup.page_cache_get_speculative",
        "migrate.buffers_busy",
    ]


@pytest.mark.parametrize(
    "consts",
    [
        {"DESIGN": 0},
        {"DESIGN": 0, "ASYNC": False},
        {"DESIGN": 2},
        {"DESIGN": 2, "ASYNC": False},
        {"DESIGN": 2, "JOURNALS": 3},
    ],
    ids=["v3.2", "v3.2-sync", "b969c4ab9f18", "b969c4ab9f18-sync", "b969c4ab9f18-JOURNALS=3"],
)
def test_async_buffer_migrate_proved_for_any_bufs(consts):
    """The same lemmas prove v3.2 and b969c4ab9f18 for any number of buffer heads on the
    page."""
    result = invariants.prove(path("async_buffer_migrate"), {**consts, "BUFS": "?"})
    assert (result.status, result.lemmas, len(result.queries)) == (PROVED, ASYNC_LEMMAS, 414)
    assert result.fallback is None


@pytest.mark.parametrize("bufs", [2, "?"])
@pytest.mark.parametrize(
    "consts",
    [{"DESIGN": 0}, {"DESIGN": 0, "ASYNC": False}, {"DESIGN": 2}, {"DESIGN": 2, "ASYNC": False}],
    ids=["v3.2", "v3.2-sync", "b969c4ab9f18", "b969c4ab9f18-sync"],
)
def test_async_buffer_migrate_proved_for_any_journals(consts, bufs):
    """And for any number of journal commits, each choosing its buffer as an initial
    value (one z3 array of choices), with BUFS concrete or symbolic too."""
    result = invariants.prove(
        path("async_buffer_migrate"), {**consts, "JOURNALS": "?", "BUFS": bufs}
    )
    assert (result.status, result.lemmas, len(result.queries)) == (PROVED, ASYNC_LEMMAS, 414)
    assert result.fallback is None


def test_async_buffer_migrate_race_for_any_bufs():
    """In the design ruled out, induction fails at the same two steps for any BUFS."""
    broken = invariants.prove(path("async_buffer_migrate"), {"DESIGN": 1, "BUFS": "?"})
    assert broken.status == CTI
    assert sorted(q.action for q in broken.queries if q.status == CTI) == [
        "lookup.page_cache_get_speculative",
        "migrate.buffers_busy",
    ]


def test_ksm_unmerge_passes_the_migration_entry():
    """Hugh's 4th cause: follow_page skips the migration entry, the migrated page is
    mapped in its place, and remove_stable_node's WARN_ON_ONCE(page_mapped(page)) fires."""
    result = explorer.check(path("ksm_unmerge"), {"FIXED": False})
    assert ("unmerge", "follow_page") in steps(result)
    assert ("unmerge", "handle_mm_fault") not in steps(result)
    assert ("migrate", "remove_migration_ptes") in steps(result)
    assert "WARN_ON_ONCE(page_mapped(page))" in result.violation.message


def test_ksm_unmerge_faults_back_from_swapcache():
    """Cause 3: the fault maps the KSM page from the swap cache after unmerge passed."""
    result = explorer.check(path("ksm_unmerge"), {"FIXED": True, "SWAPPED": 1})
    assert steps(result)[-1] == ("fault", "ksm_might_need_to_copy")
    assert ("unmerge", "remove_stable_node") in steps(result)


def test_ksm_unmerge_reference_makes_migration_fail():
    """A reference break_ksm or migration_entry_wait holds makes the count check of
    migrate_page_move_mapping fail: without the reference count, migration never fails."""
    pinned = mutated("ksm_unmerge", ("  if page_count == (if", "  if true or page_count == (if"))
    result = explorer.check(spec.load(pinned, {"FIXED": True}))
    assert "MigrationFailed" not in {c.name for c in result.covers if c.reached}


def test_symmetry_keeps_verdicts():
    """Faulting threads, journal commits and writers are symmetric: fewer states, same
    verdict."""
    for name, consts, reduced, full in [
        ("rmap_vma_adjust", {"LOCK": 2, "FAULTS": 3}, 57, 119),
        ("async_buffer_migrate", {"DESIGN": 2, "JOURNALS": 2}, 3186, 5913),
        ("rawio_cow", {"KERNEL": 13, "WRITERS": 3}, 326, 1208),
    ]:
        with_sym = explorer.check(path(name), consts)
        without = explorer.check(path(name), consts, symmetry=False)
        assert (with_sym.verdict, without.verdict) == (HOLDS, HOLDS)
        assert (with_sym.stats.distinct, without.stats.distinct) == (reduced, full)


KSM_LEMMAS = (
    "LockedByMigration",
    "RefsCounted",
    "GotInBreakKsm",
    "BreakOnKsmPage",
    "RefInFault",
    "EntriesInWindow",
    "MovedOnSuccess",
    "SwapEntries",
    "RunUnmerge",
    "BrokenBehind",
    "AllBroken",
)


@pytest.mark.parametrize("ptes", [3, 8, "?"])
def test_ksm_unmerge_proved_for_ptes(ptes):
    """With the spec's lemmas, NoKsmPageLeft and remove_stable_node's WARN are inductive
    after the FOLL_MIGRATION fix (no swap entries), for any number of ptes ("?");
    before it, induction fails at the race's two steps."""
    fixed = invariants.prove(
        path("ksm_unmerge"), {"FIXED": True, "PTES": ptes}, invariants=["NoKsmPageLeft"]
    )
    assert fixed.status == PROVED
    assert fixed.lemmas == KSM_LEMMAS
    assert len(fixed.queries) == 195
    broken = invariants.prove(
        path("ksm_unmerge"), {"FIXED": False, "PTES": ptes}, invariants=["NoKsmPageLeft"]
    )
    assert broken.status == CTI
    assert sorted(q.action for q in broken.queries if q.status == CTI) == [
        "migrate.remove_migration_ptes",
        "unmerge.remove_stable_node",
    ]


@pytest.mark.parametrize(
    ("consts", "distinct"),
    [
        ({"FIXED": True, "SWAP_FIXED": True, "PTES": 3, "SWAPPED": 2}, 371),
        ({"FIXED": True, "PTES": 3, "SWAPPED": 2}, 334),
        ({"FIXED": False, "SWAP_FIXED": True, "PTES": 3, "SWAPPED": 1}, 607),
    ],
    ids=["fixed", "SWAP_FIXED=false", "FIXED=false"],
)
def test_ksm_unmerge_lemmas_hold(consts, distinct):
    """The lemmas hold on every reachable state, with the fixes or without them (the
    WARN left out, so that the exploration goes on past it)."""
    unwarned = mutated(
        "ksm_unmerge", ('  assert not (exists a in Addr: is_ksm(a)), "WARN_ON', "  skip # ")
    )
    result = explorer.check(spec.load(unwarned, consts), invariants=list(KSM_LEMMAS))
    assert (result.verdict, result.stats.distinct) == (HOLDS, distinct)


@pytest.mark.parametrize(
    "sizes",
    [{"SWAPPED": 1}, {"PTES": 2, "SWAPPED": 1}, {"PTES": "?", "SWAPPED": "?"}],
    ids=["SWAPPED=1", "PTES=2-SWAPPED=1", "PTES=?-SWAPPED=?"],
)
def test_ksm_unmerge_proved_with_swap_entries(sizes):
    """With both fixes (FOLL_MIGRATION, and do_swap_page copying under KSM_RUN_UNMERGE)
    the proof holds with swap entries too, for any numbers of ptes and swap entries
    ("?"); without the copy, induction fails at the fault mapping the KSM page and at
    the two steps that then leave it mapped (--check-cti: the invariant and the WARN
    really break)."""
    fixed = invariants.prove(
        path("ksm_unmerge"),
        {"FIXED": True, "SWAP_FIXED": True, **sizes},
        invariants=["NoKsmPageLeft"],
    )
    assert (fixed.status, fixed.lemmas, len(fixed.queries)) == (PROVED, KSM_LEMMAS, 195)
    assert fixed.fallback is None
    broken = invariants.prove(
        path("ksm_unmerge"), {"FIXED": True, **sizes}, invariants=["NoKsmPageLeft"]
    )
    assert broken.status == CTI
    assert sorted(q.action for q in broken.queries if q.status == CTI) == [
        "fault.ksm_might_need_to_copy",
        "migrate.remove_migration_ptes",
        "unmerge.remove_stable_node",
    ]


def outcome(result: Result) -> tuple | None:
    """The violation's kind, name and length, None if none: bmc's verdict where it finds
    none is bounded, the explorer's may be holds."""
    return verdict(result)[1:] or None


def assert_expected(result: Result, expected: int | tuple) -> None:
    """expected: the distinct states of a spec that holds, or the violation's outcome."""
    if isinstance(expected, int):
        assert result.verdict == HOLDS
        assert result.stats.distinct == expected
    else:
        assert result.verdict == VIOLATED
        assert outcome(result) == expected


# spec, constants, depth: BMC tries every depth up to it, so finding the shortest
# violation at that depth also agrees on every shallower one; after the fix, deep enough
# for the explorer to finish
BMC_CASES = [
    ("mlock_munlock", {"FIXED": False, "TRUNCATE": True}, 9),
    ("rmap_vma_adjust", {"LOCK": 0}, 6),
    ("rmap_vma_adjust", {"LOCK": 1}, 6),
    ("rmap_vma_adjust", {"LOCK": 2}, 9),
    ("rawio_cow", {"KERNEL": 6}, 9),
    ("async_buffer_migrate", {"DESIGN": 1, "BUFS": 1}, 9),
    # half the explorer's depth (18): z3 takes minutes for all of it
    ("async_buffer_migrate", {"DESIGN": 2, "BUFS": 1}, 9),
    ("ksm_unmerge", {"FIXED": False}, 8),
    ("ksm_unmerge", {"FIXED": True}, 8),
    # the fault-back race has two shortest traces of 6 steps (the WARN, or the invariant
    # after remove_stable_node): up to one step short of them
    ("ksm_unmerge", {"FIXED": True, "SWAPPED": 1}, 5),
    ("ksm_unmerge", {"FIXED": True, "SWAP_FIXED": True, "SWAPPED": 1}, 8),
]


@pytest.mark.parametrize(
    ("name", "consts", "depth"),
    BMC_CASES,
    ids=[f"{i}-depth{c[2]}" for i, c in zip(ids(BMC_CASES), BMC_CASES)],
)
def test_bmc_agrees_with_explorer(name, consts, depth):
    bmc = invariants.bmc(path(name), consts, depth=depth)
    bfs = explorer.check(path(name), consts, max_depth=depth, deadlock=False)
    assert outcome(bmc) == outcome(bfs)
    assert (bmc.verdict == VIOLATED) == (bfs.verdict == VIOLATED)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("consts", "depth"),
    [
        ({"KERNEL": 7}, 12),
        ({"KERNEL": 13}, 13),
        ({"KERNEL": 13, "REORDER": True, "WRITERS": 2}, 11),
    ],
    ids=["KERNEL=7", "KERNEL=13", "KERNEL=13-REORDER-WRITERS=2"],
)
def test_bmc_agrees_on_rawio_cow_modes(consts, depth):
    """Deep enough for the explorer to finish (the fixes) or to find the 11-step race."""
    bmc = invariants.bmc(path("rawio_cow"), consts, depth=depth)
    bfs = explorer.check(path("rawio_cow"), consts, max_depth=depth, deadlock=False)
    assert outcome(bmc) == outcome(bfs)
    assert bfs.verdict == (HOLDS if len(consts) == 1 else VIOLATED)


@pytest.mark.slow
@pytest.mark.parametrize("fixed", [False, True])
def test_bmc_agrees_on_mlock_munlock_at_depth_11(fixed):
    bmc = invariants.bmc(path("mlock_munlock"), {"FIXED": fixed}, depth=11)
    bfs = explorer.check(path("mlock_munlock"), {"FIXED": fixed}, max_depth=11, deadlock=False)
    assert outcome(bmc) == outcome(bfs)
    assert outcome(bfs) == (None if fixed else ("invariant", "NoLeak", 11))
