"""State constraints (`constraint Name: expr`, TLC's CONSTRAINT) through every back end:
the expectations of tests/specs/constraint_*.mms, the error of a constraint that fails
to evaluate, cut initial states, simulation, the state graph, BMC, prove, symmetry, the
front end's errors and the TLA+ and Promela exports."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

from mmcheck import explorer, spec
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.model import EvalError
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import BOUNDED, HOLDS, INCOMPLETE, VIOLATED
from mmcheck.explorer.export import promela as export_promela
from mmcheck.explorer.export import tla as export_tla
from mmcheck.explorer.tuple import graph
from mmcheck.explorer.tuple.bfs import make_search
from mmcheck.explorer.vector.model import VectorModel
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.cti import check_cti
from mmcheck.invariants.prove import CTI, NO_ERROR, PROVED
from mmcheck.spec.errors import SpecErrors, UsageError

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "tests/specs"
sys.path.insert(0, str(ROOT / "tests"))
from expect_cases import BACKENDS, check_expectation, expectation_cases  # noqa: E402


def spec_path(name: str) -> Path:
    return SPECS / f"constraint_{name}.mms"


@pytest.mark.parametrize(("case", "backend"), expectation_cases(SPECS.glob("constraint_*"), 7))
def test_expectations_hold_on_every_backend(case, backend):
    check_expectation(case, backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_counter_counts_exactly_the_states_kept(backend):
    r = explorer.check(spec_path("counter"), backend=backend)
    assert r.verdict == HOLDS
    # generated counts the cut successor of x = 5, as TLC does
    assert (r.stats.distinct, r.stats.generated, r.stats.depth) == (6, 7, 5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_error_evaluating_a_constraint_is_a_violation(backend):
    r = explorer.check(spec_path("error"), backend=backend)
    v = r.violation
    assert (r.verdict, v.kind, v.name, v.length, v.failed) == (VIOLATED, "domain", "Unset", 3, None)
    assert v.message.endswith("(evaluating constraint Unset)")
    assert (v.loc.line, v.trace[-1].state[0]) == (12, 3)


ALL_CUT = """
var x : 0..3 in 0..3
action Inc
  when x < 3
  x' = x + 1
constraint Big: x > 5
invariant Never: false
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_constraints_may_cut_every_initial_state(backend):
    r = explorer.check(ALL_CUT, backend=backend)
    assert (r.verdict, r.stats.distinct, r.stats.generated) == (HOLDS, 0, 4)
    if backend == "tuple":
        assert r.warnings == ["the constraints cut every initial state"]


def test_step_errors_are_violations_whatever_the_constraint():
    # from x = 2 the step leaves x's range: an error, though x = 3 would be cut
    text = "var x : 0..2 = 0\naction Inc\n  x' = x + 1\nconstraint Low: x <= 2\n"
    for backend in BACKENDS:
        v = explorer.check(text, backend=backend).violation
        assert (v.kind, v.length, v.failed.action) == ("range", 3, "Inc"), backend
    v = bmc(text, depth=4).violation
    assert (v.kind, v.length) == ("range", 3)


def test_simulation_ends_a_walk_where_every_successor_is_cut():
    r = explorer.check(spec_path("counter"), simulate=5, depth=20, seed=1)
    assert (r.verdict, r.reason, r.stats.distinct, r.stats.depth) == (
        INCOMPLETE,
        "simulation",
        6,
        5,
    )
    r = explorer.check(spec_path("guard"), simulate=5, depth=20, seed=1)
    assert (r.verdict, r.violation.kind) == (VIOLATED, "deadlock")
    r = explorer.check(spec_path("error"), simulate=5, depth=20, seed=1)
    assert (r.verdict, r.violation.kind, r.violation.name) == (VIOLATED, "domain", "Unset")


def test_graph_draws_no_cut_state():
    g = graph.explore(spec.load(spec_path("counter")), max_states=100)
    assert len(g.states) == 6 and len(g.edges) == 5 and not g.bad
    assert sorted(s[0] for s in g.states) == list(range(6))


def test_symmetry_keeps_the_verdicts_under_constraints():
    text = (
        "type P = symmetric 1..3\n"
        "var c : [P] -> 0..3 = [p in P |-> 0]\n"
        "action Up(p: P)\n  when c[p] < 3\n  c' = [c except [p] = c[p] + 1]\n"
        "constraint Total: (sum p in P: c[p]) <= 4\n"
        "invariant NotAllTwo: not (forall p in P: c[p] == 2)\n"
    )
    plain = explorer.check(text, symmetry=False)
    for backend in ("tuple", "vector"):
        r = explorer.check(text, backend=backend)
        assert (r.verdict, r.stats.distinct) == (HOLDS, 10)
    assert (plain.verdict, plain.stats.distinct) == (HOLDS, 32)
    with pytest.raises(SpecErrors, match="a constant index breaks symmetry"):
        spec.load(text.replace("<= 4\n", "<= 4 and c[1] == 0\n"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "var x : bool = false\nconstraint x\n",
            "2:13: error: unexpected end of file; expected ':'",
        ),
        (
            "var x : bool = false\nconstraint C: x + 1\n",
            "2:15: error: expected an integer, got bool",
        ),
        (
            "var x : bool = false\ninvariant C: x\nconstraint C: x\n",
            "3:1: error: duplicate definition",
        ),
        ("var x : bool = false\nconstraint C: y\n", "2:15: error: unknown name 'y'"),
    ],
)
def test_bad_constraints_are_spec_errors(text, message, tmp_path):
    path = tmp_path / "bad.mms"
    path.write_text(text)
    with pytest.raises(SpecErrors) as e:
        spec.load(path)
    assert f"bad.mms:{message}" in e.value.format()


