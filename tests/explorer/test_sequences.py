"""Bounded sequences (`seq[N] of T`) through every back end: the expectations of
tests/specs/seq_waitqueue.mms, equal sequences as equal states, the errors of head,
tail, indexing and append at run time, lazy elements, BMC and prove, the traces (text,
CPU diagram, ITF) and the front end's errors."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer import report as traces
from mmcheck.explorer.core.result import HOLDS, VIOLATED
from mmcheck.explorer.tuple import graph
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.prove import PROVED
from mmcheck.spec import ir
from mmcheck.spec.errors import SpecErrors

ROOT = Path(__file__).resolve().parents[2]
WAITQUEUE = ROOT / "tests/specs/seq_waitqueue.mms"
sys.path.insert(0, str(ROOT / "tests"))
from expect_cases import BACKENDS, check_expectation, expectation_cases  # noqa: E402


@pytest.mark.parametrize(("case", "backend"), expectation_cases([WAITQUEUE], 3, named=False))
def test_waitqueue_expectations_hold_on_every_backend(case, backend):
    check_expectation(case, backend)


def test_waitqueue_bmc_finds_the_overflow_and_the_empty_head():
    assert bmc(WAITQUEUE, depth=6).violation is None
    v = bmc(WAITQUEUE, {"CAP": 1}, depth=4).violation
    assert (v.kind, v.length, v.loc.line) == ("range", 3, 20)
    v = bmc(WAITQUEUE, {"CHECKED": False}, depth=4).violation
    assert (v.kind, v.length, v.loc.line) == ("domain", 3, 24)


# Every sequence over {0, 1} of at most two elements, each reached once: positions past
# the length hold one value, so `<<1>>` is one state however it was made.
ALL_SEQS = """
var q : seq[2] of 0..1 = <<>>
action Push(x: 0..1)
  when len(q) < 2
  q' = append(q, x)
action Pop
  when len(q) > 0
  q' = tail(q)
action Swap
  when len(q) == 2
  q' = <<q[2], q[1]>>
invariant Bounded: len(q) <= 2 and (len(q) == 2 => q != <<>>)
invariant HeadFirst: len(q) > 0 => head(q) == q[1] and q[1] in q
invariant Ends: (exists x in q: x == 1) == (1 in q) and (count x in q: true) == len(q)
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_equal_sequences_are_equal_states(backend):
    r = explorer.check(ALL_SEQS, backend=backend)
    assert (r.verdict, r.stats.distinct) == (HOLDS, 7)


def test_equal_sequences_bmc_and_prove():
    assert bmc(ALL_SEQS, depth=5).violation is None
    assert prove(ALL_SEQS).status == PROVED


RUNTIME = """
var q : seq[2] of 0..3 = <<1>>
var k : 0..3 = 0
var step : 0..1 = 0
action Go
  when step == 0
  q' = {WRITE}
  step' = 1
terminal step == 1
"""


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("write", "kind"),
    [
        ("append(append(q, 2), 3)", "range"),  # past the bound of 2
        ("append(append(q, 2), 1 / k)", "range"),  # before any element is evaluated
        ("<<q[k]>>", "domain"),  # position 0
        ("tail(tail(q))", "domain"),
        ("<<head(tail(q))>>", "domain"),
        ("append(q, 4)", "range"),  # an element outside 0..3
        ("append(q, q[1] + 2)", None),
        ("if (1 / k) in tail(q) then q else q", "div"),  # x first, though tail(q) is empty
        ("<<tail(tail(q))[1 / k]>>", "domain"),  # the sequence first, then the position
        ("if len(<<3, 1 / k>>) == 2 then <<head(<<2, 1 / k>>)>> else q", None),  # lazy
        ("if <<1, 1 / k>> != <<2, 1 / k>> and 1 in <<1, 1 / k>> then q else <<>>", None),
    ],
)
def test_runtime_errors(backend, write, kind):
    r = explorer.check(RUNTIME.replace("{WRITE}", write), backend=backend)
    if kind is None:
        assert r.verdict == HOLDS, r.violation
    else:
        assert (r.verdict, r.violation.kind, r.violation.length) == (VIOLATED, kind, 1)
        assert r.violation.loc.line == 7


def test_trace_shows_sequences_as_written():
    program = spec.load(WAITQUEUE, {"CAP": 1})
    v = explorer.check(program).violation
    text = traces.format_text(program, v)
    assert "  waiters = <<>>\n" in text and "  waiters: <<>> -> <<2>>\n" in text
    assert "waiters.len" not in text.split("Trace")[1].split("fails")[0]
    cpu = traces.format_cpu(program, v)
    assert "waiters = <<>>" in cpu and "waiters = <<2>>" in cpu
    itf = traces.to_itf(program, v.trace)
    assert [s["waiters"] for s in itf["states"]] == [[], [], [{"#bigint": "2"}]]
    writes = itf["states"][2]["#meta"]["writes"]
    assert {"var": "waiters", "value": [{"#bigint": "2"}], "unchanged": False, "via": []} in writes


