"""Macro calls as sub-steps and writes that left a value unchanged, in every trace format,
on tests/specs/macro_substeps.mms (the tutorial's spinlock set through macros)."""

import io
import json
import os
import random
import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.cli import main
from mmcheck.explorer import report
from mmcheck.explorer.core.model import EvalError
from mmcheck.explorer.core.result import STUTTER
from mmcheck.explorer.core.writes import evaluate, writers
from mmcheck.explorer.expect import expect_consts
from mmcheck.explorer.report.color import color_allowed
from mmcheck.explorer.report.view import effects
from mmcheck.explorer.tuple.translate import compile_model
from mmcheck.invariants.bmc import bmc
from mmcheck.spec import ir

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests/reliability"))
import specgen  # noqa: E402 - the differential test's generator, beside its tests

SPEC = "tests/specs/macro_substeps.mms"  # from the root: the diagram names it so
GOLDEN = ROOT / "tests/golden/macro_substeps.cpu.txt"
DIM = "\x1b[2m"


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def checked(backend: str = "tuple", **consts: str) -> tuple:
    program = spec.load(SPEC, consts)
    result = explorer.check(program, backend=backend)
    assert result.violation is not None
    return program, result.violation


def test_the_lowering_records_the_macro_calls():
    program = spec.load(SPEC, {"CHECKED": "true"})
    take = next(a for a in program.actions if a.name == "cpu.take")
    via = {u.var: [(c.name, c.primitive) for c in u.via] for u in take.updates}
    assert via == {
        "in_cs": [],
        "locked": [("take_lock", False), ("set_locked", False)],
        "owner": [("take_lock", False), ("set_locked", False)],
        "page.count": [("take_lock", False), ("get_page", True)],
        "cpu.pc": [],
    }
    calls = {u.var: u.via for u in take.updates}
    assert calls["locked"][0].loc.line == calls["page.count"][0].loc.line == 44
    assert calls["locked"][1].loc.line == 29  # set_locked(who), inside take_lock
    assert [[c.name for c in k.via] for k in take.checks] == [
        ["take_lock"],  # the spec's assert
        ["take_lock", "get_page"],  # the prelude's
    ]


def test_cpu_diagram_golden_on_tuple_and_vector():
    """The same diagram from both back ends: the losing CPU's store of the lock word
    under take_lock() > set_locked(), marked unchanged, get_page's effect under its caller."""
    tuple_cpu = report.format_cpu(*checked("tuple")) + "\n"
    vector_cpu = report.format_cpu(*checked("vector")) + "\n"
    assert tuple_cpu == vector_cpu
    if os.environ.get("MMCHECK_REGEN_GOLDEN") == "1":
        GOLDEN.write_text(tuple_cpu)
    assert tuple_cpu == GOLDEN.read_text()
    lines = tuple_cpu.splitlines()
    at = lines.index("                                        locked = true (unchanged)")
    assert [line.strip() for line in lines[at - 4 : at + 3]] == [
        "in_cs[2] = false (unchanged)",
        "take_lock()",
        "page.count = 3",
        "set_locked()",
        "locked = true (unchanged)",
        "owner = 2",
        "critical()",
    ]
    assert all("\x1b" not in line and "\t" not in line for line in lines)


def test_reference_and_bmc_traces_read_the_same():
    """Which writes a step made is read off the IR for the trace of any back end."""
    program, violation = checked("reference")
    assert "locked = true (unchanged)" in report.format_cpu(program, violation)
    result = bmc(program, depth=6)
    cpu = report.format_cpu(program, result.violation)
    assert "set_locked()" in cpu and "locked = true (unchanged)" in cpu


def test_colour_dims_only_the_unchanged_writes():
    program, violation = checked()
    plain = report.format_cpu(program, violation).splitlines()
    colour = report.format_cpu(program, violation, color=True).splitlines()
    assert len(plain) == len(colour)
    for p, c in zip(plain, colour):
        if p.endswith("(unchanged)"):
            body = p.lstrip(" ")
            assert c == p[: len(p) - len(body)] + f"{DIM}{body}\x1b[0m"
        else:
            assert c == p


def test_text_trace_marks_unchanged_writes_and_their_macro_calls():
    program, violation = checked()
    text = report.format_text(program, violation).splitlines()
    step4 = text[text.index("Step 4: cpu.take  [cpu[2] at take]") :][:6]
    assert step4[1:] == [
        "  locked: true (unchanged)  [in take_lock() > set_locked()]",
        "  in_cs[2]: false (unchanged)",
        "  page.count: 2 -> 3  [in take_lock()]",
        "  owner: 1 -> 2  [in take_lock() > set_locked()]",
        "  cpu[2].pc: take -> critical",
    ]
    colour = report.format_text(program, violation, color=True)
    assert f"  {DIM}in_cs[2]: false (unchanged)\x1b[0m" in colour.splitlines()


