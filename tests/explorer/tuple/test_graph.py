"""`mmcheck graph`: its violations are the ones `check` reports, runtime errors included."""

import subprocess
import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer.core.result import HOLDS
from mmcheck.explorer.report.dot import why
from mmcheck.explorer.tuple.graph import explore

ROOT = Path(__file__).resolve().parents[3]
RUNTIME = ROOT / "tests/specs/reliability_runtime.mms"


def test_cli_graph_of_an_invariant_that_fails_to_evaluate(tmp_path):
    """The error evaluating an invariant marks the states (it was a traceback)."""
    target = tmp_path / "runtime.dot"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmcheck.cli",
            "graph",
            str(RUNTIME),
            "-D",
            "ERR=9",
            "-o",
            str(target),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert (proc.returncode, proc.stderr) == (1, "")
    assert proc.stdout == f"Wrote {target}: 5 states, 4 edges, 3 violating.\n"
    dot = target.read_text()
    error = "domain: m[3] is outside its domain 1..2 (evaluating invariant Readable)"
    assert dot.count(f'fillcolor="#ffb3b3", xlabel="{error}"') == 3


@pytest.mark.parametrize("err", range(10))
def test_graph_and_check_agree(err):
    """Every violation check reports is in the graph, and the graph has none where the
    spec holds (ERR=0)."""
    program = spec.load(RUNTIME, {"ERR": err})
    g = explore(program, max_states=100)
    found = [v for vs in g.bad.values() for v in vs] + [v for _, v in g.errors]
    r = explorer.check(program)
    if r.verdict == HOLDS:
        assert not found
    else:
        assert why(r.violation) in {why(v) for v in found}
        v = next(v for v in found if why(v) == why(r.violation))
        assert (v.loc, v.failed) == (r.violation.loc, r.violation.failed)
