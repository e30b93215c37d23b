"""SIGINT and SIGTERM stop `prove` and `bmc` as they stop `check`: the answers so far,
"interrupted", exit status 3, even while z3 is inside a long query."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SPEC = Path(__file__).parent.parent / "specs" / "refcount_nonlinear.mms"
# the CLI, with a line on stderr as each z3 query starts: the signal is sent in a query
CHILD = """
import sys, z3
from mmcheck.cli import main
check = z3.Solver.check
def announced(self, *args):
    print("query", file=sys.stderr, flush=True)
    return check(self, *args)
z3.Solver.check = announced
sys.exit(main(sys.argv[1:]))
"""
# Sqrt2 on symbolic sizes is beyond z3: its consecution queries run to --timeout, and
# so does each depth of BMC on these sizes after the first few
PROVE = ["prove", str(SPEC), "-D", "NR=?", "-D", "MAPS=?", "--inv", "Sqrt2", "--timeout", "120"]
BMC = ["bmc", str(SPEC), "-D", "NR=512", "-D", "MAPS=100000", "--depth", "40"]


# the CLI, with a line on stderr as loading the spec starts, and a second spent in it
LOADING = """
import sys, time
from mmcheck import spec
from mmcheck.cli import main
load = spec.load
def slow(*args, **kwargs):
    print("query", file=sys.stderr, flush=True)
    time.sleep(1)
    return load(*args, **kwargs)
spec.load = slow
sys.exit(main(sys.argv[1:]))
"""


# the CLI, with a line on stderr as encoding starts, each expression encoded 0.3 s slower:
# seconds of encoding before the first query (a sum over a set of records can take minutes)
ENCODING = """
import sys, time
from mmcheck.invariants.encode import Encoder
from mmcheck.cli import main
encode = Encoder._expr
def slow(self, *args):
    if not hasattr(Encoder, "announced"):
        Encoder.announced = print("query", file=sys.stderr, flush=True)
    time.sleep(0.3)
    return encode(self, *args)
Encoder._expr = slow
sys.exit(main(sys.argv[1:]))
"""


def interrupt(
    argv: list[str], queries: int, sig: signal.Signals, child: str = CHILD
) -> tuple[int, str, float]:
    """Run the CLI, send sig once `queries` queries have started (as `child` announces
    them): (status, stdout, the seconds from the signal to the exit)."""
    p = subprocess.Popen(
        [sys.executable, "-c", child, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = 0
        while started < queries:
            line = p.stderr.readline()
            assert line, "the run ended before its queries"
            started += line == "query\n"
        time.sleep(0.3)  # well inside the query, for z3
        p.send_signal(sig)
        sent = time.perf_counter()
        out, _ = p.communicate(timeout=30)
        return p.returncode, out, time.perf_counter() - sent
    finally:
        p.kill()
        p.wait()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(
    ("argv", "queries", "shown"),
    [
        # the two initiation queries answered before; the one in progress is not shown,
        # nor is a timeout or the fallback to concrete sizes
        (PROVE, 3, "NOT PROVED: interrupted ({}) after 2 queries: 2 proved (0"),
        (BMC, 12, "incomplete: interrupted ({}) at depth "),
    ],
    ids=["prove", "bmc"],
)
def test_a_signal_stops_the_run(argv: list[str], queries: int, shown: str, sig: signal.Signals):
    rc, out, seconds = interrupt(argv, queries, sig)
    assert (rc, seconds < 10) == (3, True), out
    assert shown.format(sig.name) in out, out
    assert "timeout" not in out and "fallback" not in out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(
    ("child", "argv", "shown"),
    [
        (LOADING, PROVE, "NOT PROVED: interrupted ({}) after 0 queries"),
        (LOADING, BMC, "incomplete: interrupted ({}) at depth 0"),
        (ENCODING, PROVE, "NOT PROVED: interrupted ({}) after "),
        (ENCODING, BMC, "incomplete: interrupted ({}) at depth "),
    ],
    ids=["loading-prove", "loading-bmc", "encoding-prove", "encoding-bmc"],
)
def test_a_signal_outside_queries_stops_the_run(
    child: str, argv: list[str], shown: str, sig: signal.Signals
):
    """Before the first query too (it was Python's default: a KeyboardInterrupt traceback,
    or killed by SIGTERM), and while a step is encoded (it went on to the next query)."""
    rc, out, seconds = interrupt(argv, 1, sig, child)
    assert (rc, shown.format(sig.name) in out, seconds < 2) == (3, True, True), (out, seconds)
