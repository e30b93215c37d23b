"""The same spec and flags give the same counts, verdict and trace on every run: run
after run, in fresh processes with different hash seeds, with one worker or several,
with either back end, in exact and fingerprint mode, and for seeded simulation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmcheck import explorer

ROOT = Path(__file__).resolve().parents[2]
MODELS, SPECS = ROOT / "spec" / "models", ROOT / "tests" / "specs"
sys.path.insert(0, str(ROOT / "tests"))
from outcomes import identical  # noqa: E402

# (spec, constants): violations of each kind, a symmetric spec, and two that hold
CASES = [
    pytest.param(MODELS / "mlock_munlock.mms", {"FIXED": False}, id="mlock_munlock"),
    pytest.param(MODELS / "ksm_unmerge.mms", {"FIXED": True, "PTES": 3}, id="ksm_unmerge-holds"),
    pytest.param(MODELS / "async_buffer_migrate.mms", {"DESIGN": 1, "JOURNALS": 3}, id="async_buffer"),
    pytest.param(SPECS / "symmetric_spinlock.mms", {"LOCKED": False}, id="symmetric"),
    pytest.param(SPECS / "philosophers.mms", {}, id="deadlock"),
    pytest.param(SPECS / "reliability_runtime.mms", {"ERR": 8}, id="lock-error"),
    pytest.param(SPECS / "peterson.mms", {}, id="peterson-holds"),
]  # fmt: skip


@pytest.mark.parametrize("fp", [False, True], ids=["exact", "fingerprint"])
@pytest.mark.parametrize(("path", "consts"), CASES)
def test_repeated_runs_are_identical(path, consts, fp):
    runs = [identical(explorer.check(path, consts, fingerprint=fp)) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]


@pytest.mark.parametrize(("path", "consts"), CASES)
def test_vector_runs_agree_whatever_the_workers(path, consts):
    """Several workers expand a level in chunks; the result must not depend on which
    worker finishes first."""
    runs = {
        w: identical(explorer.check(path, consts, backend="vector", workers=w)) for w in (1, 2, 3)
    }
    again = identical(explorer.check(path, consts, backend="vector", workers=3))
    assert runs[1] == runs[2] == runs[3] == again


@pytest.mark.parametrize(("path", "consts"), CASES)
def test_both_back_ends_decide_alike(path, consts):
    tup = explorer.check(path, consts, backend="tuple")
    vec = explorer.check(path, consts, backend="vector")
    assert (tup.verdict, tup.stats.distinct, tup.stats.depth) == (
        vec.verdict,
        vec.stats.distinct,
        vec.stats.depth,
    )
    if tup.violation:
        tv, vv = tup.violation, vec.violation
        assert (tv.kind, tv.name, tv.loc, tv.length) == (vv.kind, vv.name, vv.loc, vv.length)


@pytest.mark.parametrize("fixed", [False, True])
def test_seeded_simulation_repeats(fixed):
    """(The vector back end explores exhaustively only.)"""
    path = MODELS / "mlock_munlock.mms"
    runs = [
        identical(explorer.check(path, {"FIXED": fixed}, simulate=30, seed=7, depth=40))
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def cli_json(args: list[str], hash_seed: str) -> dict:
    """`mmcheck check --json` in a fresh process, without the timing fields."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    p = subprocess.run(
        [sys.executable, "-m", "mmcheck.cli", "check", *args, "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert p.returncode in (0, 1, 3), p.stderr
    doc = json.loads(p.stdout)
    for key in ("elapsed", "wall", "states_per_second", "bytes_per_state"):
        doc["stats"].pop(key)
    return doc


@pytest.mark.parametrize("args", [
    ["spec/models/mlock_munlock.mms"],
    ["tests/specs/symmetric_spinlock.mms", "-D", "LOCKED=false", "--fingerprint"],
    ["spec/models/rawio_cow.mms", "--backend", "vector", "--workers", "2"],
    ["spec/models/rmap_vma_adjust.mms", "-D", "FAULTS=3", "--simulate", "20", "--seed", "5"],
], ids=["tuple", "fingerprint-symmetry", "vector-2-workers", "simulate"])  # fmt: skip
def test_fresh_processes_with_different_hash_seeds_agree(args):
    """String hashing is randomized per process: nothing may depend on it."""
    first, second = cli_json(args, "1"), cli_json(args, "987654")
    assert first == second
    assert first["verdict"] in ("holds", "violated", "incomplete")
