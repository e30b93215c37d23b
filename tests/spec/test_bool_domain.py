"""`bool` in an expression is the set of its values, as any type name is
(docs/language.md, "Types"): a map literal's domain, a quantifier's, a set, on every
back end. It was "unknown name 'bool'"."""

from __future__ import annotations

import pytest

from mmcheck import explorer
from mmcheck.explorer.core.result import BOUNDED, HOLDS, VIOLATED
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.prove import CTI, PROVED

SPEC = """
var m : [bool] -> 0..2 = [q in bool |-> if q then 1 else 0]
var s : set of bool = bool minus {false}
invariant Each: forall b in bool: m[b] <= 1
invariant In: true in bool and false notin s
invariant Card: card(bool) == 2 and card(s) == 1 and s subset bool
invariant Sum: (sum b in bool: m[b]) == 1 and (count b in bool: b) == 1
invariant Witness: exists b in bool: b and m[b] == 1
"""
WRONG = "invariant Wrong: forall b in bool: m[b] == 1\n"


@pytest.mark.parametrize("backend", ["tuple", "vector"])
def test_bool_as_a_set_in_expressions(backend):
    assert explorer.check(SPEC, deadlock=False, backend=backend).verdict == HOLDS
    r = explorer.check(SPEC + WRONG, deadlock=False, backend=backend)
    assert (r.verdict, r.violation.name) == (VIOLATED, "Wrong")


def test_bool_as_a_set_in_the_prover():
    assert prove(SPEC).status == PROVED
    assert bmc(SPEC, depth=1).verdict == BOUNDED
    assert prove(SPEC + WRONG, invariants=["Wrong"]).status == CTI
