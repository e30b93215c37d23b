"""A lasso (a property's counterexample, Violation.loop) in every trace format: the
text trace and the CPU diagram mark where the cycle starts and where it returns to,
ITF writes its `loop` (read back by itf-py), `check --json` its `loop` beside the ITF
trace (valid against the schema), the statistics line the SCCs examined, the verdict
line the prefix and the cycle; `mmcheck replay` refuses a lasso's diagram by name.

The lassos are built by hand from the tuple model's steps on Peterson's lock: p[1]
raises its flag and gives the turn away, then goes round its loop for ever while p[2]
never moves (a violation of p[2]'s progress without fairness)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

import mmcheck
from mmcheck import spec
from mmcheck.cli import main
from mmcheck.explorer.core.result import (
    STUTTER,
    VIOLATED,
    Result,
    Stats,
    Step,
    Violation,
)
from mmcheck.explorer.replay import POSSIBLE, replay
from mmcheck.explorer.report import format_cpu, format_text, result_json, to_itf
from mmcheck.explorer.report.schema import schema
from mmcheck.explorer.report.stats import format_stats, verdict_line
from mmcheck.explorer.tuple.translate import compile_model
from mmcheck.spec import ir
from mmcheck.spec.errors import SpecErrors

ROOT = Path(__file__).resolve().parents[3]
PETERSON = ROOT / "tests" / "specs" / "peterson.mms"
MESSAGE = "property Progress (eventually P) is violated"


@pytest.fixture(scope="module")
def program() -> ir.Program:
    return spec.load(PETERSON)


def steps(program: ir.Program, schedule: list[tuple[str, int]]) -> list[Step]:
    """The tuple model's trace from the initial state along `schedule`, each entry
    (label, self) of process p."""
    model = compile_model(program)

    def edge(label: str, me: int) -> int:
        for e in range(model.n_edges):
            action, values = model.decode(e)
            if action.label == label and dict(zip((p.name for p in action.params), values)) == {
                "self": me
            }:
                return e
        raise KeyError(label)

    return model.replay(model.init_states()[0], [edge(lab, me) for lab, me in schedule])


ROUND = [("wait", 1), ("critical", 1), ("release", 1), ("set_flag", 1), ("set_turn", 1)]


@pytest.fixture(scope="module")
def lasso(program: ir.Program) -> Violation:
    """Two steps to the cycle, then p[1]'s round of five steps back to the state after
    step 2."""
    trace = tuple(steps(program, [("set_flag", 1), ("set_turn", 1), *ROUND]))
    assert trace[-1].state == trace[2].state
    return Violation("property", "Progress", MESSAGE, program.invariants[0].loc, trace, loop=2)


@pytest.fixture(scope="module")
def stutter(program: ir.Program) -> Violation:
    """A cycle of one stutter step at the initial state."""
    init = steps(program, [])[0]
    trace = (init, Step(STUTTER, (), init.state))
    return Violation("property", "Progress", MESSAGE, None, trace, loop=0)


TEXT = """\
tests/specs/peterson.mms:24:1: violation: property Progress (eventually P) is violated
    invariant MutualExclusion: not (at(p[1], critical) and at(p[2], critical))
    ^
Trace of 7 steps (a lasso: 2 to the cycle, then a cycle of 5):
State 0: initial state
  flag[1] = false
  flag[2] = false
  turn = 1
  p[1].pc = set_flag
  p[2].pc = set_flag
Step 1: p.set_flag  [p[1] at set_flag]
  flag[1]: false -> true
  p[1].pc: set_flag -> set_turn
Step 2: p.set_turn  [p[1] at set_turn]
  turn: 1 -> 2
  p[1].pc: set_turn -> wait
-- cycle starts here --
Step 3: p.wait  [p[1] at wait]
  p[1].pc: wait -> critical
Step 4: p.critical  [p[1] at critical]
  p[1].pc: critical -> release
Step 5: p.release  [p[1] at release]
  flag[1]: true -> false
  p[1].pc: release -> set_flag
Step 6: p.set_flag  [p[1] at set_flag]
  flag[1]: false -> true
  p[1].pc: set_flag -> set_turn
