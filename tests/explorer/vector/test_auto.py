"""--backend auto (explorer.vector.auto): the tuple back end, handing the search over to
the vector back end at a level boundary. Whenever and however it switches, the verdict,
distinct and generated counts, depth, reason, violation with its trace, and covers are
the tuple back end's (and, past a bound, the vector back end's, which agree)."""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer.core.options import SWITCH_AT, CheckOptions
from mmcheck.explorer.expect import expect_consts
from mmcheck.explorer.report.stats import format_stats
from mmcheck.spec.errors import UsageError

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "reliability"))
sys.path.insert(0, str(ROOT / "tests"))
import specgen  # noqa: E402 - a helper module beside the tests, not a package
from outcomes import identical  # noqa: E402

LOCAL_WORK = str(ROOT / "tests" / "specs" / "local_work.mms")
EXPLODE = str(ROOT / "tests" / "specs" / "explode.mms")
SPEC_FILES = sorted(
    p
    for p in glob.glob(str(ROOT / "tests" / "specs" / "*.mms"))
    + glob.glob(str(ROOT / "spec" / "models" / "*.mms"))
    if os.path.basename(p) not in ("migrate_page.mms", "explode.mms")  # seconds each
)


def test_auto_is_the_default_of_the_api_and_the_cli():
    from mmcheck.cli import build_parser
    from mmcheck.explorer.commands import check_options

    assert CheckOptions().backend == "auto" and CheckOptions().workers == 1
    args = build_parser().parse_args(["check", LOCAL_WORK])
    assert check_options(args) == CheckOptions()
    every_core = build_parser().parse_args(["check", LOCAL_WORK, "--workers", "all"])
    assert check_options(every_core).workers is None
    switch = build_parser().parse_args(["check", LOCAL_WORK, "--switch-at", "5"])
    assert check_options(switch) == CheckOptions(switch_at=5)
    help_text = build_parser().verbs["check"].format_help()
    assert "(default 1; all: every core" in " ".join(help_text.split())
    small = explorer.check(LOCAL_WORK)  # 1,296 states, no level of SWITCH_AT
    assert (small.stats.backend, small.stats.auto, small.stats.distinct) == ("tuple", None, 1296)
    assert "(tuple back end, 1 worker)." in format_stats(small.stats)


def switch_agrees(path: str, consts: dict, at: int) -> None:
    alone = explorer.check(path, consts, backend="tuple")
    auto = explorer.check(path, consts, switch_at=at)
    assert identical(auto) == identical(alone), (consts, at)
    assert auto.stats.backend == "tuple" or auto.stats.auto.startswith("tuple to depth ")


@pytest.mark.parametrize("path", SPEC_FILES, ids=os.path.basename)
def test_switching_keeps_the_library(path):
    """Three expectations a spec, switching at the first level or at one of 4 states."""
    prog = spec.load(path)
    for i, e in enumerate(prog.expects[:3]):
        switch_agrees(path, expect_consts(prog, e), 1 if i % 2 == 0 else 4)


@pytest.mark.slow
@pytest.mark.parametrize("path", SPEC_FILES, ids=os.path.basename)
def test_switching_keeps_every_expectation_of_the_library(path):
    prog = spec.load(path)
    for e in prog.expects:
        for at in (1, 4, 64):
            switch_agrees(path, expect_consts(prog, e), at)


def test_switching_keeps_random_specs():
    switched = 0
    for seed in range(12):
        g = specgen.generate(seed)
        for kw in ({}, {"max_states": 3000}):
            alone = explorer.check(g.text, backend="tuple", **kw)
            auto = explorer.check(g.text, switch_at=1, **kw)
            assert identical(auto) == identical(alone), (seed, kw, g.text)
            switched += auto.stats.backend == "vector"
    assert switched >= 4  # of the 24 runs (8 as specgen now writes them): the switch is tried


def test_the_switch_at_the_default_threshold_and_its_statistics():
    # ten counters: level d holds C(d + 9, 9) states (d <= 7), 11,440 at depth 7
    alone = explorer.check(EXPLODE, backend="tuple", max_states=25_000)
    auto = explorer.check(EXPLODE, max_states=25_000)
    assert identical(auto) == identical(alone)
    assert (alone.reason, alone.stats.depth) == ("max states 25000 reached", 7)
    assert SWITCH_AT == 10_000 and (auto.stats.backend, auto.stats.workers) == ("vector", 1)
    assert auto.stats.auto == "tuple to depth 7, vector from its level of 11,440 states"
    assert (
        format_stats(auto.stats)
        .splitlines()[2]
        .endswith(
            "(vector back end, 1 worker; auto: tuple to depth 7, vector from its level of "
            "11,440 states)."
        )
    )


