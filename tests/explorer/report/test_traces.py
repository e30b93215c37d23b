"""Trace formats on a hand-made IR program: text, CPU diagram (golden), ITF (golden), JSON."""

import json
import os
import re
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer import report as traces
from mmcheck.explorer.core.result import (
    HOLDS,
    VIOLATED,
    CoverageEntry,
    FailedStep,
    Result,
    Stats,
    Step,
    Violation,
)
from mmcheck.explorer.expect import expect_consts
from mmcheck.explorer.report.itf import dumps
from mmcheck.explorer.report.view import reading_order, slot_label
from mmcheck.spec import ir
from mmcheck.spec.errors import Loc, register_source

GOLDEN = Path(__file__).resolve().parents[2] / "golden"

SOURCE = """spec MlockRace
const FIXED = false
var vm_locked : bool = true
var page : record { mlocked: bool } = { mlocked: false }
var pte : [1..2] -> Pte = [i in 1..2 |-> present]
lock ptl
process munlock {
munlock_vma_pages_range: vm_locked := false; lock ptl
munlock_page: page.mlocked := false; unlock ptl
}
process reclaim {
try_to_unmap_one: either { skip } or { goto out }
mlock_vma_page: page.mlocked := true
}
process fault[self in 1..2] { var ok : bool = false
do_fault: ok := true; pte[self] := migration
}
action shrink(n: 1..2) when true pte[n]' = none
invariant NoLeak: done(munlock) and done(reclaim) => (page.mlocked => vm_locked)
"""
FILE = "mlock_race.mms"
register_source(FILE, SOURCE)


def loc(line: int, col: int = 1) -> Loc:
    return Loc(FILE, line, col)


def c(v: int) -> ir.Const:
    return ir.Const(v)


BOOL = ir.ScalarType("bool", c(0), c(1))
PTE = ir.ScalarType("enum", c(0), c(2), ("present", "migration", "none"))
LOCK = ir.ScalarType("lock", c(0), c(4), ("free", "munlock", "reclaim", "fault[1]", "fault[2]"))
CPU = ir.Dim(c(1), c(2))


def pc(*labels: str) -> ir.ScalarType:
    return ir.ScalarType("pc", c(0), c(len(labels)), (*labels, "Done"))


def action(name: str, params=(), process=None, label=None, line=1) -> ir.Action:
    return ir.Action(name, tuple(params), ir.TRUE, (), (), loc(line), process, label)


PROCESSES = (
    ir.Process(
        "munlock", ("munlock_vma_pages_range", "munlock_page"), "munlock.pc", None, loc(7), 1
    ),
    ir.Process("reclaim", ("try_to_unmap_one", "mlock_vma_page"), "reclaim.pc", None, loc(11), 2),
    ir.Process("fault", ("do_fault",), "fault.pc", CPU, loc(15), 3),
)

PROGRAM = ir.Program(
    name="MlockRace",
    file=FILE,
    consts=(ir.ConstDecl("FIXED", 0, BOOL, loc(2)),),
    assumes=(),
    vars=(
        ir.Var("vm_locked", BOOL, (), loc(3)),
        ir.Var("page.mlocked", BOOL, (), loc(4), source="page"),
        ir.Var("pte", PTE, (CPU,), loc(5)),
        ir.Var("ptl", LOCK, (), loc(6), role="lock"),
        ir.Var("munlock.pc", pc("munlock_vma_pages_range", "munlock_page"), (), loc(7), role="pc"),
        ir.Var("reclaim.pc", pc("try_to_unmap_one", "mlock_vma_page"), (), loc(11), role="pc"),
        ir.Var("fault.pc", pc("do_fault"), (CPU,), loc(15), role="pc"),
        ir.Var("fault.ok", BOOL, (CPU,), loc(15)),
    ),
    init=action("Init"),
    actions=(
        action("munlock.munlock_vma_pages_range", (), "munlock", "munlock_vma_pages_range", 8),
        action("munlock.munlock_page", (), "munlock", "munlock_page", 9),
        action(
            "reclaim.try_to_unmap_one",
            (ir.ParamDecl("either_1", ir.ScalarType("int", c(1), c(2)), hidden=True),),
            "reclaim",
            "try_to_unmap_one",
            12,
        ),
        action("reclaim.mlock_vma_page", (), "reclaim", "mlock_vma_page", 13),
        action(
            "fault.do_fault",
            (ir.ParamDecl("self", ir.ScalarType("int", c(1), c(2))),),
            "fault",
            "do_fault",
            16,
        ),
        action("shrink", (ir.ParamDecl("n", ir.ScalarType("int", c(1), c(2))),), line=18),
    ),
    invariants=(ir.Invariant("NoLeak", ir.TRUE, loc(19)),),
    processes=PROCESSES,
)

