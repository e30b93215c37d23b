"""gup_cow.mms: a page pinned by get_user_pages and a COW fault, 2.6.6 to v5.19.

Every kernel (KERNEL 1..7) in every story (STORY 1: rawio after swap-out, 2: vmsplice in
the child, CVE-2020-29374, 3: fork with a pin) on the tuple and vector back ends; the
shortest races are the ones of the mails and commits; BMC agrees with the explorer; with
the spec's lemmas `prove` proves both invariants in every pair that holds and fails
induction only at the parent's write where the race is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcheck import explorer, invariants, spec
from mmcheck.explorer.core.result import HOLDS, VIOLATED
from mmcheck.explorer.report import format_cpu
from mmcheck.invariants.prove import CTI, PROVED
from tests.outcomes import steps

SPEC = Path(__file__).resolve().parent.parent / "spec" / "models" / "gup_cow.mms"

LEMMAS = (
    "Ptes",
    "Counts",
    "Exclusive",
    "PinnedStaysMapped",
    "ChildPinsItsOwn",
    "PinnedBeforeFork",
)

# (KERNEL, STORY): the violated invariant and the shortest trace's length, or the
# distinct states of the complete state space; docs/races/gup_cow.md's verdict table
MODES = {
    (1, 1): ("PinnedPageIsMapped", 3),
    (2, 1): 52,
    (3, 1): 48,
    (4, 1): 48,
    (5, 1): ("PinnedPageIsMapped", 4),
    (6, 1): ("PinnedPageIsMapped", 4),
    (7, 1): 44,
    (1, 2): 11,
    (2, 2): 11,
    (3, 2): ("NoWriteBehindPin", 4),
    (4, 2): 20,
    (5, 2): 11,
    (6, 2): 11,
    (7, 2): 11,
    (1, 3): ("PinnedPageIsMapped", 3),
    (2, 3): ("PinnedPageIsMapped", 3),
    (3, 3): ("PinnedPageIsMapped", 3),
    (4, 3): ("PinnedPageIsMapped", 3),
    (5, 3): ("PinnedPageIsMapped", 3),
    (6, 3): 15,
    (7, 3): 15,
}
HOLDING = [mode for mode, expected in MODES.items() if isinstance(expected, int)]
RACING = [mode for mode, expected in MODES.items() if not isinstance(expected, int)]


def consts(mode: tuple[int, int]) -> dict[str, int]:
    return {"KERNEL": mode[0], "STORY": mode[1]}


def mode_id(mode: tuple[int, int]) -> str:
    return f"KERNEL={mode[0]}-STORY={mode[1]}"


# each story's race and the kernels that close it, on the vector back end too
MAIN = [(1, 1), (2, 1), (5, 1), (7, 1), (3, 2), (4, 2), (5, 3), (6, 3)]
CASES = [(m, "tuple") for m in MODES] + [(m, "vector") for m in MAIN]


@pytest.mark.parametrize(("mode", "backend"), CASES, ids=[f"{mode_id(m)}-{b}" for m, b in CASES])
def test_every_kernel_in_every_story(mode, backend):
    result = explorer.check(SPEC, consts(mode), backend=backend)
    expected = MODES[mode]
    if isinstance(expected, int):
        assert result.verdict == HOLDS
        assert result.stats.distinct == expected
        # the racy interleaving's setup is reached: the verdict is not vacuous
        assert [c.name for c in result.covers if c.reached] == ["RaceSetUp"]
    else:
        assert result.verdict == VIOLATED
        v = result.violation
        assert (v.kind, v.name, v.length) == ("invariant", *expected)


def test_rawio_read_lost_on_2_6_6():
    """Andrea's case: the pinned swap-cache page is unmapped, and the write fault's
    can_share_swap_page counts the pin, so the process gets a copy."""
    result = explorer.check(SPEC, consts((1, 1)))
    assert steps(result) == [
        ("gup", "get_user_pages"),
        ("reclaim", "try_to_unmap_one"),
        ("parent", "handle_mm_fault"),
    ]


def test_page_count_reuse_brings_the_rawio_case_back():
    """09854ba94c6a: a read fault maps the swapped-out pinned page back read-only, and the
    write fault's page_count test sees the swap cache and the pin: a copy, as in 2.6.6.
    c475a8ab625d's mapcount + swapcount test reuses the page (KERNEL=3 holds)."""
    for kernel in (5, 6):
        result = explorer.check(SPEC, consts((kernel, 1)))
        assert steps(result) == [
            ("gup", "get_user_pages"),
            ("reclaim", "try_to_unmap_one"),
            ("reader", "do_swap_page"),
            ("parent", "handle_mm_fault"),
        ]