Step 7: p.set_turn  [p[1] at set_turn]
  turn: 2 (unchanged)
  p[1].pc: set_turn -> wait
-- back to step 2: the cycle of 5 steps repeats forever --"""

CPU = """\
Initially: flag[1] = false, flag[2] = false, turn = 1

CPU0 (p[1])

set_flag()
  flag[1] = true
set_turn()
  turn = 2
-- cycle starts here --
wait()
critical()
release()
  flag[1] = false
set_flag()
  flag[1] = true
set_turn()
  turn = 2 (unchanged)
-- back to step 2: the cycle of 5 steps repeats forever --

=> property Progress (eventually P) is violated at tests/specs/peterson.mms:24:1
   (no step taken by p[2])"""


def relative(text: str) -> str:
    return text.replace(f"{ROOT}/", "")


def test_text_marks_the_cycle(program: ir.Program, lasso: Violation):
    assert relative(format_text(program, lasso)) == TEXT


def test_cpu_diagram_marks_the_cycle(program: ir.Program, lasso: Violation):
    assert relative(format_cpu(program, lasso)) == CPU


def test_a_stutter_cycle_at_the_initial_state(program: ir.Program, stutter: Violation):
    text = format_text(program, stutter).splitlines()
    assert text[:4] == [
        f"violation: {MESSAGE}",
        "Trace of 1 step (a lasso: 0 to the cycle, then a cycle of 1):",
        "-- cycle starts here --",
        "State 0: initial state",
    ]
    assert text[-3:] == [
        "Step 1: (stutter)",
        "  nothing moves: the state stays as it is",
        "-- back to the initial state: the cycle of 1 step repeats forever --",
    ]
    cpu = format_cpu(program, stutter).splitlines()
    assert cpu[2:] == [
        "(actions)",
        "",
        "-- cycle starts here --",
        "(stutter)",
        "-- back to the initial state: the cycle of 1 step repeats forever --",
        "",
        "=> property Progress (eventually P) is violated",
        "   (no step taken by p[1], p[2])",
    ]


def test_itf_drops_the_repeated_state_and_keeps_the_step_back(
    program: ir.Program, lasso: Violation
):
    doc = to_itf(program, lasso.trace, lasso.loop)
    assert doc["loop"] == 2
    assert len(doc["states"]) == 7  # s0..s6; s7 is s2 again
    assert [s["#meta"]["index"] for s in doc["states"]] == list(range(7))
    back = doc["#meta"]["loop-step"]
    assert back == {
        "index": 2,
        "action": "p.set_turn",
        "params": {"self": {"#bigint": "1"}},
        "process": "p[1]",
        "label": "set_turn",
        "writes": [
            {"var": "turn", "value": {"#bigint": "2"}, "unchanged": True, "via": []},
            {"var": "p[1].pc", "value": "wait", "unchanged": False, "via": []},
        ],
    }
    # a finite trace has neither
    plain = to_itf(program, lasso.trace)
    assert "loop" not in plain and "loop-step" not in plain["#meta"]
    assert len(plain["states"]) == 8


def test_itf_reads_back_with_its_loop(program: ir.Program, lasso: Violation):
    itf_py = pytest.importorskip("itf_py")
    trace = itf_py.trace_from_json(to_itf(program, lasso.trace, lasso.loop))
    assert trace.loop == 2
    assert len(trace.states) == 7
    assert trace.states[6].values["turn"] == trace.states[2].values["turn"] == 2


def result(program: ir.Program, violation: Violation) -> Result:
    stats = Stats(generated=40, distinct=20, depth=9, sccs=3)
    return Result(VIOLATED, stats, violation, spec=str(PETERSON), program=program)


def test_json_has_the_loop_and_is_valid(program: ir.Program, lasso: Violation):
    doc = result_json(program, result(program, lasso))
    v = doc["violation"]
    assert (v["kind"], v["name"], v["length"], v["loop"]) == ("property", "Progress", 7, 2)
    assert v["trace"]["loop"] == 2 and len(v["trace"]["states"]) == 7
    assert doc["stats"]["sccs"] == 3
    jsonschema.Draft202012Validator(schema("check")).validate(doc)


def test_stats_and_verdict_lines(program: ir.Program, lasso: Violation):
    r = result(program, lasso)
    assert "Liveness: 3 strongly connected components examined." in format_stats(r.stats)
    assert "Liveness" not in format_stats(Stats())
    assert verdict_line(r, program) == (
        f"VIOLATED: {MESSAGE} (a lasso: 2 steps to a cycle of 5 steps)."
    )
    # the message's detail is above the trace, not in the verdict line
    detailed = replace(lasso, message=f"{MESSAGE}: P in no state")
    r = result(program, detailed)
    assert verdict_line(r, program) == (
        f"VIOLATED: {MESSAGE} (a lasso: 2 steps to a cycle of 5 steps)."
    )
    assert f"violation: {MESSAGE}: P in no state" in format_text(program, detailed)
    assert f"=> {MESSAGE}: P in no state at " in format_cpu(program, detailed)


def test_replay_refuses_a_lasso_by_name(program: ir.Program, lasso: Violation):
    with pytest.raises(SpecErrors) as e:
        replay(program, format_cpu(program, lasso) + "\n")
    errors = e.value.errors
    assert [(x.loc.line, x.loc.col) for x in errors] == [(9, 1), (18, 1)]
    assert all("a lasso's mark: replay takes a finite schedule" in x.message for x in errors)
    # without the marks, the steps replay once, as a finite schedule
    unmarked = [ln for ln in format_cpu(program, lasso).splitlines() if not ln.startswith("-- ")]
    r = replay(program, "\n".join(unmarked) + "\n")
    assert (r.verdict, r.violation, len(r.trace)) == (POSSIBLE, None, 8)


# --------------------------------------------------------------------------- end to end

LASSO_SPEC = ROOT / "tests" / "specs" / "lasso_spinlock.mms"


def test_check_json_is_the_values_api_and_valid(tmp_path: Path, capsys):
    out = tmp_path / "lasso.json"
    code = main(["check", str(LASSO_SPEC), "--json", "--out", str(out)])
    capsys.readouterr()
    assert code == 1
    doc = json.loads(out.read_text())
    jsonschema.Draft202012Validator(schema("check")).validate(doc)
    v = doc["violation"]
    assert (v["kind"], v["name"], v["length"], v["loop"]) == ("property", "Cpu2Runs", 4, 2)
    assert v["headline"] == "property Cpu2Runs (always eventually P) is violated"
    assert v["trace"]["loop"] == 2 and len(v["trace"]["states"]) == 4
    assert v["trace"]["#meta"]["loop-step"]["action"] == "cpu.release"
    assert doc["stats"]["sccs"] == 4

    r = mmcheck.check(LASSO_SPEC)  # the defaults, as the CLI's
    api = r.to_dict()
    volatile = ("elapsed", "wall", "states_per_second", "bytes_per_state")
    for d in (api, doc):
        d.pop("expectations", None)
        for k in volatile:
            d["stats"].pop(k)
    assert api == doc
    assert r.violation is not None and (r.violation.loop, r.violation.cycle) == (2, 2)
    assert r.trace[-1].values == r.trace[2].values
    assert r.trace[-1].values != r.trace[3].values


def test_cli_itf_of_a_lasso(tmp_path: Path, capsys):
    out = tmp_path / "lasso.itf.json"
    assert main(["check", str(LASSO_SPEC), "--trace", "itf", "--out", str(out)]) == 1
    capsys.readouterr()
    doc = json.loads(out.read_text())
    assert doc["loop"] == 2
    assert [s["#meta"]["action"] for s in doc["states"]] == [
        "Init",
        "cpu.boot",
        "cpu.boot",
        "cpu.acquire",
    ]


def test_the_reference_back_end_prints_the_same_lasso(capsys):
    text = {}
    for backend in ("tuple", "reference"):
        assert main(["check", str(LASSO_SPEC), "--backend", backend, "--trace", "cpu"]) == 1
        text[backend] = capsys.readouterr().out.split("\n\n=> ")[0]
    assert text["tuple"] == text["reference"]
    assert "-- cycle starts here --\nacquire()" in text["tuple"]
