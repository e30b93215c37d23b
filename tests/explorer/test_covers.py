"""Witness properties (`cover Name: expr`) through every back end: reached with the
shortest trace or not, the early stop, simulation, symmetry, the front end's errors,
`expect ..., covers`, and the command's --strict, --witness and outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.cli import main
from mmcheck.explorer import expect
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import EXIT_OK, EXIT_VIOLATION, HOLDS, INCOMPLETE, VIOLATED
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.prove import PROVED
from mmcheck.spec import ir_print
from mmcheck.spec.errors import SpecErrors

ROOT = Path(__file__).resolve().parents[2]
SPINLOCK = ROOT / "tests/specs/cover_spinlock.mms"
sys.path.insert(0, str(ROOT / "tests"))
from expect_cases import BACKENDS, check_expectation, expectation_cases  # noqa: E402


def reached(result) -> dict[str, int | None]:
    """Each cover's witness length, None where not reached."""
    return {c.name: c.length if c.reached else None for c in result.covers}


@pytest.mark.parametrize(("case", "backend"), expectation_cases([SPINLOCK], 2, named=False))
def test_expectations_hold_on_every_backend(case, backend):
    check_expectation(case, backend)


FIXED = {"Entered": 3, "Handover": 7, "BothInside": None, "AllDone": 8}
BUGGY = {"Entered": 3, "Handover": 6, "BothInside": 6, "AllDone": None}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("symmetry", [True, False])
def test_shortest_witnesses_agree_on_every_backend(backend, symmetry):
    r = explorer.check(SPINLOCK, {"FIXED": True}, backend=backend, symmetry=symmetry)
    states = 13 if symmetry and backend != "reference" else 24
    assert (r.verdict, r.stats.distinct, reached(r)) == (HOLDS, states, FIXED)
    r = explorer.check(SPINLOCK, {"FIXED": False}, backend=backend, symmetry=symmetry)
    assert (r.verdict, r.violation.name, reached(r)) == (VIOLATED, "MutualExclusion", BUGGY)


@pytest.mark.parametrize(
    "options",
    [
        {"fingerprint": True},
        {"backend": "vector", "fingerprint": True},
        {"backend": "vector", "workers": 2},
    ],
)
def test_fingerprints_and_workers_reach_the_same_covers(options):
    r = explorer.check(SPINLOCK, {"FIXED": True}, **options)
    assert (r.verdict, reached(r)) == (HOLDS, FIXED)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_witness_trace_ends_where_the_cover_holds(backend):
    r = explorer.check(SPINLOCK, {"FIXED": True}, backend=backend)
    program = spec.load(SPINLOCK, {"FIXED": True})
    handover = next(c for c in r.covers if c.name == "Handover")
    assert handover.trace[0].action is None and len(handover.trace) == 8
    entries = program.slot_index("entries", ())
    assert [s.state[entries] for s in handover.trace][-2:] == [1, 2]
    assert handover.loc.line == program.covers[1].loc.line