def test_cve_2020_29374_in_cpu_columns():
    """The commit message of 17839856fd58: the child pins the shared page read-only and
    unmaps it; the parent's write fault finds page_mapcount 1 and writes the page the
    child's pipe still holds."""
    program = spec.load(SPEC, consts((3, 2)))
    result = explorer.check(program)
    assert steps(result) == [
        ("fork", "copy_page_range"),
        ("gup", "get_user_pages"),
        ("child", "zap_pte_range"),
        ("parent", "handle_mm_fault"),
    ]
    lines = format_cpu(program, result.violation).splitlines()
    header = next(line for line in lines if line.startswith("CPU0"))
    assert header.split() == [
        "CPU0",
        "(gup)",
        "CPU1",
        "(fork)",
        "CPU2",
        "(child)",
        "CPU3",
        "(parent)",
    ]
    order = [
        "copy_page_range()",
        "get_user_pages()",
        "zap_pte_range()",
        "handle_mm_fault()",
        "do_wp_page()",
        "store()",
        "written_behind = true",
    ]
    at = [next(i for i, line in enumerate(lines) if line.strip() == name) for name in order]
    assert at == sorted(at)
    # do_wp_page reuses the page in place: no copy is made
    assert not any("pfn[parent_mm]" in line for line in lines[at[4] : at[5]])


def test_fork_with_a_pin_copies_for_the_parent():
    """Before 70e806e4e645, fork write-protects the pinned page and the parent's next
    write copies it, whatever the reuse test: the pin stays with the child's page."""
    for kernel in (1, 3, 5):  # page_count, mapcount, page_count == 1
        result = explorer.check(SPEC, consts((kernel, 3)))
        assert steps(result) == [
            ("gup", "get_user_pages"),
            ("fork", "copy_page_range"),
            ("parent", "handle_mm_fault"),
        ]


@pytest.mark.parametrize("mode", list(MODES), ids=[mode_id(m) for m in MODES])
def test_lemmas_hold_in_every_mode(mode):
    """What the lemmas say of each fix is guarded by KERNEL and STORY: they hold where
    the race is too, so they assume nothing the kernel does not do."""
    result = explorer.check(SPEC, consts(mode), invariants=list(LEMMAS))
    assert result.verdict == HOLDS


# (KERNEL, STORY), depth: the racy pairs at their shortest race's length, the others
# deep enough for the explorer to finish
BMC_CASES = [
    ((3, 2), 4),
    ((6, 3), 4),
    pytest.param((1, 1), 3, marks=pytest.mark.slow),
    pytest.param((5, 3), 3, marks=pytest.mark.slow),
    pytest.param((5, 1), 4, marks=pytest.mark.slow),
    pytest.param((2, 1), 6, marks=pytest.mark.slow),
    pytest.param((3, 1), 6, marks=pytest.mark.slow),
    pytest.param((7, 1), 6, marks=pytest.mark.slow),
    pytest.param((4, 2), 6, marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("mode", "depth"), BMC_CASES)
def test_bmc_agrees_with_the_explorer(mode, depth):
    bmc = invariants.bmc(SPEC, consts(mode), depth=depth)
    bfs = explorer.check(SPEC, consts(mode), max_depth=depth, deadlock=False)
    expected = MODES[mode]
    if isinstance(expected, int):
        assert bmc.verdict != VIOLATED
        assert bfs.verdict == HOLDS
    else:
        assert bmc.verdict == VIOLATED
        assert (bmc.violation.name, bmc.violation.length) == expected


def one_in_ci(modes: list[tuple[int, int]], kept: tuple[int, int]) -> list:
    """The modes, all but `kept` marked slow: one fast proof in CI, each a few seconds."""
    return [m if m == kept else pytest.param(m, marks=pytest.mark.slow) for m in modes]


@pytest.mark.parametrize("mode", one_in_ci(HOLDING, (7, 1)), ids=[mode_id(m) for m in HOLDING])
def test_proved_where_it_holds(mode):
    result = invariants.prove(SPEC, consts(mode))
    assert result.status == PROVED
    assert result.lemmas == LEMMAS


@pytest.mark.parametrize("mode", one_in_ci(RACING, (3, 2)), ids=[mode_id(m) for m in RACING])
def test_induction_fails_only_at_the_parents_write(mode):
    result = invariants.prove(SPEC, consts(mode))
    assert result.status == CTI
    failed = [(q.action, q.invariant) for q in result.queries if q.status == CTI]
    assert failed == [("parent.handle_mm_fault", MODES[mode][0])]
