"""Temporal properties and fairness in the language: the syntax, the IR they lower to
(`ir.Property`, `Action.fairness`, `expect ... violates property`), how `mmcheck ir`
shows them, and the errors of each misuse at file:line:col."""

from __future__ import annotations

import pytest

from mmcheck import spec
from mmcheck.spec import ir
from mmcheck.spec.ir_print import expr
from tests.spec.test_errors import assert_error

SPEC = """\
spec live
const N = 2
var x : 0..2 = 0
var fair : bool = false
fair process p[i in 1..N] { a: x := (x + 1) % 3; goto a }
strongly fair symmetric process q[j in 1..N] { b: await x == 2 }
process r { c: skip }
strongly fair action flip(v: bool) when x == 1 fair' = v
action idle when false
property Reach: eventually x == 2
property Again: always eventually fair
property Settle: eventually always x > 0
property Answer: x == 1 leads_to forall k in 0..1: x != k
expect violates property Reach
expect N=1: violates property Again (cycle of 3 steps)
expect holds
"""


def test_properties_lower_in_declaration_order():
    p = spec.load(SPEC)
    got = [(x.name, x.kind, expr(x.p), x.q and expr(x.q)) for x in p.properties]
    assert got == [
        ("Reach", "eventually", "x == 2", None),
        ("Again", "always_eventually", "fair", None),
        ("Settle", "eventually_always", "x > 0", None),
        ("Answer", "leads_to", "x == 1", "forall k in 0..1: x != k"),
    ]
    assert [x.loc.line for x in p.properties] == [10, 11, 12, 13]
    assert all(x.kind in ir.PROPERTY_KINDS for x in p.properties)


def test_fairness_of_actions_and_process_steps():
    p = spec.load(SPEC)
    fairness = {a.name: a.fairness for a in p.actions}
    assert fairness == {
        "flip": "strong",
        "idle": None,
        "p.a": "weak",
        "q.b": "strong",
        "r.c": None,
    }
    assert p.init.fairness is None


def test_expect_property_and_cycle():
    p = spec.load(SPEC)
    got = [(x.consts, x.verdict, x.prop, x.cycle) for x in p.expects]
    assert got == [
        ((), "property", "Reach", None),
        ((("N", 1),), "property", "Again", 3),
        ((), "holds", None, None),
    ]
    assert "property" in ir.VERDICTS


def test_ir_shows_properties_and_fairness(run_cli):
    rc, out, err = run_cli(SPEC, verb="ir")
    assert rc == 0, err
    lines = out.splitlines()
    assert "property Reach: eventually (x == 2)" in lines
    assert "property Again: always eventually (fair)" in lines
    assert "property Settle: eventually always (x > 0)" in lines
    assert "property Answer: (x == 1) leads_to (forall k in 0..1: x != k)" in lines
    assert "expect N=1: property Again cycle=3" in lines
    heads = [s.split("    #")[0] for s in lines if "action " in s and "    # " in s]
    assert "strongly fair action flip(v: bool)" in heads
    assert "fair action p.a(self: int 1..2)" in heads
    assert "action idle()" in heads
    assert "action r.c()" in heads


def test_words_stay_names_elsewhere():
    """`property`, `fair`, `strongly`, `eventually`, `always` are names where no
    declaration or property starts (a variable may be called `fair`)."""
    text = (
        "var fair : bool = false\nvar always : 0..1 = 0\nvar strongly : bool = true\n"
        "action a when always == 0 fair' = true\naction b when fair strongly' = false\n"
        "invariant I: fair or strongly or always == 0\n"
    )
    p = spec.load(text)
    assert [a.name for a in p.actions] == ["a", "b"]
    assert p.properties == ()


HEAD = "var x : 0..2 = 0\nprocess p { a: x := 1 }\n"  # line 3: the case

ERRORS = [
    # (name, line 3, col, message fragment)
    ("not a bool", "property P: eventually x", 24, "expected a bool, got 0..2"),
    ("premise not a bool", "property P: x leads_to true", 13, "expected a bool, got 0..2"),
    ("conclusion not a bool", "property P: true leads_to x + 1", 27, "expected a bool"),
    ("unknown name", "property P: always eventually y", 31, "unknown name 'y'"),
    ("primed", "property P: eventually x' == 0", 25, "has no primed variables"),
    ("primed in leads_to", "property P: x == 1 leads_to x' == 2", 30, "has no primed"),
    ("plain predicate", "property P: x == 0", 19, "expected 'leads_to'"),
    ("always alone", "property P: always x == 0", 20, "expected 'eventually'"),
    ("fair invariant", "fair invariant I: x == 0", 6, "expected 'action', 'process'"),
    ("fair symmetric order", "symmetric fair process s { b: skip }", 11, "expected 'process'"),
    ("strongly without fair", "strongly process s { b: skip }", 10, "expected 'fair'"),
    ("unknown property", "expect violates property Q", 1, "there is no property 'Q'"),
    ("cycle on holds", "expect holds (cycle of 2 steps)", 14, "goes with `violates property`"),
    ("duplicate", "invariant P: true\nproperty P: eventually true", 1, "duplicate definition"),
    ("keyword name", "property if: eventually true", 10, "'if' is a keyword"),
]


@pytest.mark.parametrize("name,case,col,message", ERRORS, ids=[c[0] for c in ERRORS])
def test_error(run_cli, name, case, col, message):
    rc, out, err = run_cli(HEAD + case + "\n")
    line = 3 + case.count("\n")
    assert_error(rc, err, line, col, message, case.splitlines()[-1])


def test_unknown_property_suggests_the_near_name(run_cli):
    rc, out, err = run_cli(
        HEAD + "property Starve: eventually true\nexpect violates property Strave\n"
    )
    assert_error(
        rc,
        err,
        4,
        1,
        "there is no property 'Strave'",
        "expect violates property Strave",
        hint="did you mean `Starve`?",
    )
