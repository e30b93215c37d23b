"""`lemma` declarations and expectations that name what they check: the lemmas are
left out of a check unless asked for, on every back end, and an `expect` line with
`(invariants ...)` is checked against exactly those."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.cli import main
from mmcheck.explorer import expect
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import BOUNDED, HOLDS, VIOLATED
from mmcheck.explorer.tuple.graph import explore
from mmcheck.invariants import bmc
from mmcheck.spec import ir_print
from mmcheck.spec.errors import SpecErrors

SPEC = "tests/specs/lemma_refcount.mms"  # relative: the messages name no machine path
ROOT = Path(__file__).resolve().parents[2]
BROKEN = {"FIXED": False}
sys.path.insert(0, str(ROOT / "tests"))
from outcomes import verdict  # noqa: E402


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def outcome(result) -> tuple:
    """The verdict, with the distinct states where the spec holds (pinned)."""
    return verdict(result) if result.violation else (result.verdict, result.stats.distinct)


@pytest.mark.parametrize("backend", ["tuple", "vector", "reference"])
@pytest.mark.parametrize(
    ("consts", "options", "expected"),
    [
        ({}, {}, (HOLDS, 8)),
        ({}, {"lemmas": True}, (HOLDS, 8)),
        (BROKEN, {}, (VIOLATED, "invariant", "MappedHasRef", 2)),
        (BROKEN, {"lemmas": True}, (VIOLATED, "invariant", "Balanced", 1)),
        (BROKEN, {"invariants": ["Mapcount", "Balanced"]}, (VIOLATED, "invariant", "Balanced", 1)),
        (
            BROKEN,
            {"invariants": ["MappedHasRef"], "lemmas": True},
            (VIOLATED, "invariant", "Balanced", 1),
        ),
        # the refcount goes below 0 after the third step
        (BROKEN, {"invariants": ["Mapcount"]}, (VIOLATED, "range", None, 3)),
    ],
)
def test_lemmas_are_checked_only_when_asked(backend, consts, options, expected):
    result = explorer.check(SPEC, consts, backend=backend, symmetry=False, **options)
    assert outcome(result) == expected


def test_bmc_and_graph_leave_the_lemmas_out_unless_asked():
    assert outcome(bmc(SPEC, BROKEN, depth=3)) == (VIOLATED, "invariant", "MappedHasRef", 2)
    assert outcome(bmc(SPEC, BROKEN, depth=3, lemmas=True)) == (
        VIOLATED,
        "invariant",
        "Balanced",
        1,
    )
    assert bmc(SPEC, depth=3, lemmas=True).verdict == BOUNDED
    program = spec.load(SPEC, BROKEN)
    names = {v.name for bad in explore(program, 100).bad.values() for v in bad}
    assert names == {"MappedHasRef"}
    names = {v.name for bad in explore(program, 100, lemmas=True).bad.values() for v in bad}
    assert names == {"MappedHasRef", "Balanced"}


def test_test_verb_checks_each_expectation_with_its_own_invariants():
    lines: list[str] = []
    run = expect.run_all([SPEC], lines.append, CheckOptions())
    cases = run.cases
    assert run.not_run == 0 and run.interrupted is None and [c.ok for c in cases] == [True] * 4
    assert [c.expected for c in cases] == [
        "holds with 8 states",
        "holds with 8 states (invariants MappedHasRef, Balanced, Mapcount)",
        "violates MappedHasRef in 2 steps",
        "violates Balanced (invariants Balanced)",
    ]
    assert [c.got for c in cases][2:] == [
        "violates MappedHasRef in 2 steps",
        "violates Balanced in 1 step",
    ]


def test_check_compares_the_expectations_that_check_what_it_checked(capsys):
    assert main(["check", SPEC]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"Expectation met: {SPEC}:50:1: holds with 8 states." in out
    assert (
        "Expectations not compared: the run checks other invariants than "
        f"{SPEC}:51:1 (invariants MappedHasRef, Balanced, Mapcount)." in out
    )
    assert main(["check", SPEC, "--lemmas", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(e["loc"], e["met"], e["invariants"]) for e in doc["expectations"]] == [
        (f"{SPEC}:51:1", True, ["MappedHasRef", "Balanced", "Mapcount"])
    ]
    assert main(["check", SPEC, "-D", "FIXED=false", "--inv", "Balanced"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"Expectation met: {SPEC}:53:1: violates Balanced (invariants Balanced)." in out
    assert out[-1] == "VIOLATED: invariant Balanced is violated (trace of 1 step)."


def test_lemmas_in_the_ir_and_the_summary(capsys):
    program = spec.load(SPEC)
    assert [(i.name, i.lemma) for i in program.invariants] == [
        ("MappedHasRef", False),
        ("Balanced", True),
        ("Mapcount", True),
    ]
    assert program.expects[1].checks == ("MappedHasRef", "Balanced", "Mapcount")
    text = ir_print.program(program)
    assert "lemma Balanced: " in text
    assert "expect FIXED=1: holds states=8 (invariants MappedHasRef, Balanced, Mapcount)" in text
    assert main(["typecheck", SPEC]) == 0
    assert "1 invariants, 2 lemmas" in capsys.readouterr().out


TEXT = """spec S
var x : 0..2 = 0
action a
  when x < 2
  x' = x + 1
invariant Small: x < 2
lemma Tiny: x < 1
"""


@pytest.mark.parametrize(
    ("line", "loc", "message"),
    [
        ("expect holds (invariants Small, Nope)", "8:33", "there is no invariant or lemma 'Nope'"),
        ("expect violates Small (invariants Tiny)", "8:1", "Small is not among the invariants"),
        ("expect holds (invariant Small)", "8:15", "expected 'invariants', got 'invariant'"),
        ("expect holds (invariants)", "8:25", "unexpected ')'"),
        ("lemma Small: x < 1", "8:1", "duplicate definition of 'Small'"),
    ],
)
def test_bad_clauses_and_lemmas_are_errors_at_their_place(line, loc, message):
    with pytest.raises(SpecErrors) as e:
        spec.load(TEXT + line + "\n")
    text = e.value.format()
    assert f":{loc}:" in text and message in text and line in text
