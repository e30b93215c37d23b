"""Runtime errors are violations with a trace and a location, never crashes.

tests/specs/reliability_runtime.mms has one error per value of ERR: a value out of its
range, a map written or read outside its domain, division and modulo by zero, three lock
misuses, and an invariant reading outside a map's domain. Each must come with the
shortest trace that reaches it and the file:line:col of the construct, the same from
the API (both back ends), from BMC and from the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmcheck import explorer
from mmcheck.explorer.core.result import VIOLATED
from mmcheck.invariants import bmc
from mmcheck.spec.errors import Loc

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "specs" / "reliability_runtime.mms"
SHOWN = "tests/specs/reliability_runtime.mms"  # as the CLI is given it, from ROOT

# ERR: (kind, line, col, steps, failing action, message)
ERRORS = {
    1: ("range", 27, 17, 3, "worker.bad", "n := 4 is outside its range 0..3"),
    2: ("domain", 28, 17, 3, "worker.bad", "m[3] is outside its domain 1..2"),
    3: ("div", 29, 22, 3, "worker.bad", "the divisor of div is 0"),
    4: ("div", 30, 22, 3, "worker.bad", "the divisor of mod is 0"),
    5: ("lock", 31, 17, 3, "worker.bad", "lock l re-acquired by its holder (self-deadlock)"),
    6: ("lock", 32, 27, 3, "worker.bad", "unlock of l, which is not held"),
    7: ("domain", 33, 25, 3, "worker.bad", "m[3] is outside its domain 1..2"),
    8: ("lock", 41, 3, 3, "thief.steal", "unlock of l, which is held by another process"),
    9: ("domain", 45, 33, 2, None,
        "m[3] is outside its domain 1..2 (evaluating invariant Readable)"),
}  # fmt: skip
TRACE_ACTIONS = [None, "worker.prepare", "worker.grab"]


@pytest.mark.parametrize("backend", ["tuple", "vector"])
@pytest.mark.parametrize("err", sorted(ERRORS))
def test_api_reports_kind_location_and_trace(err, backend):
    kind, line, col, steps, action, message = ERRORS[err]
    result = explorer.check(SPEC, {"ERR": err}, backend=backend)
    assert result.verdict == VIOLATED and result.exit_code == 1
    v = result.violation
    assert (v.kind, v.loc, v.length, v.message) == (kind, Loc(str(SPEC), line, col), steps, message)
    assert [s.action for s in v.trace] == TRACE_ACTIONS
    assert (v.failed.action if v.failed else None) == action


@pytest.mark.parametrize("err", sorted(ERRORS))
def test_bmc_finds_the_same_error(err):
    kind, line, col, steps, action, _ = ERRORS[err]
    result = bmc(SPEC, {"ERR": err}, depth=steps)
    v = result.violation
    assert result.verdict == VIOLATED
    assert (v.kind, v.loc, v.length) == (kind, Loc(str(SPEC), line, col), steps)
    assert [s.action for s in v.trace] == TRACE_ACTIONS
    assert (v.failed.action if v.failed else None) == action


@pytest.mark.parametrize("err", sorted(ERRORS))
def test_cli_prints_location_source_caret_and_trace(mm, err, monkeypatch):
    kind, line, col, steps, action, message = ERRORS[err]
    monkeypatch.chdir(ROOT)
    run = mm.run_inprocess(["check", SHOWN, "-D", f"ERR={err}"])
    mm.assert_clean(run)
    assert run.rc == 1
    lines = run.out.splitlines()
    head = next(
        i for i, x in enumerate(lines) if x.startswith(f"{SHOWN}:{line}:{col}: violation: ")
    )
    assert message in lines[head]
    source = SPEC.read_text().splitlines()[line - 1]
    assert lines[head + 1] == "    " + source
    assert lines[head + 2] == "    " + " " * (col - 1) + "^"
    assert f"Trace of {steps} step" in run.out
    assert "worker.grab" in run.out or "grab" in run.out
    assert lines[-1].startswith("VIOLATED: ") and f"(trace of {steps} steps)" in lines[-1]


@pytest.mark.parametrize("err", [1, 8])
def test_json_result_carries_the_location(mm, err, monkeypatch):
    kind, line, col, steps, _, _ = ERRORS[err]
    monkeypatch.chdir(ROOT)
    run = mm.run_inprocess(["check", SHOWN, "-D", f"ERR={err}", "--json"])
    doc = json.loads(run.out)
    assert run.rc == 1 and doc["verdict"] == "violated"
    assert doc["violation"]["kind"] == kind
    assert doc["violation"]["loc"] == f"{SHOWN}:{line}:{col}"


def test_no_error_without_the_switch():
    result = explorer.check(SPEC, {"ERR": 0})
    assert result.verdict == "holds" and result.stats.distinct == 5


def test_constant_out_of_range_is_a_static_error(mm, spec_file):
    run = mm.run_inprocess(["check", str(spec_file("const K = 3\nvar x : 0..2 = K + 1\n"))])
    mm.assert_clean(run)
    assert run.rc == 2
    assert "spec.mms:2:16: error: value 4 is outside the range 0..2 of x" in run.err


INIT_ERRORS = {
    "var a : 0..2 = 0\nvar b : 0..2 = 4 / a\nterminal true\n":
        ("div", 2, 16, "the divisor of div is 0"),
    "var a : 0..2 in 0..2\nvar b : 0..3 = a + 2\nterminal true\n":
        ("range", 2, 16, "b := 4 is outside its range 0..3"),
}  # fmt: skip


@pytest.mark.parametrize("backend", ["tuple", "vector"])
@pytest.mark.parametrize("text", sorted(INIT_ERRORS))
def test_error_while_computing_initial_states(mm, spec_file, text, backend):
    kind, line, col, message = INIT_ERRORS[text]
    path = spec_file(text)
    result = explorer.check(path, backend=backend)
    v = result.violation
    assert result.verdict == VIOLATED
    assert (v.kind, v.loc, v.message, v.trace) == (kind, Loc(str(path), line, col), message, ())
    run = mm.run_inprocess(["check", str(path), "--backend", backend])
    assert run.rc == 1
    assert f"{path}:{line}:{col}: violation: " in run.out
    assert "(computing the initial states)" in run.out


@pytest.mark.parametrize("text", sorted(INIT_ERRORS))
def test_bmc_finds_errors_in_the_initial_states(spec_file, text):
    kind = INIT_ERRORS[text][0]
    result = bmc(spec_file(text), depth=1)
    assert result.verdict == VIOLATED and result.violation.kind == kind
