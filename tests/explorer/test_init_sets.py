"""Initial values chosen from sets of maps, records and sets (`var x : T in [D -> S]`,
`[f: S, ...]`, `subset S`, a set literal of such values) through every back end: the
expectations of tests/specs/init_sets_*.mms, the number of initial states, range errors
of a choice outside the variable's type, BMC and prove, the traces, the size limit and
the front end's errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer import report as traces
from mmcheck.explorer.core.result import BOUNDED, HOLDS, VIOLATED
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.prove import CTI, PROVED
from mmcheck.spec.errors import SpecErrors

ROOT = Path(__file__).resolve().parents[2]
COMMIT = ROOT / "tests/specs/init_sets_commit.mms"
NESTED = ROOT / "tests/specs/init_sets_nested.mms"
sys.path.insert(0, str(ROOT / "tests"))
from expect_cases import BACKENDS, check_expectation, expectation_cases  # noqa: E402


@pytest.mark.parametrize(("case", "backend"), expectation_cases([COMMIT, NESTED], 3))
def test_expectations_hold_on_every_backend(case, backend):
    check_expectation(case, backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nested_counts(backend):
    r = explorer.check(NESTED, backend=backend)
    assert (r.verdict, r.stats.distinct, r.stats.generated) == (HOLDS, 768, 1248)


# 2^3 votes times the 3 acks of at most one node, times 2 records (of 4: b is fixed)
VOTES = """
type Node = 1..3
var vote : [Node] -> bool in [Node -> bool]
var acked : set of Node in subset Node
init card(acked) <= 1
var r : record { a: 0..3, b: bool } in [a: {1, 3}, b: {true}]
invariant T: true
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_initial_state_per_combination(backend):
    r = explorer.check(VOTES, backend=backend, deadlock=False)
    assert (r.verdict, r.stats.distinct) == (HOLDS, 8 * 4 * 2)


def test_each_part_is_one_choice_parameter():
    p = spec.load(VOTES)
    got = [(d.name, d.type.lo.value, d.type.hi.value) for d in p.init.params]
    assert got[:3] == [("vote[1]", 0, 1), ("vote[2]", 0, 1), ("vote[3]", 0, 1)]
    assert got[3:6] == [("acked[1]", 0, 1), ("acked[2]", 0, 1), ("acked[3]", 0, 1)]
    # an int runs over its set's values, not its field's; a bool over both
    assert got[6:] == [("r.a", 1, 3), ("r.b", 0, 1)]