LOCAL = """
process p[i in 1..2] {
  var mine : seq[2] of enum { red, blue } = <<>>
  a: mine := append(mine, red)
  b: mine := append(mine, blue)
  c: assert mine != <<red, blue>>
}
"""


def test_local_sequences_in_traces():
    program = spec.load(LOCAL)
    v = explorer.check(program).violation
    assert v.kind == "assert"
    text = traces.format_text(program, v)
    assert "  p[1].mine = <<>>\n" in text and "p[1].mine: <<red>> -> <<red, blue>>" in text
    itf = traces.to_itf(program, v.trace)
    assert itf["states"][-1]["p"]["mine"]["#map"][0][1] == ["red", "blue"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("var q : seq[0] of bool = <<>>", "a sequence's bound must be at least 1, not 0"),
        ("var q : seq[2] of set of bool = <<>>", "elements are bools, ranges or enums"),
        (
            "type P = symmetric enum { a, b }\nvar q : seq[2] of P = <<>>",
            "a sequence of values of symmetric enum P is not supported",
        ),
        ("var q : seq[2] of bool in {<<>>}", "a sequence's initial value is given by `=`"),
        ("var m : [1..2] -> seq[2] of bool = [i in 1..2 |-> <<>>]", "a variable's own type"),
        ("var q : seq[2] of 0..3 = <<1, 2, 3>>", "value 3 is outside the range 0..2 of q.len"),
        ("var q : seq[2] of 0..3 = <<1, true>>", "sequence elements of different types"),
        ("def d = head(<<>>)", "head of the empty sequence"),
        ("def d = <<1, 2>>[0]", "position 0 is outside the sequence"),
        ("def d = len(3)", "expected a sequence, got int"),
        ("def d = <<1>> == <<true>>", "type mismatch: seq[1] of int and seq[1] of bool"),
        ("var q : seq[2] of bool = <<>>\nprocess p {\n  a: q[1] := true\n}", "q is not a map"),
    ],
)
def test_front_end_errors(text, message):
    with pytest.raises(SpecErrors) as e:
        spec.load(text)
    assert any(message in err.message for err in e.value.errors), e.value


def test_prove_with_a_symbolic_bound():
    text = ALL_SEQS.replace("seq[2]", "seq[N]").replace("len(q) < 2", "len(q) < N")
    text = "const N : 1..4 = 2\n" + text.replace("len(q) <= 2 and ", "len(q) <= N and ")
    assert prove(text, {"N": "?"}).status == PROVED


# Tasks are symmetric: a position past the length holds 4, no task, so that no
# permutation of the tasks moves it (were it task 1, the states with an equal queue
# would fall into several orbits, and the reduction would count too many).
SYMMETRIC = """
type Task = symmetric 1..3
var locked : bool = false
var owner : Task in Task
var waiters : seq[3] of Task = <<>>
symmetric process task[t in Task] {
  take:  if not locked then { locked := true; owner := t; goto crit }
         else { waiters := append(waiters, t) }
  sleep: await locked and owner == t
  crit:  skip
  wake:  if len(waiters) > 0 {
           owner := head(waiters)
           waiters := tail(waiters)
         } else {
           locked := false
         }
}
invariant OwnerNotQueued: not locked or not (owner in waiters)
invariant QueuedOnce: forall t in Task: (count w in waiters: w == t) <= 1
"""


def orbits(program: ir.Program, states, sort: str, values: list[int]) -> int:
    """How many orbits the states make under the permutations of the sort's values:
    each slot's value and each index over the sort permuted."""

    def permute(state: tuple[int, ...], sigma: dict[int, int]) -> tuple[int, ...]:
        out = list(state)
        for v in program.vars:
            by_sort = [k for k, d in enumerate(v.dims) if d.sort == sort]
            of_sort = sort in dict(v.type.sorts)
            for idx in ir.indices(ir.dim_bounds(v)):
                x = state[program.slot_index(v.name, idx)]
                moved = tuple(sigma[i] if k in by_sort else i for k, i in enumerate(idx))
                out[program.slot_index(v.name, moved)] = sigma.get(x, x) if of_sort else x
        return tuple(out)

    perms = [dict(zip(values, p)) for p in itertools.permutations(values)]
    return len({min(permute(s, sigma) for sigma in perms) for s in states})


def test_symmetric_elements_count_one_state_per_orbit():
    program = spec.load(SYMMETRIC)
    states = graph.explore(program, max_states=1000).states
    assert (len(states), orbits(program, states, "Task", [1, 2, 3])) == (90, 19)
    for backend in ("tuple", "vector"):
        r = explorer.check(SYMMETRIC, backend=backend)
        assert (r.verdict, r.stats.distinct) == (HOLDS, 19)
        r = explorer.check(SYMMETRIC, backend=backend, symmetry=False)
        assert (r.verdict, r.stats.distinct) == (HOLDS, 90)
    r = explorer.check(SYMMETRIC, backend="reference")
    assert (r.verdict, r.stats.distinct) == (HOLDS, 90)
    assert bmc(SYMMETRIC, depth=6).violation is None