# slots: vm_locked, page.mlocked, pte[1], pte[2], ptl, munlock.pc, reclaim.pc,
#        fault.pc[1], fault.pc[2], fault.ok[1], fault.ok[2]
S0 = (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def after(state, **changes):
    s = list(state)
    for k, v in changes.items():
        s[int(k[1:])] = v
    return tuple(s)


S1 = after(S0, s6=1)  # reclaim: try_to_unmap_one, branch 1
S2 = after(S1, s0=0, s4=1, s5=1)  # munlock: munlock_vma_pages_range
S3 = after(S2, s2=1, s7=1, s9=1)  # fault[1]: do_fault
S4 = after(S3, s4=0, s5=2)  # munlock: munlock_page
S5 = after(S4, s1=1, s6=2)  # reclaim: mlock_vma_page
S6 = after(S5, s3=2)  # shrink(n=2)

TRACE = (
    Step(None, (), S0),
    Step(
        "reclaim.try_to_unmap_one", (("either_1", 1),), S1, "reclaim", "reclaim", "try_to_unmap_one"
    ),
    Step(
        "munlock.munlock_vma_pages_range", (), S2, "munlock", "munlock", "munlock_vma_pages_range"
    ),
    Step("fault.do_fault", (("self", 1),), S3, "fault", "fault[1]", "do_fault"),
    Step("munlock.munlock_page", (), S4, "munlock", "munlock", "munlock_page"),
    Step("reclaim.mlock_vma_page", (), S5, "reclaim", "reclaim", "mlock_vma_page"),
    Step("shrink", (("n", 2),), S6),
)
INVARIANT = Violation("invariant", "NoLeak", "", loc(19), TRACE)
FAILED = Violation(
    "lock",
    None,
    "unlock of a lock not held",
    loc(9, 37),
    TRACE[:4],
    FailedStep("munlock.munlock_page", (), "munlock", "munlock", "munlock_page"),
)


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; MMCHECK_REGEN_GOLDEN=1 rewrites it (deliberately)."""
    path = GOLDEN / name
    if os.environ.get("MMCHECK_REGEN_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"missing golden file {name}"
    assert text == path.read_text()


def test_slot_labels_read_like_the_spec():
    names = [slot_label(PROGRAM, i) for i in range(len(PROGRAM.slots))]
    assert names == [
        "vm_locked",
        "page.mlocked",
        "pte[1]",
        "pte[2]",
        "ptl",
        "munlock.pc",
        "reclaim.pc",
        "fault[1].pc",
        "fault[2].pc",
        "fault[1].ok",
        "fault[2].ok",
    ]
    # a process instance's variables stand together
    assert [names[i] for i in reading_order(PROGRAM)][-4:] == [
        "fault[1].pc",
        "fault[1].ok",
        "fault[2].pc",
        "fault[2].ok",
    ]


def test_text_trace_shows_initial_state_and_changes_only():
    text = traces.format_text(PROGRAM, INVARIANT)
    lines = text.splitlines()
    assert lines[0] == "mlock_race.mms:19:1: violation: invariant NoLeak is violated"
    assert lines[1].strip().startswith("invariant NoLeak:")
    assert lines[3] == "Trace of 6 steps:"
    assert "  pte[2] = present" in lines
    assert "Step 1: reclaim.try_to_unmap_one(branch 1)  [reclaim at try_to_unmap_one]" in lines
    assert "Step 3: fault.do_fault  [fault[1] at do_fault]" in lines
    assert "Step 6: shrink(n=2)" in lines
    step2 = lines.index(
        "Step 2: munlock.munlock_vma_pages_range  [munlock at munlock_vma_pages_range]"
    )
    assert lines[step2 + 1 : step2 + 4] == [
        "  vm_locked: true -> false",
        "  ptl: free -> munlock",
        "  munlock.pc: munlock_vma_pages_range -> munlock_page",
    ]
    assert "  pte[2]: present -> none" in lines
    assert "\x1b[" not in text


def test_text_trace_colours_only_when_asked():
    text = traces.format_text(PROGRAM, INVARIANT, color=True)
    assert "\x1b[31mtrue\x1b[0m -> \x1b[32mfalse\x1b[0m" in text


def test_failed_step_is_the_last_step():
    text = traces.format_text(PROGRAM, FAILED)
    assert FAILED.length == 4
    assert text.splitlines()[-2:] == [
        "Step 4: munlock.munlock_page  [munlock at munlock_page]",
        "  fails: lock misuse: unlock of a lock not held",
    ]


def test_cpu_diagram_golden():
    check_golden("ir_race.cpu.txt", traces.format_cpu(PROGRAM, INVARIANT) + "\n")


def test_cpu_diagram_failed_step_golden():
    check_golden("ir_race_failed.cpu.txt", traces.format_cpu(PROGRAM, FAILED) + "\n")


def test_cpu_diagram_columns():
    lines = traces.format_cpu(PROGRAM, INVARIANT).splitlines()
    header = next(line for line in lines if line.startswith("CPU0"))
    # fault[2] takes no step: no column, named under the diagram
    assert re.split(r"\s{2,}", header) == [
        "CPU0 (munlock)",
        "CPU1 (reclaim)",
        "CPU2 (fault[1])",
        "(actions)",
    ]
    assert lines[-1] == "   (no step taken by fault[2])"
    col = {name: header.index(name) for name in ("CPU0", "CPU1", "CPU2", "(actions)")}
    body = [line for line in lines[3:] if re.match(r"\w+\(", line.strip())]
    # time runs down the page, each step in its instance's column
    assert [(len(line) - len(line.lstrip()), line.strip()) for line in body] == [
        (col["CPU1"], "try_to_unmap_one()  [branch 1]"),
        (col["CPU0"], "munlock_vma_pages_range()"),
        (col["CPU2"], "do_fault()"),
        (col["CPU0"], "munlock_page()"),
        (col["CPU1"], "mlock_vma_page()"),
        (col["(actions)"], "shrink(n=2)"),
    ]
    assert all("\x1b" not in line and "\t" not in line for line in lines)


def test_itf_golden_and_shape():
    doc = traces.to_itf(PROGRAM, TRACE)
    text = dumps(doc) + "\n"
    check_golden("ir_race.itf.json", text)
    assert json.loads(text) == doc
    assert max(len(line) for line in text.splitlines()) <= 100
    assert doc["#meta"]["format"] == "ITF"
    assert doc["vars"] == ["vm_locked", "page", "pte", "ptl", "munlock", "reclaim", "fault"]
    first, last = doc["states"][0], doc["states"][-1]
    assert first["#meta"] == {"index": 0, "action": "Init", "params": {}}
    assert first["page"] == {"mlocked": False}
    assert first["pte"] == {"#map": [[{"#bigint": "1"}, "present"], [{"#bigint": "2"}, "present"]]}
    assert last["pte"]["#map"][1] == [{"#bigint": "2"}, "none"]
    assert doc["states"][3]["fault"]["ok"]["#map"][0] == [{"#bigint": "1"}, True]
    assert doc["states"][2]["ptl"] == "munlock"
    assert doc["states"][3]["#meta"] == {
        "index": 3,
        "action": "fault.do_fault",
        "params": {"self": {"#bigint": "1"}},
        "process": "fault[1]",
        "label": "do_fault",
        "writes": [
            {"var": "pte[1]", "value": "migration", "unchanged": False, "via": []},
            {"var": "fault[1].pc", "value": "Done", "unchanged": False, "via": []},
            {"var": "fault[1].ok", "value": True, "unchanged": False, "via": []},
        ],
    }
    # the constants are the trace's params (ADR-015), their values in every state
    assert doc["params"] == ["FIXED"] and "loop" not in doc
    assert all(set(s) == {"#meta", "FIXED", *doc["vars"]} for s in doc["states"])
    assert all(s["FIXED"] is False for s in doc["states"])


def test_result_json():
    stats = Stats(generated=40, distinct=30, queue=2, depth=6, elapsed=0.5)
    cov = [CoverageEntry("shrink", None, None, enabled=3, taken=0)]
    result = Result(VIOLATED, stats, FAILED, coverage=cov, spec=FILE)
    doc = json.loads(json.dumps(traces.result_json(PROGRAM, result)))
    assert doc["verdict"] == "violated"
    assert doc["consts"] == {"FIXED": False}
    assert doc["stats"]["distinct"] == 30 and doc["stats"]["states_per_second"] == 60.0
    assert doc["violation"]["length"] == 4
    assert doc["violation"]["loc"] == "mlock_race.mms:9:37"
    assert doc["violation"]["failed"]["process"] == "munlock"
    assert len(doc["violation"]["trace"]["states"]) == 4
    assert doc["coverage"] == [
        {"action": "shrink", "process": None, "label": None, "enabled": 3, "taken": 0}
    ]
    holds = traces.result_json(PROGRAM, Result(HOLDS, stats))
    assert holds["violation"] is None and holds["coverage"] is None


@pytest.mark.parametrize("violation", [INVARIANT, FAILED])
def test_every_format_handles_the_trace(violation):
    assert traces.format_text(PROGRAM, violation)
    assert traces.format_cpu(PROGRAM, violation)
    json.dumps(traces.to_itf(PROGRAM, violation.trace))


ROOT = Path(__file__).resolve().parents[3]
LIBRARY = sorted([*ROOT.glob("spec/models/*.mms"), *ROOT.glob("tests/specs/*.mms")])


# (spec, verdict, property) of the expected violations that a test pinning their run
# prints with assert_prints_in_every_format: migrate_page's fair cycle explores 231,998
# states, the slowest check of the library, which tests/test_liveness_models.py makes
PRINTED_WHERE_PINNED = {("migrate_page.mms", "property", "FaultProceeds")}


def assert_prints_in_every_format(program: ir.Program, result: Result) -> None:
    """The violation prints in every format, and the ITF trace holds one state per trace
    step with every variable."""
    v = result.violation
    assert v is not None
    text = traces.format_text(program, v)
    assert f"Trace of {v.length} step" in text
    assert text.count("\nStep ") == v.length
    cpu = traces.format_cpu(program, v)
    assert cpu.splitlines()[-1].startswith(("=> ", "   (no step taken by"))
    doc = json.loads(json.dumps(traces.result_json(program, result)))
    itf = doc["violation"]["trace"]
    # a lasso's last state is the one its loop returns to, not repeated
    assert len(itf["states"]) == len(v.trace) - (v.loop is not None)
    assert itf.get("loop") == v.loop
    assert all(set(s) == {"#meta", *itf["params"], *itf["vars"]} for s in itf["states"])


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_library_violations_in_every_format(path):
    """Every violation the spec library expects prints in every format."""
    base = spec.load(path)
    for e in base.expects:
        if e.verdict == "holds" or (path.name, e.verdict, e.prop) in PRINTED_WHERE_PINNED:
            continue
        program = spec.load(path, expect_consts(base, e))
        result = explorer.check(program, invariants=e.checks)  # as `mmcheck test` runs it
        assert result.violation is not None and result.violation.kind == e.verdict
        assert_prints_in_every_format(program, result)
