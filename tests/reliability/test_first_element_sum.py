"""A sum that takes the first element of a range, `sum p in lo..hi: if C(p) and (forall
q in lo..p - 1: not C(q)) then g(p) else 0` (compaction_alloc()'s first page of the
pool, spec/models/migrate_page.mms), is encoded at a symbolic size as g of the least p
with C(p), or 0 (Encoder._first_element), where its recursive definition needs an
induction z3 does not do. Each spec here is proved at N=? and checked by the reference
interpreter, which shares no code with the prover, at N = 1..4: an invariant PROVED
holds there. The invariants that fail are never PROVED, and a summand of another shape
(an inner range not lo..p - 1, an inner condition not C) keeps the recursive encoding.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mmcheck import spec
from mmcheck.explorer import reference
from mmcheck.invariants import prove
from mmcheck.invariants.encode import Encoder
from mmcheck.invariants.prove import CTI, PROVED

sys.path.insert(0, str(Path(__file__).parent))
from test_differential import goals_proved, proof_problems  # noqa: E402

# flag[N] is set, and each setter may set its flag until the taker takes the first one
SPEC = """
const N : 1..4 = 2
var flag : [{lo}..N] -> bool = [i in {lo}..N |-> i == N]
var got : 0..9 = 0
var taken : bool = false
def first = sum p in {lo}..N: if flag[p] and (forall q in {inner}: not {c}) then {g} else 0
process taker {{
take:
  got := first
  taken := true
}}
// a second step that reads the sum in the same state: it reuses the taker's term, and
// its queries need the fact that pins it
process checker {{
check:
  assert first >= 0, "the sum is an index, a constant or N + 1 - p"
}}
process setter[self in {lo}..N] {{
raise_flag:
  await not taken
  flag[self] := true
}}
lemma LastSet: flag[N]
{invariants}
"""

LEAST = "invariant Least: taken => forall q in {lo}..N: q < got => not flag[q]"


def first_sum(invariants: str, lo: int = 1, g: str = "p", inner: str = "", c: str = "") -> str:
    return SPEC.format(
        lo=lo,
        g=g,
        inner=inner or f"{lo}..p - 1",
        c=c or "flag[q]",
        invariants=invariants.format(lo=lo),
    )


TAKE_CTI = [("taker.take", CTI)]

# each spec, and per invariant the queries not proved (action, status)
CASES = {
    # g(p) = p: the least flag
    "index": (
        first_sum(f"invariant Found: taken => got >= 1 and got <= N and flag[got]\n{LEAST}"),
        {"Found": [], "Least": []},
    ),
    "index, wrong": (first_sum("invariant NotLast: taken => got != N"), {"NotLast": TAKE_CTI}),
    # g(p) a constant, and an expression of p
    "constant": (first_sum("invariant Seven: taken => got == 7", g="7"), {"Seven": []}),
    "constant, wrong": (first_sum("invariant Zero: taken => got == 0", g="7"), {"Zero": TAKE_CTI}),
    "expression": (
        first_sum("invariant InRange: taken => got >= 1 and got <= N", g="N + 1 - p"),
        {"InRange": []},
    ),
    "expression, wrong": (
        first_sum("invariant One: taken => got == 1", g="N + 1 - p"),
        {"One": TAKE_CTI},
    ),
    # the range holds 0: the sum is 0 where flag[0] is the first flag, and where none is
    "zero inside": (
        first_sum(f"invariant Found: taken => flag[got]\n{LEAST}", lo=0),
        {"Found": [], "Least": []},
    ),
    "zero inside, wrong": (
        first_sum("invariant NotZero: taken => got != 0", lo=0),
        {"NotZero": TAKE_CTI},
    ),
    # read by the invariant, in the pre-state and the successor of every step
    "invariant": (first_sum("invariant FirstSet: first >= 1 and flag[first]"), {"FirstSet": []}),
    "invariant, wrong": (
        first_sum("invariant FirstLast: first == N"),
        {"FirstLast": [("setter.raise_flag", CTI)]},
    ),
}

# summands of other shapes, whose sum is not the first flag's index, and the invariants
# that say it is fail: the first sum is always 0; flags 1 and 2 give 1 + 2 in the second
# and the fourth; the third is 1 where flag[1] is set, else 0
OTHER_SHAPES = {
    "inner range to p": first_sum("invariant Found: taken => got != 0", inner="1..p"),
    "inner range from 2": first_sum("invariant Found: taken => flag[got]", inner="2..p - 1"),
    "inner condition reads p": first_sum("invariant Found: taken => got != 0", c="flag[p]"),
    "inner condition another flag": first_sum(
        "invariant Found: taken => flag[got]", c="flag[q] and q != 1"
    ),
}


def first_element_encoded(text: str, consts: dict) -> bool:
    """Whether the taker's step encodes the sum as a first element (Encoder.facts)."""
    program = spec.load(text, consts, symbolic="?" in consts.values())
    enc = Encoder(program)
    take = next(a for a in program.actions if a.name == "taker.take")
    enc.step(take, enc.new_state("pre"), {})
    return bool(enc.facts)


def reference_problems(text: str, proof) -> list[str]:  # noqa: ANN001 - a ProveResult
    """Where the reference contradicts the proof at N = 1..4; and, for a goal the proof
    does not claim, whether the reference violates it at one of them (it is wrong)."""
    problems, violated = [], False
    for n in (1, 2, 3, 4):
        ref = reference.Reference(text, {"N": n})
        problems += proof_problems(proof, ref, f" at N={n}")
        violated |= bool(
            reference.explore(ref, deadlock=False, invariants=list(proof.goals)).violations
        )
    if not goals_proved(proof) and not violated:
        problems.append(f"{proof.goals[0]} holds at N = 1..4: no wrong invariant")
    return problems


def not_proved(text: str, goal: str, timeout: float) -> list[tuple[str, str]]:
    p = prove(text, {"N": "?"}, invariants=[goal], timeout=timeout)
    assert reference_problems(text, p) == []
    return [(q.action, q.status) for q in p.queries if q.status != PROVED]


@pytest.mark.parametrize("case", CASES)
def test_a_first_element_sum_proves_at_a_symbolic_size(case):
    text, expected = CASES[case]
    assert first_element_encoded(text, {"N": "?"})
    assert {goal: not_proved(text, goal, 20) for goal in expected} == expected


@pytest.mark.parametrize("case", OTHER_SHAPES)
def test_another_summand_keeps_the_recursive_sum(case):
    text = OTHER_SHAPES[case]
    assert not first_element_encoded(text, {"N": "?"})
    assert ("taker.take", CTI) in not_proved(text, "Found", 5)


@pytest.mark.parametrize("n", (1, 2, 3, 4))
def test_a_first_element_sum_at_a_concrete_size_is_unrolled(n):
    text, expected = CASES["index"]
    assert not first_element_encoded(text, {"N": n})
    assert prove(text, {"N": n}, invariants=list(expected)).status == PROVED
