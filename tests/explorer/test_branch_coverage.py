"""Branch coverage (`--coverage`): each `if` arm and `either` branch of a step, with how
many successors took it, the never-taken first; the same counts from BFS with and
without fingerprints and under symmetry, the prelude's macros left out, and the vector
back end (one worker) counting what the tuple back end counts, on random specs too."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mmcheck import explorer
from mmcheck.cli import main
from mmcheck.spec.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/reliability"))
import specgen  # noqa: E402 - a helper module beside the tests, not a package

BRANCHY = """spec Branchy
var x : 0..3 = 0
var y : bool = false
process p {
step:
  if x < 2 {
    x := x + 1
    goto step
  } else {
    either { y := true } or { y := false } or { await false }
  }
tail:
  if x > 5 then x := 0
}
"""


def rows(result) -> list[tuple[str, str, int, int]]:
    return [(b.action, b.kind, b.loc.line, b.taken) for b in result.branches]


EXPECTED = [
    ("p.step", "branch 3", 10, 0),
    ("p.tail", "then", 13, 0),
    ("p.step", "then", 7, 2),
    ("p.step", "else", 10, 2),
    ("p.step", "branch 1", 10, 1),
    ("p.step", "branch 2", 10, 1),
]


def test_each_arm_counts_the_successors_that_took_it():
    r = explorer.check(BRANCHY, coverage=True)
    assert r.verdict == "holds" and rows(r) == EXPECTED
    assert rows(explorer.check(BRANCHY, coverage=True, fingerprint=True)) == EXPECTED
    assert explorer.check(BRANCHY).branches is None


def test_symmetry_and_prelude_macros():
    text = (
        "type P = symmetric 1..2\n"
        "var c : [P] -> 0..2 = [p in P |-> 0]\n"
        "lock l\n"
        "type Pg = record { count: 0..3 }\n"
        "var pg : Pg = { count: 1 }\n"
        "symmetric process w[self in P] {\n"
        "var got : bool = false\n"
        "go:\n  spin_lock(l)\n  if c[self] == 0 { c[self] := 1 } else { c[self] := 2 }\n"
        "try:\n  got := get_page_unless_zero(pg)\n"
        "out:\n  spin_unlock(l)\n"
        "}\n"
    )
    plain = explorer.check(text, coverage=True, symmetry=False)
    reduced = explorer.check(text, coverage=True)
    # get_page_unless_zero, a prelude macro, has an `if` of its own: not listed
    assert [(b.kind, b.loc.line) for b in plain.branches] == [("else", 10), ("then", 10)]
    # go is taken from (go, go) by either CPU and from (go, Done) and (Done, go): 4 edges;
    # under symmetry (go, Done) and (Done, go) are one state: 3
    assert [b.taken for b in plain.branches] == [0, 4]
    assert [b.taken for b in reduced.branches] == [0, 3]


def test_cli_prints_the_branches_after_the_actions(tmp_path, capsys):
    path = tmp_path / "b.mms"
    path.write_text(BRANCHY)
    assert main(["check", str(path), "--coverage"]) == 0
    out = capsys.readouterr().out
    table = out[out.index("Branch coverage") :].splitlines()[:9]
    assert table[0] == "Branch coverage (branches never taken first):"
    assert table[2].startswith(f"! {path}:10:") and table[2].endswith("0  <- never taken")
    assert "p.step  branch 3" in table[2] and table[8] == "2 of 6 branches never taken."
    assert main(["check", str(path), "--coverage", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(b["branch"], b["taken"]) for b in doc["branches"]][:2] == [
        ("branch 3", 0),
        ("then", 0),
    ]


def counts(result) -> tuple:
    return (
        result.verdict,
        result.stats.distinct,
        [(c.action, c.enabled, c.taken) for c in result.coverage],
        [(b.action, b.kind, b.loc, b.taken) for b in result.branches],
    )


SPINLOCK = ROOT / "tests/specs/cover_spinlock.mms"


@pytest.mark.parametrize("consts", [{"FIXED": True}, {"FIXED": False}])
@pytest.mark.parametrize("symmetry", [True, False])
def test_vector_counts_what_tuple_counts(consts, symmetry):
    tuple_ = explorer.check(SPINLOCK, consts, coverage=True, symmetry=symmetry)
    vector = explorer.check(
        SPINLOCK, consts, coverage=True, symmetry=symmetry, backend="vector", workers=1
    )
    assert counts(vector) == counts(tuple_)
    assert counts(explorer.check(BRANCHY, coverage=True, backend="vector")) == counts(
        explorer.check(BRANCHY, coverage=True)
    )


@pytest.mark.parametrize("seed", range(0, 40, 4))
def test_vector_counts_what_tuple_counts_on_random_specs(seed):
    # violations, errors and deadlocks end a search mid-level: the same states counted
    text = specgen.generate(seed).text
    for symmetry in (False, True):
        options = {"coverage": True, "symmetry": symmetry, "max_states": 3000}
        tuple_ = explorer.check(text, **options)
        vector = explorer.check(text, backend="vector", workers=1, **options)
        assert counts(vector) == counts(tuple_), (seed, symmetry)


def test_vector_coverage_needs_one_worker():
    with pytest.raises(UsageError, match="records coverage with one worker"):
        explorer.check(BRANCHY, coverage=True, backend="vector", workers=2)
