"""Worker processes change nothing but the speed: same verdict, counts, depth and trace
as one process, whichever chunk a violation lies in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from mmcheck import explorer
from mmcheck.explorer.vector import engine as vector
from mmcheck.explorer.vector.workers import OwnerPool, default_workers

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from outcomes import everything  # noqa: E402 - a helper module beside the tests

ROOT = str(Path(__file__).resolve().parents[3])  # the repository
FILTER = os.path.join(ROOT, "bench", "specs", "peterson_filter.mms")
MLOCK = os.path.join(ROOT, "spec", "models", "mlock_munlock.mms")
MIGRATE = os.path.join(ROOT, "spec", "models", "migrate_page.mms")


def run(path, consts, workers, chunk=None, **kw):
    kw.setdefault("properties", ())  # safety: the vector back end checks no property
    old = vector.CHUNK
    if chunk is not None:
        vector.CHUNK = chunk
    try:
        return explorer.check(path, consts, backend="vector", workers=workers, **kw)
    finally:
        vector.CHUNK = old


def same(a, b):
    assert (a.verdict, a.stats.distinct, a.stats.generated, a.stats.depth) == (
        b.verdict,
        b.stats.distinct,
        b.stats.generated,
        b.stats.depth,
    )
    assert (a.violation is None) == (b.violation is None)
    if a.violation is not None:
        assert a.violation.kind == b.violation.kind
        assert a.violation.loc == b.violation.loc
        assert a.violation.trace == b.violation.trace


@pytest.mark.parametrize("workers", [2, 3])
def test_filter_lock_counts_identical(workers):
    one = run(FILTER, {"N": 4}, 1, chunk=5000)
    many = run(FILTER, {"N": 4}, workers, chunk=5000)
    same(one, many)
    assert (many.verdict, many.stats.distinct, many.stats.depth) == ("holds", 9820, 32)
    assert many.stats.workers == workers


@pytest.mark.parametrize("consts", [{"FIXED": False}, {"FIXED": False, "VMAS": 1}, {"FIXED": True}])
def test_mlock_violations_identical(consts):
    one = run(MLOCK, consts, 1, chunk=3)
    two = run(MLOCK, consts, 2, chunk=3)
    same(one, two)
    tuple_result = explorer.check(MLOCK, consts)
    assert two.verdict == tuple_result.verdict
    assert two.stats.distinct == tuple_result.stats.distinct
    if tuple_result.violation:
        assert two.violation.length == tuple_result.violation.length


@pytest.mark.parametrize("consts,steps", [({"PATCH10": False}, 11), ({"PATCH3": False}, 9)])
def test_violations_identical_with_small_chunks(consts, steps):
    """Small chunks: the level with the violation is expanded in many chunks by each
    worker, its states handed from owner to expander; two and three workers find the
    violation one process finds, by the same trace."""
    one = run(MIGRATE, consts, 1, chunk=64)
    for workers in (2, 3):
        same(one, run(MIGRATE, consts, workers, chunk=64))
    assert (one.verdict, one.violation.length) == ("violated", steps)


@pytest.mark.parametrize("consts", [{"VMAS": 3}, {"FIXED": True, "VMAS": 3}])
def test_small_slices_identical(consts, monkeypatch):
    """Levels cut in slices of 37 states and chunks of 8: every level's states handed to
    their expanders at its first slice, each slice a round of expansion; forked workers
    find what one process finds, to the trace."""
    one = everything(run(MLOCK, consts, 1))
    monkeypatch.setattr(vector, "SLICE", 37)
    for workers in (2, 3):
        assert everything(run(MLOCK, consts, workers, chunk=8)) == one


def test_fingerprint_mode_with_workers():
    one = run(FILTER, {"N": 4}, 1, fingerprint=True)
    two = run(FILTER, {"N": 4}, 2, fingerprint=True, chunk=4096)
    same(one, two)
    assert two.stats.collision_probability is not None


def test_pool_stops_cleanly_mid_level():
    # a max-states bound stops the search while chunks are still in flight
    r = run(FILTER, {"N": 4}, 2, chunk=100, max_states=3000)
    assert (r.verdict, r.stats.distinct) == ("incomplete", 3000)


def test_default_workers_is_the_cpu_count():
    assert default_workers() == len(os.sched_getaffinity(0))
    assert OwnerPool is not None