COUNTER = """
var x : 0..5 = 0
action Inc
  when x < 5
  x' = x + 1
terminal x == 5
cover Zero: x == 0
cover Three: x == 3
cover Never: x > 5 or x < 0
cover Fails: 6 / (2 - x) == 6
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_initial_states_unreachable_covers_and_errors(backend):
    # an error evaluating a cover (x = 2 divides by zero) is not a witness
    r = explorer.check(COUNTER, backend=backend) if backend != "reference" else None
    if r is None:
        return  # the reference back end takes the spec's file (test below)
    assert reached(r) == {"Zero": 0, "Three": 3, "Never": None, "Fails": 1}


def test_reference_reads_covers_from_the_file(tmp_path):
    path = tmp_path / "counter.mms"
    path.write_text(COUNTER)
    r = explorer.check(path, backend="reference")
    assert reached(r) == {"Zero": 0, "Three": 3, "Never": None, "Fails": 1}


def test_a_search_stopped_early_reports_what_it_reached():
    r = explorer.check(COUNTER, max_depth=2)
    assert (r.verdict, reached(r)) == (
        INCOMPLETE,
        {"Zero": 0, "Three": None, "Never": None, "Fails": 1},
    )
    r = explorer.check(COUNTER, simulate=3, depth=10, seed=1)
    assert r.verdict == INCOMPLETE and reached(r)["Three"] == 3 and reached(r)["Never"] is None


def test_strict_fails_a_complete_search_with_an_unreached_cover():
    assert explorer.check(COUNTER).exit_code == EXIT_OK
    assert explorer.check(COUNTER, strict=True).exit_code == EXIT_VIOLATION
    text = COUNTER.replace("cover Never: x > 5 or x < 0\n", "")
    assert explorer.check(text, strict=True).exit_code == EXIT_OK
    assert explorer.check(COUNTER, strict=True, max_depth=1).exit_code == 3  # incomplete


def test_covers_under_symmetry_follow_the_invariants_rule():
    text = (
        "type P = symmetric 1..3\n"
        "var c : [P] -> 0..2 = [p in P |-> 0]\n"
        "action Up(p: P)\n  when c[p] < 2\n  c' = [c except [p] = c[p] + 1]\n"
        "cover AllTwo: forall p in P: c[p] == 2\n"
    )
    for backend in ("tuple", "vector"):
        assert reached(explorer.check(text, backend=backend)) == {"AllTwo": 6}
    with pytest.raises(SpecErrors, match="a constant index breaks symmetry"):
        spec.load(text.replace("c[p] == 2\n", "c[p] == 2 and c[1] == 2\n"))


def test_prove_and_bmc_ignore_covers():
    text = COUNTER + "invariant Bounded: x <= 5\n"
    assert prove(text).status == PROVED
    assert bmc(text, depth=3).covers == []


BASE = "var x : 0..3 = 0\naction Inc\n  when x < 3\n  x' = x + 1\ninvariant Small: x <= 3\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cover C: x + 1", "6:10: error: expected a bool, got int"),
        ("cover C: y", "6:10: error: unknown name 'y'"),
        ("cover Small: x == 1", "6:1: error: duplicate definition of 'Small'"),
        ("cover cover: x == 1", "6:7: error: 'cover' is a keyword and cannot be a name"),
        ("cover C: x == 1\nexpect holds, covers D", "7:22: error: expect: there is no cover 'D'"),
        ("cover Three: x == 3\nexpect holds, covers Thre", "did you mean `Three`?"),
    ],
)
def test_bad_covers_are_spec_errors(text, message, tmp_path):
    path = tmp_path / "bad.mms"
    path.write_text(BASE + text + "\n")
    with pytest.raises(SpecErrors) as e:
        spec.load(path)
    assert message in e.value.format()


def test_expect_covers_parses_prints_and_fails_naming_the_cover(tmp_path):
    path = tmp_path / "c.mms"
    path.write_text(COUNTER + "expect holds, covers Zero, Three\nexpect holds, covers Never\n")
    program = spec.load(path)
    assert [e.covers for e in program.expects] == [("Zero", "Three"), ("Never",)]
    assert expect.describe_expect(program.expects[0]) == "holds, covers Zero, Three"
    planned, _ = expect.plan([path])
    ok, missed = (expect.run_case(p, CheckOptions()) for p in planned)
    assert ok.ok and ok.got == "holds, covers Zero, Three"
    assert not missed.ok and missed.got == "holds (Never not reached)"
    printed = ir_print.program(program)
    assert "expect holds, covers Never" in printed and "cover Three: x == 3\n" in printed


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_prints_each_cover_after_the_verdict(tmp_path, capsys):
    path = tmp_path / "c.mms"
    path.write_text(COUNTER)
    code, out, _ = run_cli(capsys, str(path))
    tail = out.splitlines()[-5:]
    assert code == EXIT_OK and tail == [
        "HOLDS: no violation in the complete state space (6 distinct states).",
        "cover Zero: reached in 0 steps",
        "cover Three: reached in 3 steps",
        "cover Never: NOT REACHED (the spec may be vacuous)",
        "cover Fails: reached in 1 step",
    ]
    code, out, _ = run_cli(capsys, str(path), "--max-depth", "1")
    assert "cover Three: not reached before the search stopped" in out
    assert run_cli(capsys, str(path), "--strict")[0] == EXIT_VIOLATION


def test_cli_witness_prints_the_covers_trace(tmp_path, capsys):
    path = tmp_path / "c.mms"
    path.write_text(COUNTER)
    code, out, _ = run_cli(capsys, str(path), "--witness", "Three")
    assert code == EXIT_OK
    assert "witness: cover Three is reached" in out and "Trace of 3 steps:" in out
    assert "Step 3: Inc" in out and "  x: 2 -> 3" in out
    code, out, err = run_cli(capsys, str(path), "--witness", "Three", "--trace", "itf")
    assert [s["x"]["#bigint"] for s in json.loads(out)["states"]] == ["0", "1", "2", "3"]
    assert "cover Three: reached in 3 steps" in err
    code, out, _ = run_cli(capsys, str(path), "--witness", "Three", "--trace", "cpu")
    assert "=> cover Three is reached" in out
    code, out, _ = run_cli(capsys, str(path), "--witness", "Never")
    assert code == EXIT_OK and "Trace" not in out
    code, _, err = run_cli(capsys, str(path), "--witness", "Thre")
    assert code == 2 and "unknown cover 'Thre'" in err and "did you mean `Three`?" in err


def test_cli_json_has_every_cover(tmp_path, capsys):
    path = tmp_path / "c.mms"
    path.write_text(COUNTER)
    _, out, _ = run_cli(capsys, str(path), "--json")
    covers = json.loads(out)["covers"]
    assert [(c["name"], c["reached"], c["length"]) for c in covers] == [
        ("Zero", True, 0),
        ("Three", True, 3),
        ("Never", False, None),
        ("Fails", True, 1),
    ]
    assert len(covers[1]["trace"]["states"]) == 4 and covers[2]["trace"] is None
