"""dirty_cow.mms: Dirty COW (CVE-2016-5195) and the 2005 race before it.

2.6.12's get_user_pages looks a forced write up as a read after any fault, so a reader's
read-only pte, mapped while the write fault backs out, is written (Robin Holt's report);
from f33ea7f404e5 to v4.8 FOLL_WRITE is dropped once the fault broke COW, and
madvise(MADV_DONTNEED) zapping the copy makes the read lookup fault the file's page in
(Dirty COW). 4ceb5db9757a (pte_dirty) and 19be0eaffa3a (FOLL_COW + pte_dirty) hold, the
write reaching the private copy, and the spec's lemmas make that inductive. BMC agrees
with the explorer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcheck import explorer, invariants, spec
from mmcheck.explorer.core.result import HOLDS, VIOLATED, Result
from mmcheck.explorer.report import format_cpu
from mmcheck.invariants.cti import check_cti
from mmcheck.invariants.prove import CTI, PROVED
from tests.outcomes import steps
from tests.test_models import outcome

SPEC = Path(__file__).resolve().parent.parent / "spec" / "models" / "dirty_cow.mms"
INVARIANT = "FilePageNeverWritten"
LEMMAS = ("DirtyIsCopy", "WriteKept", "NoFileMapped", "WritesCopy")

# constants, then the shortest violation's length or, where it holds, the distinct
# states and the covers reached: the spec's expectations
MODES = [
    ({"KERNEL": 0}, 6),
    ({"KERNEL": 0, "READER": False}, (11, {"CopyWritten"})),
    ({"KERNEL": 1}, (26, {"CopyWritten", "ReaderMappedUnderFault"})),
    ({"KERNEL": 1, "READER": False}, (8, {"CopyWritten"})),
    ({"KERNEL": 2}, 8),
    ({"KERNEL": 2, "READER": False}, 12),
    ({"KERNEL": 3}, (58, {"CopyWritten", "ReaderMappedUnderFault", "CopyZappedAfterCow"})),
    ({"KERNEL": 3, "READER": False}, (24, {"CopyWritten", "CopyZappedAfterCow"})),
    ({"KERNEL": 4}, 9),
    ({"KERNEL": 4, "READER": False}, (24, {"CopyWritten", "CopyZappedAfterCow"})),
    ({"KERNEL": 5}, (58, {"CopyWritten", "ReaderMappedUnderFault", "CopyZappedAfterCow"})),
    ({"KERNEL": 5, "READER": False}, (24, {"CopyWritten", "CopyZappedAfterCow"})),
]


def name(consts: dict) -> str:
    return "-".join(f"{k}={v}" for k, v in consts.items())


def assert_mode(result: Result, expected: int | tuple[int, set[str]]) -> None:
    if isinstance(expected, int):
        assert result.verdict == VIOLATED
        v = result.violation
        assert (v.kind, v.name, v.length) == ("invariant", INVARIANT, expected)
    else:
        states, covers = expected
        assert result.verdict == HOLDS
        assert result.stats.distinct == states
        assert {c.name for c in result.covers if c.reached} == covers


@pytest.mark.parametrize(("consts", "expected"), MODES, ids=[name(c) for c, _ in MODES])
def test_modes(consts, expected):
    assert_mode(explorer.check(SPEC, consts), expected)


@pytest.mark.parametrize(
    ("consts", "expected"), [MODES[4], MODES[6], MODES[8]], ids=["v4.8", "fix", "thp"]
)
def test_modes_on_the_vector_back_end(consts, expected):
    assert_mode(explorer.check(SPEC, consts, backend="vector"), expected)


def test_dirty_cow_is_the_exploit():
    """v4.8 without the reader: the COW fault, do_wp_page's reuse with VM_FAULT_WRITE
    dropping FOLL_WRITE, madvise's zap, then the read lookup faults the file's page in
    read-only and returns it."""
    result = explorer.check(SPEC, {"KERNEL": 2, "READER": False})
    gup = ["follow_page_mask", "handle_pte_fault", "do_fault"]
    assert steps(result) == [
        *[("gup", s) for s in gup],
        *[("gup", s) for s in ("follow_page_mask", "handle_pte_fault", "do_wp_page")],
        ("madvise", "zap_pte_range"),
        *[("gup", s) for s in gup],
        ("gup", "follow_page_mask"),
        ("gup", "access_remote_vm"),
    ]
    diagram = format_cpu(spec.load(SPEC, {"KERNEL": 2, "READER": False}), result.violation)
    header = next(line for line in diagram.splitlines() if line.startswith("CPU0"))
    assert header.split() == ["CPU0", "(gup)", "CPU1", "(madvise)"]
    order = ["do_wp_page()", "foll_write = false", "zap_pte_range()", "pte.map = file_page"]
    at = [diagram.index(text) for text in order]
    assert at == sorted(at)
    assert diagram.index("access_remote_vm()") < diagram.index("file_written = true")


def test_robin_holt_race_needs_no_madvise():
    """2.6.12: the reader's pte comes between the write fault's read of the pte and its
    recheck; the fault backs out, lookup_write is cleared anyway, and the read lookup
    returns the file's page."""
    result = explorer.check(SPEC, {"KERNEL": 0})
    assert steps(result) == [
        ("gup", "follow_page_mask"),
        ("gup", "handle_pte_fault"),
        ("reader", "do_read_fault"),
        ("gup", "do_fault"),
        ("gup", "follow_page_mask"),
        ("gup", "access_remote_vm"),
    ]