@pytest.mark.parametrize(
    "kw",
    [
        {"max_states": 3000},  # cut by the vector back end, mid-level
        {"max_states": 40},  # cut by the tuple back end, before the switch
        {"max_depth": 6},
        {"coverage": True},
        {"deadlock": False},
        {"invariants": ["Bounded"]},
    ],
)
def test_bounds_and_options_across_the_switch(kw):
    consts = {"N": 5, "K": 4}
    alone = explorer.check(LOCAL_WORK, consts, backend="tuple", **kw)
    auto = explorer.check(LOCAL_WORK, consts, switch_at=20, **kw)
    assert identical(auto) == identical(alone)
    assert auto.coverage == alone.coverage and auto.branches == alone.branches
    assert auto.stats.backend == ("tuple" if kw.get("max_states") == 40 else "vector")


def test_a_violation_found_after_the_switch_has_the_tuple_trace():
    consts = {"N": 5, "K": 4, "LIMIT": 3}
    alone = explorer.check(LOCAL_WORK, consts, backend="tuple")
    auto = explorer.check(LOCAL_WORK, consts, switch_at=20)
    assert alone.verdict == "violated" and alone.violation.length == 24
    assert auto.stats.backend == "vector" and identical(auto) == identical(alone)


def test_given_initial_states_are_kept_across_the_switch():
    consts = {"N": 4, "K": 3}
    steps = explorer.check(LOCAL_WORK, {**consts, "LIMIT": 2}, backend="tuple").trace
    init = [steps[5].state, steps[2].state, steps[5].state]  # states mid-way, one twice
    alone = explorer.check(LOCAL_WORK, consts, backend="tuple", initial=init)
    auto = explorer.check(LOCAL_WORK, consts, switch_at=3, initial=iter(init))
    assert identical(auto) == identical(alone) and auto.stats.backend == "vector"
    assert alone.stats.distinct < 1296


@pytest.mark.parametrize("kw", [{"fingerprint": True}, {"workers": 2}])
def test_fingerprints_and_workers_search_again_on_vector(kw):
    """The tuple store cannot be taken over: past the threshold the vector back end
    searches from the start, with what it reports alone."""
    consts = {"N": 5, "K": 4}
    vector = explorer.check(LOCAL_WORK, consts, backend="vector", **kw)
    auto = explorer.check(LOCAL_WORK, consts, switch_at=20, **kw)
    assert identical(auto) == identical(vector)
    assert auto.stats.backend == "vector" and auto.stats.workers == vector.stats.workers
    assert auto.stats.auto.startswith("a tuple probe to depth 3 found a level of 35 states")


@pytest.mark.parametrize("kw", [{"por": True}, {"simulate": 3, "seed": 1, "depth": 8}])
def test_what_only_the_tuple_back_end_does_runs_there(kw):
    alone = explorer.check(LOCAL_WORK, backend="tuple", **kw)
    auto = explorer.check(LOCAL_WORK, switch_at=1, **kw)
    assert identical(auto) == identical(alone)
    assert (auto.stats.backend, auto.stats.auto) == ("tuple", None)


def test_a_spec_the_vector_back_end_cannot_compile_stays_on_tuple(monkeypatch):
    from mmcheck.explorer.vector import engine

    def refuse(*args, **kw):
        raise UsageError("the vector back end cannot check this spec: (a test)")

    monkeypatch.setattr(engine.VectorBFS, "of", refuse)
    alone = explorer.check(LOCAL_WORK, backend="tuple")
    auto = explorer.check(LOCAL_WORK, switch_at=1)
    assert identical(auto) == identical(alone) and auto.stats.backend == "tuple"
    assert auto.stats.auto == (
        "stayed on tuple: the vector back end cannot check this spec: (a test)"
    )


def test_switch_at_is_checked():
    with pytest.raises(UsageError, match="--switch-at goes with --backend auto"):
        CheckOptions(backend="tuple", switch_at=5)
    with pytest.raises(UsageError, match="--switch-at must not be negative"):
        CheckOptions(switch_at=-1)


def test_without_numba_auto_stays_on_tuple_and_vector_says_why(tmp_path):
    """A numba that does not import (a wheel built for another Python): --backend auto
    searches on the tuple back end alone and says why; --backend vector is a usage error
    naming it, never a traceback; a small spec under auto never imports numba."""
    import subprocess

    broken = tmp_path / "numba"
    broken.mkdir()
    (broken / "__init__.py").write_text('raise ImportError("llvmlite built for another Python")\n')
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    peterson = str(ROOT / "tests" / "specs" / "peterson.mms")

    def run(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "mmcheck", "check", peterson, *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)

    auto = run("--switch-at", "2")
    assert auto.returncode == 0, auto.stderr
    assert "(tuple back end, 1 worker; auto: stayed on tuple: the vector back end needs numba" in (
        auto.stdout.replace("\n", " ")
    )
    assert "HOLDS" in auto.stdout and "Traceback" not in auto.stderr
    vector = run("--backend", "vector")
    assert vector.returncode == 2 and "Traceback" not in vector.stderr
    assert "the vector back end needs numba and numpy, which do not import here" in vector.stderr
    assert "llvmlite built for another Python" in vector.stderr
    small = run()  # below the threshold: numba is never imported, so nothing is said
    assert small.returncode == 0 and "auto:" not in small.stdout, small.stdout
