"""Our ITF read back by an independent reader, itf-py (the Python library of ADR-015's
author, in the test extras): every state's values are `Step.values`, the constants are
the trace's params; `prove --trace itf` prints one JSON document, an array of ITF
traces, and nothing else on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import mmcheck
from mmcheck.explorer.report import to_itf

itf_py = pytest.importorskip("itf_py")

ROOT = Path(__file__).resolve().parents[3]
SPECS = ROOT / "tests" / "specs"


def tag(x: Any) -> Any:
    """A value, ours or itf-py's, comparable across the two: each scalar with its type
    (True is not 1), records (itf-py's namedtuples) and maps alike as mappings."""
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        x = x._asdict()
    if isinstance(x, Mapping):
        return ("map", frozenset((tag(k), tag(v)) for k, v in x.items()))
    if isinstance(x, frozenset):
        return ("set", frozenset(tag(e) for e in x))
    if isinstance(x, list):
        return ("seq", tuple(tag(e) for e in x))
    if isinstance(x, tuple):
        return ("tup", tuple(tag(e) for e in x))
    return (type(x).__name__, x)


# no option (itf-py cannot read the variant None: a namedtuple of that name) and no
# field named by a Python keyword (namedtuple field names)
CASES = [
    ("tutorial_spinlock.mms", {"FIXED": False}),
    ("msgset_commit.mms", {"FIXED": False}),
    ("init_sets_commit.mms", {"FIXED": False}),
    ("seq_waitqueue.mms", {"CAP": 1}),
    ("with_choice.mms", {"BUG": True}),
    ("enum_scopes.mms", {"BUG": True}),
    ("local_work.mms", {"LIMIT": 2}),
]


@pytest.mark.parametrize(("name", "consts"), CASES, ids=[n for n, _ in CASES])
def test_itf_reads_back_as_the_values_of_every_state(name, consts):
    r = mmcheck.check(SPECS / name, consts, backend="tuple")
    traces = [r.trace] + [c.trace for c in r.covers if c.trace]
    assert r.trace
    for steps in traces:
        doc = json.loads(json.dumps(to_itf(r.program, steps)))
        trace = itf_py.trace_from_json(doc)
        assert trace.loop is None and "loop" not in doc  # a safety trace: no lasso
        assert trace.params == [c.name for c in r.program.consts]
        assert trace.vars == list(steps[0].values)
        assert len(trace.states) == len(steps)
        for state, step in zip(trace.states, steps):
            got = {k: v for k, v in state.values.items() if k not in trace.params}
            assert tag(got) == tag(step.values)
            assert tag({k: state.values[k] for k in trace.params}) == tag(dict(r.consts))


def test_sets_are_itf_sets_and_params_are_the_constants():
    r = mmcheck.check(SPECS / "init_sets_commit.mms", {"FIXED": False}, backend="tuple")
    doc = to_itf(r.program, r.trace)
    assert doc["params"] == [c.name for c in r.program.consts]
    first = doc["states"][0]
    assert first["FIXED"] is False
    assert set(first["acked"]) == {"#set"}
    assert to_itf(r.program, r.trace, loop=1)["loop"] == 1


def test_prove_trace_itf_prints_one_array_of_traces():
    """diehard has two CTIs: stdout is one JSON array of two ITF traces, the report goes
    to stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "mmcheck", "prove", str(SPECS / "diehard.mms"), "--trace", "itf"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 1
    traces = json.loads(done.stdout)
    assert isinstance(traces, list) and len(traces) == 2
    for doc in traces:
        trace = itf_py.trace_from_json(doc)
        assert trace.vars == ["small", "big"] and len(trace.states) == 2
    assert "counterexample to induction: NotFour by SmallToBig" in done.stderr


def test_bmc_trace_itf_prints_the_trace_alone():
    """bmc --trace itf: stdout is the ITF document of the violation, read back by itf-py;
    the report line goes to stderr (it used to come first on stdout)."""
    spec = SPECS / "tutorial_spinlock.mms"
    done = subprocess.run(
        [sys.executable, "-m", "mmcheck", "bmc", str(spec), "--depth", "8", "--trace", "itf"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    trace = itf_py.trace_from_json(json.loads(done.stdout))
    assert len(trace.states) == 7  # the 6 steps of the shortest violation, and Init
    assert "violation of length 6 found" in done.stderr
