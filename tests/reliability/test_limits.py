"""Bounds stop a run cleanly, and no bound is ever reported as a proof.

tests/specs/explode.mms has 8^10 (about 10^9) reachable states: every run of it ends on
a bound, INCOMPLETE with exit status 3 and the statistics so far. Time and memory
limits, and SIGINT / SIGTERM sent to a running `mmcheck check`, stop it the same way.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mmcheck import explorer
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE

ROOT = Path(__file__).resolve().parents[2]
EXPLODE = ROOT / "tests" / "specs" / "explode.mms"
HUGE_INIT = "var x : 0..100000000 in 0..100000000\nterminal true\n"  # 10^8 initial states


def assert_incomplete(run, reason: str) -> None:
    assert run.rc == 3, run.text
    assert "INCOMPLETE" in run.out and reason in run.out, run.out
    assert "HOLDS" not in run.out
    assert "distinct states found" in run.out  # the statistics so far


# ------------------------------------------------------------------ the exploding spec


@pytest.mark.parametrize("backend", ["tuple", "vector"])
@pytest.mark.parametrize("fingerprint", [False, True])
def test_explode_stops_at_max_states(backend, fingerprint):
    result = explorer.check(EXPLODE, max_states=5000, backend=backend, fingerprint=fingerprint)
    assert result.verdict == INCOMPLETE
    assert result.reason == "max states 5000 reached"
    assert result.exit_code == 3
    assert 0 < result.stats.distinct <= 5000


@pytest.mark.parametrize("backend", ["tuple", "vector"])
def test_explode_stops_at_max_depth(backend):
    result = explorer.check(EXPLODE, max_depth=3, backend=backend)
    assert result.verdict == INCOMPLETE
    assert "max depth 3" in (result.reason or "")
    # levels 0..3 of ten counters: the states whose counts sum to at most 3
    assert result.stats.distinct == 1 + 10 + 55 + 220


def test_explode_simulation_is_not_a_proof():
    result = explorer.check(EXPLODE, simulate=20, seed=1, depth=30)
    assert result.verdict == INCOMPLETE


def test_a_holding_spec_simulated_is_not_a_proof():
    result = explorer.check(ROOT / "tests" / "specs" / "peterson.mms", simulate=50, seed=3)
    assert result.verdict == INCOMPLETE and result.exit_code == 3


def test_explode_cli_says_incomplete(mm):
    run = mm.run_inprocess(["check", str(EXPLODE), "--max-states", "3000"])
    assert_incomplete(run, "max states 3000 reached")
    assert "proves nothing about the rest" in run.out


# ------------------------------------------------------------------ time and memory


@pytest.mark.parametrize("backend", ["tuple", "vector"])
def test_time_limit_stops_cleanly(mm, backend):
    start = time.monotonic()
    run = mm.run_inprocess(["check", str(EXPLODE), "--time-limit", "1", "--backend", backend])
    took = time.monotonic() - start
    assert_incomplete(run, "time limit of 1 s reached")
    assert took < 6, f"--time-limit 1 took {took:.1f} s"


# runs the CLI and then reports its own peak RSS: VmHWM, the high-water mark of this
# program's memory. Not getrusage: RUSAGE_CHILDREN in the test process gives the largest
# peak of any child so far, and a child's RUSAGE_SELF keeps, across the exec, the
# resident set of the test process it was forked from (hundreds of MB late in a run)
PEAK_WRAPPER = (
    "import re, sys\n"
    "from mmcheck.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "hwm = re.search(r'^VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read(), re.M)\n"
    "print('peak KiB', hwm.group(1), file=sys.stderr)\n"
    "sys.exit(rc)\n"
)


def test_memory_limit_stops_before_growing_past_it(mm):
    """A child with a 0.3 GB bound on a spec that would take ~200 GB: it stops near the
    bound (its peak RSS is measured by the kernel, not by mmcheck). The search reads its
    RSS every 4,096 states; in between, the visited set's hash table may be rebuilt at
    twice the size while the old one is still alive (at about 1.4 million states, where
    this search crosses the bound), so a peak up to twice the bound is the guarantee
    (seen: 330-350 MiB)."""
    limit_gb = 0.3
    argv = ["check", str(EXPLODE), "--memory-limit", str(limit_gb), "--time-limit", "120"]
    p = subprocess.run(
        [sys.executable, "-c", PEAK_WRAPPER, *argv],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=180,
        cwd=mm.ROOT,
    )
    peak = re.search(r"^peak KiB (\d+)$", p.stderr, re.M)
    err = p.stderr[: peak.start()] if peak else p.stderr
    assert_incomplete(mm.Run(argv, p.returncode, p.stdout, err), "memory limit of 0.3 GiB reached")
    assert peak, p.stderr[-2000:]
    peak_kib = int(peak.group(1))
    assert peak_kib * 1024 < 2 * limit_gb * (1 << 30), f"peak RSS {peak_kib} KiB"


def test_time_limit_holds_while_computing_initial_states(mm, spec_file):
    """10^8 initial states: the bound covers computing them too."""
    path = spec_file(HUGE_INIT)
    run = mm.run_subprocess(["check", str(path), "--time-limit", "1"], timeout=20)
    assert_incomplete(run, "time limit")


# ------------------------------------------------------------------ signals


def cpu_seconds(pid: int) -> float:
    """CPU time a process and its live children have used so far (Linux /proc): with
    workers, the main process mostly waits for them."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:  # ended meanwhile
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(k)) for k in kids)


