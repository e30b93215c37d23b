"""Traces read from z3's models where a quantifier's range is bounded by a parameter (an
action's, or an initial choice's): the encoding makes it a z3 quantifier, which z3's
model evaluator leaves open, so reading a step's error, an initial state's error or a
state's value through it once failed ("the model raises none of the errors", a
StopIteration, an assertion, a term where a number was due). Each is checked against
the reference interpreter or against the spec's own arithmetic."""

from __future__ import annotations

import pytest

from mmcheck import bmc, check, prove
from mmcheck.invariants.prove import CTI, INIT, NO_ERROR, PROVED

MAP = "var m : [1..3] -> 0..3 = [i in 1..3 |-> 0]\n"
# an initial choice bounds the quantifier of the initial constraint: x = 4 reads m[4]
INIT_CHOICE = f"""var x : 0..4 in 0..4
{MAP}init forall j in 1..x: m[j] == 0
action Stay
  x' = x
invariant T: true
"""
# an action's parameter bounds the quantifier of its guard: n = 4 reads m[4]
STEP_GUARD = f"""var b : bool = false
{MAP}action Look(n: 0..4)
  when forall j in 1..n: m[j] == 0
  b' = true
invariant T: true
"""
# ... and the value a step writes
STEP_VALUE = f"""var b : bool = false
{MAP}action Look(n: 0..3)
  when not b
  b' = exists j in 1..n: m[j] == 0
invariant NotB: not b
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [(INIT_CHOICE, ("domain", 0, 3, None)), (STEP_GUARD, ("domain", 1, 4, (("n", 4),)))],
    ids=["init", "step"],
)
def test_bmc_reports_the_error_the_reference_finds(text, expected):
    def outcome(v):  # a violation alone, where the step fails and with which parameters
        return (v.kind, v.length, v.loc.line, v.failed and v.failed.params)

    assert outcome(check(text, backend="reference").violation) == expected
    assert outcome(bmc(text, depth=2).violation) == expected


def test_bmc_reads_the_value_a_quantifier_gives():
    v = bmc(STEP_VALUE, depth=2).violation
    assert (v.kind, v.name, v.length) == ("invariant", "NotB", 1)
    (n,) = (value for name, value in v.trace[1].params if name == "n")
    assert n >= 1 and v.trace[1].state[0] == 1  # m starts all 0: any n >= 1 sets b


def test_prove_shows_the_error_ctis():
    p = prove(INIT_CHOICE)
    (q,) = [q for q in p.queries if q.status != PROVED]
    assert (q.invariant, q.action, q.status, q.cti.kind, q.cti.trace) == (
        NO_ERROR,
        INIT,
        CTI,
        "domain",
        (),
    )
    p = prove(STEP_GUARD)
    (q,) = [q for q in p.queries if q.status != PROVED]
    assert (q.invariant, q.action, q.status, q.cti.kind) == (NO_ERROR, "Look", CTI, "domain")
    assert q.cti.failed.params == (("n", 4),)


def test_prove_shows_the_state_a_quantifier_gives():
    """The CTI's post-state is the step's from its pre-state, by the spec's arithmetic."""
    p = prove(STEP_VALUE)
    (q,) = [q for q in p.queries if q.status != PROVED]
    assert (q.invariant, q.action, q.status) == ("NotB", "Look", CTI)
    pre, post = q.cti.trace
    names = [s.name for s in q.program.slots]
    before, after = dict(zip(names, pre.state)), dict(zip(names, post.state))
    (n,) = (value for name, value in post.params if name == "n")
    assert before["b"] == 0 and after["b"] == 1
    assert after["b"] == any(before[f"m[{j}]"] == 0 for j in range(1, n + 1))
    assert all(after[k] == before[k] for k in names if k != "b")