def test_itf_and_json_carry_the_writes():
    program, violation = checked()
    doc = report.to_itf(program, violation.trace)
    assert "writes" not in doc["states"][0]["#meta"]
    writes = doc["states"][4]["#meta"]["writes"]
    assert writes == [
        {"var": "locked", "value": True, "unchanged": True, "via": ["take_lock", "set_locked"]},
        {"var": "in_cs[2]", "value": False, "unchanged": True, "via": []},
        {"var": "page.count", "value": {"#bigint": "3"}, "unchanged": False, "via": ["take_lock"]},
        {
            "var": "owner",
            "value": {"#bigint": "2"},
            "unchanged": False,
            "via": ["take_lock", "set_locked"],
        },
        {"var": "cpu[2].pc", "value": "critical", "unchanged": False, "via": []},
    ]
    as_json = json.loads(json.dumps(report.violation_json(program, violation)))
    assert as_json["trace"]["states"][4]["#meta"]["writes"] == writes


def test_a_failed_check_shows_under_its_macro_call():
    program, violation = checked(CHECKED="true")
    text = report.format_text(program, violation).splitlines()
    assert text[-1] == "  fails: assertion failed: lock word already set  [in take_lock()]"
    assert report.violation_json(program, violation)["failed"]["via"] == ["take_lock"]
    lines = report.format_cpu(program, violation).splitlines()
    end = next(k for k, line in enumerate(lines) if line.startswith("=>"))
    assert [line.strip() for line in lines[end - 4 : end - 1]] == [
        "take()",
        "take_lock()",
        "// assertion failed: lock word already set",
    ]


def test_effects_without_an_action_are_the_changes():
    """A step of an action the program does not have (a trace of another version of
    it) shows what changed, as before."""
    program, violation = checked()
    prev, step = violation.trace[3], violation.trace[4]
    unknown = type(step)("no.such.action", step.params, step.state)
    changed = [e for e in effects(program, prev, step) if not e.unchanged]
    assert [(e.name, e.new, e.via) for e in effects(program, prev, unknown)] == [
        (e.name, e.new, ()) for e in changed
    ]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    "env, tty, allowed",
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # set to nothing: not set (no-color.org)
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
    ],
)
def test_the_one_colour_decision(monkeypatch, env, tty, allowed):
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert color_allowed(_Tty() if tty else io.StringIO()) is allowed


def test_cli_colour_on_request_never_in_a_file(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert main(["check", SPEC, "--trace", "cpu"]) == 1
    assert f"{DIM}locked = true (unchanged)" in capsys.readouterr().out
    out = tmp_path / "race.txt"
    assert main(["check", SPEC, "--trace", "cpu", "--out", str(out)]) == 1
    assert "\x1b" not in out.read_text() and "(unchanged)" in out.read_text()
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["check", SPEC]) == 1
    assert "\x1b" not in capsys.readouterr().out


SPECS = sorted((ROOT / "tests/specs").glob("*.mms"))


def violating_runs() -> list:
    """Each test spec with the constants of each of its expectations of a violation."""
    runs = []
    for path in SPECS:
        base = spec.load(path)
        runs += [
            pytest.param(path, expect_consts(base, e), id=f"{path.name}:{e.loc.line}")
            for e in base.expects
            if e.verdict != "holds"
        ]
    return runs


def assert_writes_explain_changes(program: ir.Program, trace: tuple) -> None:
    """The writes the IR says each step made cover every slot it changed, and the value
    of each point write is the value after it: the evaluation of the updates agrees with
    the back end that took the step."""
    for prev, step in zip(trace, trace[1:]):
        if step.action == STUTTER:  # a lasso's stutter step changes nothing
            assert step.state == prev.state
            continue
        action = next(a for a in program.actions if a.name == step.action)
        params = dict(step.params)
        wrote = writers(program, action, params, prev.state)
        assert wrote is not None
        changed = {i for i, (a, b) in enumerate(zip(prev.state, step.state)) if a != b}
        assert changed <= set(wrote), step.action
        for slot, k in wrote.items():
            u = action.updates[k]
            if isinstance(u, ir.Assign):
                assert evaluate(program, u.value, prev.state, params) == step.state[slot]


@pytest.mark.parametrize("path, consts", violating_runs())
def test_the_writes_explain_the_changes_in_the_test_specs(path, consts):
    program = spec.load(path, consts)
    assert_writes_explain_changes(program, explorer.check(program).violation.trace)


@pytest.mark.parametrize("seed", range(40))
def test_the_writes_explain_the_changes_in_random_specs(seed):
    """On random walks of the differential test's random specs (every construct of the
    language), replayed into trace steps as the tuple back end rebuilds its traces."""
    program = spec.load(specgen.generate(seed).text)
    model = compile_model(program)
    rng = random.Random(seed)
    for initial in model.init_states()[:3]:
        state, edges = initial, []
        for _ in range(12):
            try:
                successors = model.successors(state)
            except EvalError:
                break
            if not successors:
                break
            edge, state = rng.choice(successors)
            edges.append(edge)
        assert_writes_explain_changes(program, tuple(model.replay(initial, edges)))


def test_a_step_named_after_its_macro_shows_no_sub_step_of_that_name():
    program = spec.load(
        """spec Named
var n : 0..3 = 0
var seen : bool = false
macro bump() { n := n + 1 }
macro do_fault() { bump(); seen := false }
process p {
do_fault:
  do_fault()
}
invariant Small: n < 1
"""
    )
    violation = explorer.check(program).violation
    assert report.format_cpu(program, violation).splitlines()[4:9] == [
        "do_fault()",
        "  seen = false (unchanged)",
        "  bump()",
        "    n = 1",
        "",
    ]
