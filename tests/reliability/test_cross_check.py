"""Soundness cross-checks that could fail: on every spec of the library and of tests/specs,
for each setting of its `expect` lines, the ways of checking it agree.

The reference is the tuple back end with exact states and symmetry reduction. Then:
fingerprint mode finds the same verdict, count and trace length; without symmetry the
verdict and the shortest trace length are the same (more states); the vector back end
agrees in everything but the trace it picks; BMC and the explorer bounded at the same
small depth (deadlocks aside) find the same violation length, or none.
Specs without expectations are compared on a depth-bounded run. The comparisons are of
safety: temporal properties, which fingerprints, the vector back end and BMC refuse or
skip, are left out (tests/test_liveness_models.py and the differential tests compare
their verdicts where they are checked).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mmcheck import explorer
from mmcheck.explorer.core.result import BOUNDED, HOLDS, INCOMPLETE, VIOLATED, Result
from mmcheck.explorer.expect import expect_consts, find_specs, plan
from mmcheck.invariants import bmc
from mmcheck.spec.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from outcomes import verdict  # noqa: E402

SLOW_SPECS = ("migrate_page.mms",)  # seconds per run: the cases sit behind -m slow
UNBOUNDED_DEPTH = 3  # depth bound for specs that pin no expectation
BMC_DEPTH = 5  # deepest BMC run per case


def _cases(bmc_only_first: bool = False) -> list:
    """(path, constants, bounded) for each expectation of each spec, and each spec of
    tests/specs without one. With `bmc_only_first`, the cases after a spec's first are
    marked slow (z3 takes seconds on the larger specs)."""
    planned, broken = plan(
        find_specs([str(ROOT / "spec" / "models"), str(ROOT / "tests" / "specs")])
    )
    assert not broken, [b.error for b in broken]
    out = []
    seen = set()
    for p in planned:
        consts = expect_consts(p.base, p.expect)
        name = f"{p.path.name}[{p.consts}]"
        slow = p.path.name in SLOW_SPECS or (bmc_only_first and p.path in seen)
        seen.add(p.path)
        out.append(
            pytest.param(p.path, consts, False, id=name, marks=[pytest.mark.slow] if slow else [])
        )
    for path in find_specs([str(ROOT / "tests" / "specs")]):
        if path not in seen:
            out.append(pytest.param(path, {}, True, id=f"{path.name}[depth {UNBOUNDED_DEPTH}]"))
    return out


CASES = _cases()
BMC_CASES = _cases(bmc_only_first=True)


def run(path: Path, consts: dict, bounded: bool, **options: object) -> Result:
    if bounded:
        options.setdefault("max_depth", UNBOUNDED_DEPTH)
    options.setdefault("backend", "tuple")  # the reference: never switching to vector
    options.setdefault("properties", ())
    return explorer.check(path, consts, **options)


@pytest.fixture(scope="module")
def reference():
    """The reference result of each case, computed once."""
    cache: dict = {}

    def get(path: Path, consts: dict, bounded: bool) -> Result:
        key = (path, tuple(sorted(consts.items())), bounded)
        if key not in cache:
            cache[key] = run(path, consts, bounded)
        return cache[key]

    return get


@pytest.mark.parametrize(("path", "consts", "bounded"), CASES)
def test_fingerprint_agrees_with_exact(reference, path, consts, bounded):
    """(tests/specs/reliability_negative.mms holds slot values -1 and -2, which Python's
    hash does not tell apart.)"""
    ref = reference(path, consts, bounded)
    fp = run(path, consts, bounded, fingerprint=True)
    assert verdict(fp) == verdict(ref)
    assert fp.stats.distinct == ref.stats.distinct
    assert fp.stats.collision_probability is not None


@pytest.mark.parametrize(("path", "consts", "bounded"), CASES)
def test_symmetry_keeps_the_verdict(reference, path, consts, bounded):
    ref = reference(path, consts, bounded)
    full = run(path, consts, bounded, symmetry=False)
    assert verdict(full) == verdict(ref)
    assert full.stats.distinct >= ref.stats.distinct


@pytest.mark.parametrize(("path", "consts", "bounded"), CASES)
def test_vector_back_end_agrees(reference, path, consts, bounded):
    ref = reference(path, consts, bounded)
    vec = run(path, consts, bounded, backend="vector")
    assert verdict(vec) == verdict(ref)
    assert vec.stats.distinct == ref.stats.distinct
    if ref.violation:
        assert vec.violation.loc == ref.violation.loc


@pytest.mark.parametrize(("path", "consts", "bounded"), BMC_CASES)
def test_bmc_agrees_with_bounded_bfs(reference, path, consts, bounded):
    """Up to depth k (deadlocks aside), BMC finds a violation iff BFS does, of the same
    length; both find shortest ones, so neither has a shorter one the other missed.
    k is the reference's violation length, capped."""
    ref = reference(path, consts, bounded)
    depth = min(ref.violation.length if ref.violation else BMC_DEPTH, BMC_DEPTH)
    bfs = explorer.check(path, consts, max_depth=depth, deadlock=False, properties=())
    got = bmc(path, consts, depth=depth)
    assert got.verdict in (BOUNDED, VIOLATED), got.reason  # z3 never answered unknown
    if bfs.verdict == VIOLATED:
        assert got.verdict == VIOLATED, f"depth {depth}: BFS {verdict(bfs)}, BMC holds"
        assert got.violation.length == bfs.violation.length
    else:
        assert bfs.verdict in (HOLDS, INCOMPLETE)
        assert got.verdict == BOUNDED, f"depth {depth}: BMC {verdict(got)}, BFS holds"


WIDE_VALUES = """
var x : 0..0x7fffffffffffffff = 0x7ffffffffffffffe
action up
  when x < 0x7fffffffffffffff
  x' = x + 1
action halve
  when x == 0x7fffffffffffffff
  x' = (x + x) / 2 - 1
invariant NonNegative: x >= 0
"""


def test_vector_refuses_values_beyond_64_bits():
    """The vector back end computes in int64: where a value might leave it, it refuses
    at start-up, naming the place, instead of disagreeing with the tuple back end."""
    tup = explorer.check(WIDE_VALUES)
    assert verdict(tup) == (HOLDS,) and tup.stats.distinct == 2
    with pytest.raises(UsageError, match=r"<string>:\d+:\d+: a value may reach .* 64-bit"):
        explorer.check(WIDE_VALUES, backend="vector")


# CPython hashes ints modulo 2^61 - 1: 2^61 and 1 hash alike
WIDE_JUMP = """
var x : 0..0x2000000000000000 = 1
action jump
  when x == 1
  x' = 0x2000000000000000
invariant Small: x != 0x2000000000000000
terminal true
"""


def test_fingerprint_tells_values_2_61_apart():
    exact = explorer.check(WIDE_JUMP)
    assert verdict(exact) == (VIOLATED, "invariant", "Small", 1)
    assert verdict(explorer.check(WIDE_JUMP, fingerprint=True)) == verdict(exact)