def test_foll_cow_needs_the_dirty_bit(tmp_path):
    """19be0eaffa3a validates FOLL_COW with pte_dirty: without it, FOLL_COW outlives the
    zapped copy and the reader's clean pte of the file's page is followed for write. The
    exploit's two threads alone do not show it (GUP's own faults stay writes)."""
    source = SPEC.read_text()
    validated = "  else if KERNEL >= 3 then foll_cow and pte.dirty\n"
    assert source.count(validated) == 1
    unvalidated = tmp_path / "dirty_cow.mms"
    unvalidated.write_text(source.replace(validated, "  else if KERNEL >= 3 then foll_cow\n"))
    result = explorer.check(unvalidated, {"KERNEL": 3})
    assert outcome(result) == ("invariant", INVARIANT, 8)
    assert steps(result)[3:6] == [
        ("gup", "do_wp_page"),
        ("madvise", "zap_pte_range"),
        ("reader", "do_read_fault"),
    ]
    assert explorer.check(unvalidated, {"KERNEL": 3, "READER": False}).verdict == HOLDS


def test_huge_dirty_cow_is_the_readers_touch():
    """8310d48b125d: FOLL_COW outlives the zapped copy as with 4K pages, and the
    reader's FOLL_TOUCH lookup of the huge zero page's pmd makes it dirty, so the forced
    write follows it; a8f97366452e dirties the pmd only for a write lookup."""
    result = explorer.check(SPEC, {"KERNEL": 4})
    assert steps(result)[-5:] == [
        ("madvise", "zap_pte_range"),
        ("reader", "do_read_fault"),
        ("reader", "do_read_fault"),
        ("gup", "follow_page_mask"),
        ("gup", "access_remote_vm"),
    ]
    diagram = format_cpu(spec.load(SPEC, {"KERNEL": 4}), result.violation).splitlines()
    touch = max(i for i, line in enumerate(diagram) if line.strip() == "do_read_fault()")
    assert diagram[touch + 1].strip() == "pte.dirty = true"


@pytest.mark.parametrize("reader", [True, False])
@pytest.mark.parametrize("kernel", [0, 2, 4])
def test_lemmas_hold_where_the_race_is(kernel, reader):
    """What the lemmas say of the fixes is guarded by KERNEL and READER: they hold in
    the racy kernels too, so they assume nothing the kernel does not do."""
    consts = {"KERNEL": kernel, "READER": reader}
    result = explorer.check(SPEC, consts, invariants=list(LEMMAS))
    assert result.verdict == HOLDS


def test_proved_with_the_fixes():
    """With the lemmas, FilePageNeverWritten is inductive with 4ceb5db9757a and with
    19be0eaffa3a (and a8f97366452e), with or without the reader, and without the reader
    in 2.6.12 and 8310d48b125d (where the race needs it); with the reader there, and in
    v4.8, induction fails only at the write into the page, from a state that is really
    reached."""
    holding = [(k, r) for k in (1, 3, 5) for r in (True, False)] + [(0, False), (4, False)]
    for kernel, reader in holding:
        proof = invariants.prove(SPEC, {"KERNEL": kernel, "READER": reader})
        assert proof.status == PROVED, (kernel, reader)
        assert len(proof.queries) == 48
        assert proof.lemmas == LEMMAS
    for kernel, reader in [(0, True), (2, True), (2, False), (4, True)]:
        broken = invariants.prove(SPEC, {"KERNEL": kernel, "READER": reader})
        assert broken.status == CTI
        (cti,) = [q for q in broken.queries if q.status == CTI]
        assert (cti.invariant, cti.action) == (INVARIANT, "gup.access_remote_vm")
        assert check_cti(cti.program, cti.cti).verdict == "reachable"


# constants, depth, slow: every depth up to it, so the shortest violation found at
# that depth agrees on every shallower one; after the fix, as deep as the explorer's
# search (12) behind -m slow, 8 in CI
BMC = [
    ({"KERNEL": 0}, 6, False),
    ({"KERNEL": 1}, 8, False),
    ({"KERNEL": 2}, 8, False),
    ({"KERNEL": 2, "READER": False}, 12, True),
    ({"KERNEL": 3}, 8, False),
    ({"KERNEL": 3}, 12, True),
    ({"KERNEL": 4}, 9, False),
]


@pytest.mark.parametrize(
    ("consts", "depth"),
    [
        pytest.param(c, d, marks=[pytest.mark.slow] if slow else [], id=f"{name(c)}-depth{d}")
        for c, d, slow in BMC
    ],
)
def test_bmc_agrees_with_explorer(consts, depth):
    bmc = invariants.bmc(SPEC, consts, depth=depth)
    bfs = explorer.check(SPEC, consts, max_depth=depth, deadlock=False)
    assert outcome(bmc) == outcome(bfs)
    assert (bmc.verdict == VIOLATED) == (bfs.verdict == VIOLATED)