# a set literal of records: each value once, however often it is written
LITERAL = """
var r : record { a: 0..2, b: bool } in { {a: 1, b: true}, {b: false, a: 2}, {a: 1, b: true} }
var m : [0..1] -> 0..2 in { [i in 0..1 |-> i], [i in 0..1 |-> 2 * i], [i in 0..1 |-> i] }
var s : set of 0..2 in { {}, {1, 2} }
invariant T: true
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_set_literals_of_values_count_each_value_once(backend):
    r = explorer.check(LITERAL, backend=backend, deadlock=False)
    assert (r.verdict, r.stats.distinct, r.stats.generated) == (HOLDS, 8, 8)


# a member of the set outside the variable's type is a range error, never dropped
OUTSIDE = [
    "var s : set of 0..2 in subset 0..3",
    "var m : [0..1] -> 0..1 in [0..1 -> 0..2]",
    "var r : record { a: 0..1 } in [a: {0, 5}]",
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("text", OUTSIDE)
def test_a_value_outside_the_type_is_a_range_error(text, backend):
    r = explorer.check(text + "\ninvariant T: true\n", backend=backend, deadlock=False)
    assert (r.verdict, r.violation.kind, r.violation.length) == (VIOLATED, "range", 0)
    assert (r.violation.loc.line, r.violation.loc.col) == (1, text.index(" in ") + 5)


def test_bmc_and_prove_take_every_choice():
    assert bmc(COMMIT, depth=4).verdict == BOUNDED
    v = bmc(COMMIT, {"FIXED": False}, depth=4).violation
    assert (v.name, v.length) == ("Unanimous", 2)
    assert prove(COMMIT).status == PROVED
    assert prove(NESTED).status == PROVED
    # an invariant false in some initial state: found at length 0, not proved
    text = VOTES.replace("invariant T: true", "invariant T: exists n in Node: not vote[n]")
    assert bmc(text, depth=1).violation.length == 0
    assert any(q.status == CTI for q in prove(text).queries)


def test_many_choices_need_no_nested_loop_each():
    # 14 choices: the tuple back end takes them in one loop over their combinations
    text = "var m : [0..13] -> bool in [0..13 -> bool]\ninit (count i in 0..13: m[i]) <= 1\n"
    for backend in BACKENDS:
        r = explorer.check(text + "invariant T: true\n", backend=backend, deadlock=False)
        assert (r.verdict, r.stats.distinct) == (HOLDS, 15), backend


def test_traces_name_each_choice():
    program = spec.load(COMMIT, {"FIXED": False})
    v = bmc(COMMIT, {"FIXED": False}, depth=4).violation
    text = traces.format_text(program, v)
    title = text.split("State 0: initial state (")[1].split(")\n")[0]
    assert "vote[1]=" in title and "acked[3]=" in title and "cfg.quorum=" in title
    assert "coord={id: 1, term: 0}" in title or "coord={id: 2, term: 1}" in title
    assert "\n  cfg.slack = " in text and "\n  vote[1] = " in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("var s : set of 0..1 = {}\ninvariant I: card(subset s) > 0", "may only be the set a"),
        ("var m : [0..1] -> bool in [0..2 -> bool]", "these maps are over 0..2; m is over 0..1"),
        ("var m : [0..1] -> bool in [0..1, 0..1 -> bool]", "m has 1 index(es); these maps have 2"),
        ("var m : [0..1] -> bool in [0..1 -> 0..1]", "m[0] is bool; it cannot start in a set of"),
        ("var x : 0..1 in [0..1 -> bool]", "x is 0..1, not a map"),
        ("var r : record { a: bool } in [b: bool]", "field 'b' not a field of"),
        ("var r : record { a: bool, b: bool } in [a: bool]", "gives no field 'b'"),
        ("var r : record { a: bool } in [a: bool, a: bool]", "field 'a' given twice"),
        ("var s : set of 0..2 in subset 3", "expected a set, got"),
        ("var s : set of 0..2 in [0..1 -> bool]", "s is set of 0..2, not a map"),
        ("var r : record { a: bool } in { {a: 1} }", "it cannot start in a record"),
        ("var m : [0..1] -> bool in bool", "m is [0..1] -> bool: it starts in a set of such"),
        ("def d = [0..1 -> bool]", "may only be the set a variable starts in"),
        ("def d = [a: bool]", "may only be the set a variable starts in"),
        ("invariant I: forall s in subset 0..1: true", "or the right side of `in`"),
        (
            "type P = symmetric 1..2\nvar s : set of P in subset {1}",
            "s holds symmetric P values",
        ),
    ],
)
def test_front_end_errors(text, message):
    with pytest.raises(SpecErrors) as e:
        spec.load(text)
    assert any(message in err.message for err in e.value.errors), e.value


def test_prove_refuses_a_choice_per_element_of_a_symbolic_domain():
    text = "const N : 1..4 = 2\nvar m : [1..N] -> bool in [1..N -> bool]\ninvariant T: true\n"
    assert explorer.check(text, deadlock=False).stats.distinct == 4
    with pytest.raises(SpecErrors, match="domain of constant size"):
        prove(text, {"N": "?"})


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_error_in_a_literal_value_is_an_initial_error(backend):
    text = "var k : 0..2 in {2}\nvar r : record { a: 0..3 } in { {a: 1}, {a: 3 / (k - 2)} }\n"
    r = explorer.check(text + "invariant T: true\n", backend=backend, deadlock=False)
    v = r.violation
    assert (r.verdict, v.kind, v.length, v.loc.line, v.loc.col) == (VIOLATED, "div", 0, 2, 45)


def test_errors_name_the_place(tmp_path):
    path = tmp_path / "bad.mms"
    path.write_text("type N = 0..1\nvar m : [N] -> bool in [0..2 -> bool]\n")
    with pytest.raises(SpecErrors) as e:
        spec.load(path)
    assert "bad.mms:2:25: error: these maps are over 0..2; m is over 0..1" in e.value.format()
