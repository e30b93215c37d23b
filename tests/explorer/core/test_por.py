"""Partial-order reduction (--por, explorer.core.por): what it preserves, checked against
the unreduced search of the same back end, and the reduced counts pinned."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer import expect
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, VIOLATED, Result
from mmcheck.explorer.tuple.bfs import bfs, make_search
from mmcheck.spec.errors import UsageError

ROOT = Path(__file__).parents[3]
LOCAL_WORK = ROOT / "tests" / "specs" / "local_work.mms"
MODELS = sorted((ROOT / "spec" / "models").glob("*.mms"))
SLOW_MODELS = ("migrate_page.mms",)  # tens of seconds a run: behind -m slow

sys.path.insert(0, str(ROOT / "tests" / "reliability"))
sys.path.insert(0, str(ROOT / "tests"))
import specgen  # noqa: E402 - a helper module beside the reliability tests
from outcomes import verdict  # noqa: E402

CI_SEEDS = range(20)
SLOW_SEEDS = [*range(20, 50), *range(200_000, 201_500)]
MAX_STATES = 4000  # a random spec bigger than this unreduced is left out


def reduced_search(program: spec.ir.Program, **options: object) -> Result:
    """The reduced search alone, its violation as found (no re-run for the shortest)."""
    opts = CheckOptions(por=True, **options)  # type: ignore[arg-type]
    limits = Limits(None, None)
    return bfs(make_search(program, opts, limits), opts)


# --------------------------------------------------------------------------- reduction


@pytest.mark.parametrize(
    ("n", "k", "full", "por"),
    [(3, 2, 125, 17), (4, 3, 1296, 32), (6, 3, 46656, 88)],
)
def test_independent_local_steps_reduce_to_about_linear(n, k, full, por):
    """N workers with K private steps each: (K+3)^N states unreduced; reduced, the
    private steps of one worker at a time."""
    program = spec.load(LOCAL_WORK, {"N": n, "K": k})
    plain = explorer.check(program)
    reduced = explorer.check(program, por=True)
    assert (plain.verdict, plain.stats.distinct) == (HOLDS, full)
    assert (reduced.verdict, reduced.stats.distinct) == (HOLDS, por)
    s = reduced.stats
    assert s.por_reduced is not None and s.por_reduced > 0
    assert s.por_reduced + (s.por_full or 0) <= s.distinct
    assert plain.stats.por_reduced is None


def test_a_violation_is_found_again_unreduced_for_the_shortest_trace():
    program = spec.load(LOCAL_WORK, {"LIMIT": 2})
    plain = explorer.check(program)
    reduced = explorer.check(program, por=True)
    assert verdict(plain) == verdict(reduced) == (VIOLATED, "invariant", "Bounded", 15)
    assert [s.state for s in reduced.trace] == [s.state for s in plain.trace]
    assert reduced.stats.por_rerun == 1178
    assert reduced.stats.distinct < reduced.stats.por_rerun
    # the reduced search's own trace (replayed, so real): the same invariant, not shorter
    alone = reduced_search(program)
    assert (alone.verdict, alone.violation.name) == (VIOLATED, "Bounded")
    assert alone.violation.length >= 15


def test_a_rerun_stopped_by_a_bound_keeps_the_reduced_trace_and_says_so():
    program = spec.load(LOCAL_WORK, {"LIMIT": 2, "N": 6})
    reduced = explorer.check(program, por=True, max_states=2000)
    assert (reduced.verdict, reduced.violation.name) == (VIOLATED, "Bounded")
    assert reduced.stats.por_rerun is None
    assert any("not necessarily shortest" in w for w in reduced.warnings)


# --------------------------------------------------------------------------- library


def library_cases() -> list:
    """Every expectation of the library but a temporal property's: --por refuses to
    check properties (a reduced graph may lose the fair cycles), so those are safety's
    alone, checked without the properties."""
    planned, broken = expect.plan(MODELS)
    assert not broken
    return [
        pytest.param(
            p,
            id=f"{p.path.stem}:{p.consts}",
            marks=[pytest.mark.slow] if p.path.name in SLOW_MODELS else [],
        )
        for p in planned
        if p.expect.verdict != "property"
    ]


@pytest.mark.parametrize("planned", library_cases())
def test_every_library_expectation_is_met_with_por(planned):
    """The verdict, the violation's kind and name and its (shortest) length as the spec
    pins them; the reduced count at most the pinned unreduced one."""
    case = expect.run_case(planned, CheckOptions(por=True, properties=()))
    assert case.ok, (case.expected, case.got)
    if planned.expect.states is not None:
        assert case.states is not None and case.states <= planned.expect.states


# the reduced state counts of the library models at their defaults, and unreduced
LIBRARY_DEFAULTS = {
    "async_buffer_migrate.mms": (HOLDS, 819, 819),
    "ksm_unmerge.mms": (VIOLATED, 79, 79),
    "mlock_munlock.mms": (VIOLATED, 134, 134),
    "rawio_cow.mms": (VIOLATED, 75, 75),
    "rmap_vma_adjust.mms": (VIOLATED, 28, 28),
    "migrate_page.mms": (HOLDS, 203_757, 203_760),
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=[pytest.mark.slow] if n in SLOW_MODELS else [])
        for n in sorted(LIBRARY_DEFAULTS)
    ],
)
def test_library_reduced_counts_at_the_defaults(name):
    verdict, reduced, full = LIBRARY_DEFAULTS[name]
    program = spec.load(ROOT / "spec" / "models" / name)
    plain = explorer.check(program)
    por = reduced_search(program)
    assert (plain.verdict, plain.stats.distinct) == (verdict, full)
    assert (por.verdict, por.stats.distinct) == (verdict, reduced)
    if verdict == VIOLATED:
        assert por.violation.kind == plain.violation.kind
        assert por.violation.name == plain.violation.name


# --------------------------------------------------------------------------- random specs


def por_problems(seed: int) -> list[str]:
    """With and without --por, for each class of property alone (invariants, deadlocks,
    step errors) and all together: the reduced search alone has the same verdict (its
    violation may be another, found later: each class is preserved, not which of its
    violations comes first), no shorter a trace, and no more states; the same covers
    reached. With the re-run (what --por reports), the very same violation."""
    g = specgen.generate(seed)
    program = spec.load(g.text)
    got = []
    for what, options in (
        ("everything", {}),
        ("invariants", {"deadlock": False}),
        ("deadlocks", {"invariants": ()}),
        ("step errors", {"deadlock": False, "invariants": ()}),
        ("symmetry off", {"symmetry": False}),
    ):
        plain = explorer.check(program, max_states=MAX_STATES, **options)
        if plain.verdict == INCOMPLETE:
            return []
        por = reduced_search(program, **options)
        a, b = verdict(plain), verdict(por)
        if a[0] != b[0]:
            got.append(f"{what}: {a} without --por, {b} with")
        elif b[0] == VIOLATED and b[3] < a[3]:
            got.append(f"{what}: a trace of {b[3]} steps with --por, shortest {a[3]}")
        if por.stats.distinct > plain.stats.distinct and plain.verdict == HOLDS:
            got.append(f"{what}: {por.stats.distinct} states with --por, {plain.stats.distinct}")
        if plain.verdict == HOLDS and {c.name for c in plain.covers if c.reached} != {
            c.name for c in por.covers if c.reached
        }:
            got.append(f"{what}: other covers reached with --por")
    full = explorer.check(program, max_states=MAX_STATES)
    if full.verdict != INCOMPLETE and verdict(explorer.check(program, por=True)) != verdict(full):
        got.append("the re-run's violation is not the unreduced search's")
    return got


def assert_agrees(seed: int) -> None:
    problems = por_problems(seed)
    if problems:
        text = specgen.generate(seed).text
        pytest.fail(f"seed {seed}:\n  " + "\n  ".join(problems) + f"\n--- spec\n{text}")


@pytest.mark.parametrize("seed", CI_SEEDS)
def test_random_specs_agree_with_and_without_por(seed):
    assert_agrees(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_random_specs_agree_with_and_without_por_sweep(seed):
    assert_agrees(seed)


# --------------------------------------------------------------------------- refusals, CLI


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"backend": "vector"}, "the vector back end does no partial-order reduction"),
        ({"backend": "reference"}, "the reference back end does no partial-order reduction"),
        ({"simulate": 3}, "--por reduces an exhaustive search: not with --simulate"),
        ({"coverage": True}, "--coverage would count those"),
    ],
)
def test_what_por_is_refused_with(options, message):
    with pytest.raises(UsageError, match=message):
        explorer.check(LOCAL_WORK, por=True, **options)


def test_cli_says_por_was_on():
    run = subprocess.run(
        [sys.executable, "-m", "mmcheck", "check", str(LOCAL_WORK), "--por"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert (
        "Partial-order reduction: 16 states expanded through a stubborn subset of their "
        "steps, 15 fully (0 by the cycle proviso)." in run.stdout
    )
    assert "holds with 1296 states (state count not compared with --por)" in run.stdout
    assert "HOLDS: no violation in the complete state space (32 distinct states)." in run.stdout
    test = subprocess.run(
        [sys.executable, "-m", "mmcheck", "test", str(LOCAL_WORK), "--por"],
        capture_output=True,
        text=True,
    )
    assert test.returncode == 0, test.stdout + test.stderr
    assert "2 cases in 1 spec file: 2 passed" in test.stdout


def test_the_cycle_proviso_stops_a_private_loop_from_hiding_a_step():
    """A spinner's private loop commutes with the writer's step: without the proviso a
    reduced search could follow the loop forever and report HOLDS."""
    program = spec.load(ROOT / "tests" / "specs" / "por_ignoring.mms")
    alone = reduced_search(program)
    assert verdict(alone) == (VIOLATED, "invariant", "NotBad", 2)
    assert alone.stats.por_proviso == 1
    assert verdict(explorer.check(program, por=True)) == (VIOLATED, "invariant", "NotBad", 1)


def test_given_initial_states_serve_the_rerun_too():
    program = spec.load(LOCAL_WORK, {"LIMIT": 2})
    start = explorer.check(program).trace[0].state
    reduced = explorer.check(program, por=True, initial=iter([start]))
    assert verdict(reduced) == (VIOLATED, "invariant", "Bounded", 15)
    assert reduced.stats.por_rerun is not None and not reduced.warnings