@pytest.mark.parametrize("name", ["counter", "hides", "init", "error"])
def test_vector_kernel_interpreter_and_tuple_agree_on_constraints(name):
    search = make_search(spec.load(spec_path(name)), CheckOptions(), Limits())
    vm = VectorModel(search)
    slots = vm.program.slots
    states = list(itertools.product(*(range(s.lo, s.hi + 1) for s in slots)))
    words = vm.layout.pack(np.array(states, dtype=np.int64).T)
    want_cut, want_failed = [], []
    for s in states:
        try:
            want_cut.append(not search.model.constraints_ok(s))
            want_failed.append(False)
        except EvalError:
            want_cut.append(False)
            want_failed.append(True)
    assert any(want_cut) and (name == "error") == any(want_failed)
    ways = [vm.constrained_interpreted]
    if name != "error":  # a[i] reads at an index from the state: not fused
        assert vm.kernels.constrained is not None
    if vm.kernels.constrained is not None:
        ways.append(vm.kernels.constrained)
    for way in ways:
        cut, failed = way(words)
        assert (list(cut), list(failed)) == (want_cut, want_failed)


def test_vector_refuses_a_constraint_it_cannot_compute():
    text = (
        "var x : 0..3 = 0\naction A\n  x' = 1 - x\n"
        "constraint Huge: x * 4611686018427387904 * 4 >= 0\n"
    )
    assert explorer.check(text).verdict == HOLDS
    with pytest.raises(UsageError, match="vector back end cannot check this spec: at .*4:"):
        explorer.check(text, backend="vector")


# ------------------------------------------------------------------ z3


def test_bmc_searches_the_constrained_paths():
    assert bmc(str(spec_path("hides")), depth=8).verdict == BOUNDED
    r = bmc(str(spec_path("hides")), {"LIMIT": 5}, depth=8)
    assert (r.verdict, r.violation.name, r.violation.length) == (VIOLATED, "NeverFive", 6)
    assert bmc(str(spec_path("counter")), depth=10).verdict == BOUNDED
    v = bmc(str(spec_path("error")), depth=5).violation
    assert (v.kind, v.name, v.length) == ("domain", "Unset", 3)
    assert v.message.endswith("(evaluating constraint Unset)")
    assert bmc(ALL_CUT, depth=3).verdict == BOUNDED


def test_prove_assumes_the_constraints():
    # x <= N is inductive only where the constraint keeps x + 1 <= N
    p = prove(str(spec_path("counter")))
    assert p.status == PROVED
    assert prove(str(spec_path("init"))).status == PROVED


def test_prove_reports_a_constraint_that_fails_to_evaluate():
    text = spec_path("error").read_text() + "invariant T: true\n"
    p = prove(text)
    bad = [q for q in p.queries if q.status == CTI]
    assert [(q.invariant, q.action) for q in bad] == [(NO_ERROR, "Inc")]
    v = bad[0].cti
    assert (v.kind, v.name, v.length) == ("domain", "Unset", 1)
    assert v.message.endswith("(evaluating constraint Unset)")
    real = check_cti(bad[0].program, v)
    assert real.verdict == "reachable" and real.violation.length == 3
    assert real.text.startswith("constraint Unset really fails to evaluate")


# ------------------------------------------------------------------ exports


def test_tla_export_writes_constraints(tmp_path):
    program = spec.load(spec_path("hides"))
    export_tla.export(program, "Hides", tmp_path)
    cfg = (tmp_path / "Hides.cfg").read_text()
    assert "CONSTRAINT v_Below\nCONSTRAINT v_YFirst\n" in cfg
    tla = (tmp_path / "Hides.tla").read_text()
    assert "v_NeverFive == (v_Below /\\ v_YFirst) => (" in tla
    assert tla.index("v_Below ==") < tla.index("v_NeverFive ==")


def test_promela_export_refuses_constraints(tmp_path):
    program = spec.load(spec_path("counter"))
    with pytest.raises(ValueError, match="cannot express constraint Bounded"):
        export_promela.export(program, "Counter", tmp_path)