def start_check(args: list[str], busy: float = 2.0) -> subprocess.Popen:
    """`mmcheck check` running in a child, once it has used `busy` s of CPU: past its
    imports and loading (under a second), well into its work, however loaded the
    machine is."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmcheck.cli", "check", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 120
    while cpu_seconds(proc.pid) < busy and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    return proc


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("flags", [[], ["--fingerprint"], ["--backend", "vector"],
                                   ["--backend", "vector", "--workers", "2"]],
                         ids=["tuple", "fingerprint", "vector", "vector-2-workers"])  # fmt: skip
def test_signal_prints_statistics_and_exits_3(mm, sig, flags):
    proc = start_check([str(EXPLODE), *flags])
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    run = mm.Run([], proc.returncode, out, err)
    mm.assert_clean(run)
    assert_incomplete(run, f"interrupted ({sig.name})")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_while_computing_initial_states(mm, spec_file, sig):
    proc = start_check([str(spec_file(HUGE_INIT))])
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    run = mm.Run([], proc.returncode, out, err)
    mm.assert_clean(run)
    assert_incomplete(run, f"interrupted ({sig.name})")


# specs whose size, not their state space, is out of reach: the front end must answer
# (an error, or a summary) in seconds, not hang or exhaust memory
HUGE_SPECS = {
    "slots": "const N = 1000000000\nvar a : [1..N] -> bool = [i in 1..N |-> false]\n",
    "processes": "const N = 1000000000\nprocess p[self in 1..N] { l: skip }\n",
    "def-doubling": "var x : 0..1 = 0\ndef d0 = x\n" + "".join(
        f"def d{k} = d{k - 1} + d{k - 1}\n" for k in range(1, 40)) + "invariant I: d39 >= 0\n",
}  # fmt: skip


def limited_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.mark.parametrize("name", sorted(HUGE_SPECS))
def test_huge_specs_are_refused_quickly(mm, spec_file, name):
    path = spec_file(HUGE_SPECS[name])
    p = subprocess.run(
        [sys.executable, "-m", "mmcheck.cli", "typecheck", str(path)],
        capture_output=True,
        text=True,
        timeout=5,
        preexec_fn=limited_memory,
    )
    mm.assert_clean(mm.Run([], p.returncode, p.stdout, p.stderr))


DEF_CHAINS = {
    # 300 defs each inlining the previous one: deeper than the nesting limit allows
    "deep": "var x : 0..1 = 0\ndef d0 = x\n" + "".join(
        f"def d{k} = d{k - 1} + 1\n" for k in range(1, 300)) + "invariant I: d299 >= 0\n",
    # (2^63 - 1)^256, folded: its error message needs more than 4300 decimal digits
    "huge-value": "def d0 = 9223372036854775807\n" + "".join(
        f"def d{k} = d{k - 1} * d{k - 1}\n" for k in range(1, 9)) + "var y : 0..1 = d8\n",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(DEF_CHAINS))
def test_chained_defs(mm, spec_file, name):
    mm.assert_clean(mm.run_inprocess(["check", str(spec_file(DEF_CHAINS[name]))]))


def test_bmc_bound_is_not_reported_as_holding(mm):
    """BMC up to a depth proves nothing beyond it: its output must say so."""
    run = mm.run_inprocess(["bmc", str(EXPLODE), "--depth", "2"])
    assert "HOLDS" not in run.out and "proved" not in run.out.lower()
    assert "up to depth 2" in run.out


def test_holds_only_for_a_complete_search():
    """The control: a small spec explored completely does hold."""
    result = explorer.check(ROOT / "tests" / "specs" / "peterson.mms")
    assert result.verdict == HOLDS and result.stats.distinct == 26
