"""Every bound and signal stops the tuple back end cleanly: INCOMPLETE with the reason
and the statistics so far, never HOLDS; a spec with 10^9 states included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mmcheck import explorer
from mmcheck.explorer.core.result import INCOMPLETE

SPECS = str(Path(__file__).resolve().parents[2] / "specs")
EXPLODE = os.path.join(SPECS, "explode.mms")
PETERSON = os.path.join(SPECS, "peterson.mms")


def test_max_depth():
    r = explorer.check(PETERSON, backend="tuple", max_depth=3)
    assert r.verdict == INCOMPLETE and r.reason == "max depth 3 reached"
    assert (r.stats.depth, r.stats.distinct) == (3, 10)
    assert r.exit_code == 3


def test_max_depth_beyond_the_graph_is_complete():
    assert explorer.check(PETERSON, backend="tuple", max_depth=7).verdict == "holds"
    assert explorer.check(PETERSON, backend="tuple", max_depth=6).verdict == INCOMPLETE


def test_max_states():
    r = explorer.check(EXPLODE, backend="tuple", max_states=5000)
    assert r.verdict == INCOMPLETE and r.reason == "max states 5000 reached"
    assert r.stats.distinct == 5000 and r.stats.queue > 0 and r.stats.generated > 5000


def test_time_limit_on_a_huge_space():
    t0 = time.perf_counter()
    r = explorer.check(EXPLODE, backend="tuple", time_limit=0.5, fingerprint=True)
    assert r.verdict == INCOMPLETE and r.reason.startswith("time limit")
    assert time.perf_counter() - t0 < 5 and r.stats.distinct > 1000
    assert 0.5 <= r.stats.elapsed < 5


def test_memory_limit():
    from mmcheck.explorer.core.limits import GIB, rss_bytes

    limit = (rss_bytes() + (20 << 20)) / GIB  # 20 MiB more than now
    r = explorer.check(EXPLODE, backend="tuple", memory_limit=limit)
    assert r.verdict == INCOMPLETE and r.reason.startswith("memory limit")
    assert r.stats.distinct > 10_000
    assert (
        explorer.check(EXPLODE, backend="tuple", memory_limit=0.001).stats.distinct == 0
    )  # stops at once


def test_simulation_never_holds():
    r = explorer.check(EXPLODE, backend="tuple", simulate=3, seed=0, depth=10)
    assert r.verdict == INCOMPLETE and r.reason == "simulation"
    assert r.stats.generated > 30 and r.stats.depth == 10


CHILD = """
import sys
from mmcheck import explorer
r = explorer.check(sys.argv[1], backend="tuple", fingerprint=True,
                   progress=lambda s: s.distinct and print("searching", flush=True))
print(r.verdict, r.reason, r.stats.distinct > 0, r.stats.elapsed > 0, flush=True)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly(sig):
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, EXPLODE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline() == "searching\n"  # the search runs: handlers are set
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err
    assert out.splitlines()[-1] == f"incomplete interrupted ({signal.Signals(sig).name}) True True"


def test_signal_handler_restored():
    before = signal.getsignal(signal.SIGINT)
    explorer.check(PETERSON, backend="tuple")
    assert signal.getsignal(signal.SIGINT) is before
