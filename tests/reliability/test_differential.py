"""Differential tests: every back end against the reference interpreter, on random specs.

The specs come from specgen (seeded, well typed, small, every construct of the language
reference). The reference (explorer/reference) evaluates the checked AST directly and
shares no code with the lowering, so a lowering bug shows here as a disagreement:

- tuple, vector and tuple with fingerprints (symmetry off): the same verdict; on HOLDS
  the same distinct, generated and depth; on VIOLATED a violation of the shortest
  length whose (kind, name, loc) the reference found too, with a trace every step of
  which is a real transition of the reference (a failed step: an error it raises);
  on HOLDS the same covers reached, each at the same (shortest) depth;
- with symmetry, for specs with symmetric types: the verdict and the length, and the
  covers;
- BMC at a small depth: a violation within the depth iff the reference's bounded search
  has one, of the same length;
- with the lemmas checked too (--lemmas), for specs that declare some: as above;
- prove: an invariant PROVED (with the lemmas, all proved too) is never violated in the
  reference's search, and a spec all of whose queries are PROVED holds (deadlocks aside).

A failure prints the seed and the spec, so that the case can be reproduced with
`specgen.generate(seed)` and minimised; each disagreement found so far is pinned in
test_differential_regressions.py. `-m slow` runs thousands of seeds.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer import reference
from mmcheck.explorer.core.result import BOUNDED, HOLDS, INCOMPLETE, VIOLATED, Result
from mmcheck.explorer.report.dot import edge_label
from mmcheck.explorer.tuple import graph
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.prove import PROVED, ProveResult

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
import specgen  # noqa: E402 - a helper module beside the tests, not a package
from outcomes import verdict  # noqa: E402

CI_SEEDS = range(200)
SLOW_SEEDS = range(100_000, 104_000)
PROOF_SEEDS = range(0, 200, 4)  # z3 takes tenths of a second a spec
MAX_STATES = 5000  # the reference's bound: a bigger spec is left out (and counted)
BMC_DEPTH = 4
SIM_WALKS, SIM_DEPTH = 20, 12  # --simulate: walks per spec and steps per walk


@functools.lru_cache(maxsize=256)  # the CI seeds, shared by the tests
def case(seed: int) -> tuple[specgen.Generated, reference.Reference, reference.Exploration]:
    g = specgen.generate(seed)
    ref = reference.Reference(g.text)
    return g, ref, reference.explore(ref, max_states=MAX_STATES)


def fail(g: specgen.Generated, problems: list[str]) -> None:
    if problems:
        pytest.fail(
            f"seed {g.seed}:\n  " + "\n  ".join(problems) + f"\n--- spec\n{g.text}", pytrace=False
        )


def trace_problems(what: str, r: Result, ex: reference.Exploration) -> list[str]:
    """The trace is one of the reference's: an initial state, then transitions, then
    (for a failed step) an error the reference raises from the last state."""
    v = r.violation
    states = [s.state for s in v.trace]
    if states and not ex.is_initial(states[0]):
        return [f"{what}: trace state 0 is no initial state of the reference"]
    for k, (pre, post) in enumerate(zip(states, states[1:]), 1):
        if not ex.is_transition(pre, post):
            return [
                f"{what}: trace step {k} ({v.trace[k].action}) is no transition of the reference"
            ]
    if v.failed and states and (v.kind, v.loc) not in ex.faults_from(states[-1]):
        return [
            f"{what}: the failed step's {v.kind} at {v.loc} is no error of the reference "
            f"from the last state (it has {sorted(map(str, ex.faults_from(states[-1])))})"
        ]
    return []


def reached(r: Result | None) -> dict[str, int | None]:
    """Each cover's shortest witness length, None where not reached."""
    return {c.name: c.length if c.reached else None for c in r.covers} if r else {}


def compare(what: str, r: Result, ex: reference.Exploration, full: bool = True) -> list[str]:
    """What differs between a back end's result and the reference's exploration; `full`
    compares the statistics and the violation's identity too (not under symmetry)."""
    if r.verdict != ex.verdict:
        return [f"{what}: {verdict(r)}, reference {ex.verdict} {sorted(map(str, ex.violations))}"]
    got = []
    if r.verdict == HOLDS and reached(r) != reached(ex.result):
        got.append(f"{what}: covers reached {reached(r)}, reference {reached(ex.result)}")
    if r.verdict == HOLDS and full:
        mine, theirs = (
            (r.stats.distinct, r.stats.generated, r.stats.depth),
            (ex.distinct, ex.generated, ex.depth),
        )
        if mine != theirs:
            got.append(f"{what}: (distinct, generated, depth) {mine}, reference {theirs}")
    if r.verdict == VIOLATED:
        v = r.violation
        if v.length != ex.shortest:
            got.append(
                f"{what}: {verdict(r)}, reference's shortest {ex.shortest}: {sorted(map(str, ex.violations))}"
            )
        elif full and (v.kind, v.name, v.loc) not in ex.violations:
            got.append(
                f"{what}: {(v.kind, v.name, str(v.loc))} is not among the reference's "
                f"{sorted(map(str, ex.violations))}"
            )
        got += trace_problems(what, r, ex)
    return got


def backend_problems(seed: int) -> list[str]:
    g, ref, ex = case(seed)
    if ex.verdict == INCOMPLETE:
        return []  # too big for the reference: counted by test_specs_are_small
    got = []
    for what, options in (
        ("tuple", {"backend": "tuple"}),
        ("tuple --fingerprint", {"backend": "tuple", "fingerprint": True}),
        ("vector", {"backend": "vector"}),
    ):
        got += compare(what, explorer.check(g.text, symmetry=False, **options), ex)
    if g.symmetric:
        for backend in ("tuple", "vector"):
            got += compare(
                f"{backend} with symmetry", explorer.check(g.text, backend=backend), ex, full=False
            )
    # again with no invariant and no deadlock check: most specs then hold (125 of the CI
    # 200, against 49 as written), so the state counts are compared on most of them
    bare = reference.explore(ref, deadlock=False, invariants=[], max_states=MAX_STATES)
    if bare.verdict != INCOMPLETE:
        for backend in ("tuple", "vector"):
            r = explorer.check(
                g.text, backend=backend, symmetry=False, deadlock=False, invariants=[]
            )
            got += compare(f"{backend} without invariants or deadlocks", r, bare)
    if g.lemmas:
        with_lemmas = reference.explore(ref, lemmas=True, max_states=MAX_STATES)
        if with_lemmas.verdict != INCOMPLETE:
            for backend in ("tuple", "vector"):
                r = explorer.check(g.text, backend=backend, symmetry=False, lemmas=True)
                got += compare(f"{backend} --lemmas", r, with_lemmas)
    got += simulation_problems(g, ref, ex)
    if ex.verdict == HOLDS:  # graph's loop reports errors on its own (not compared here)
        got += graph_problems(g, ex)
    return got


def simulation_problems(
    g: specgen.Generated, ref: reference.Reference, ex: reference.Exploration
) -> list[str]:
    """A random walk's violation is real (not necessarily shortest): the walk follows
    the reference's transitions, which may go past the states its search stored, and
    the reference finds the same violation at its end."""
    r = explorer.check(g.text, simulate=SIM_WALKS, seed=g.seed, depth=SIM_DEPTH)  # tuple only
    if r.verdict != VIOLATED:
        return []
    v, states = r.violation, [s.state for s in r.violation.trace]
    if not states or not ex.is_initial(states[0]):
        return [] if not states else ["--simulate: trace state 0 is no initial state"]
    cur = ex.states[states[0]]
    for k, post in enumerate(states[1:], 1):
        succ = {ref.encode(t.target): t.target for t in ref.transitions(cur) if t.target}
        if post not in succ:
            return [f"--simulate: trace step {k} ({v.trace[k].action}) is no transition"]
        cur = succ[post]
    if v.failed:
        found = {(f.kind, f.loc) for t in ref.transitions(cur) for f in t.faults}
    elif v.kind == "invariant" or v.name is not None:
        found = {(f.kind, f.loc) for f in ref.invariant_faults(cur)}
    else:
        found = (
            {(f.kind, f.loc) for f in ref.stuck_faults(cur)} if not ref.transitions(cur) else set()
        )
    if (v.kind, v.loc) not in found:
        return [
            f"--simulate: {v.kind} at {v.loc} is no violation of the reference at the walk's "
            f"end (it has {sorted(map(str, found))})"
        ]
    return []


def graph_problems(g: specgen.Generated, ex: reference.Exploration) -> list[str]:
    """`mmcheck graph` draws the reference's states, and only its transitions, once each."""
    sg = graph.explore(spec.load(g.text), max_states=MAX_STATES)
    got = []
    if set(sg.states) != set(ex.states):
        got.append(
            f"graph: {len(sg.states)} states, reference {len(ex.states)} "
            f"({len(set(sg.states) ^ set(ex.states))} differ)"
        )
    node = {n: s for s, n in sg.states.items()}
    program = spec.load(g.text)
    edges = [(src, edge_label(program, step), dst) for src, step, dst in sg.edges]
    if len(set(edges)) != len(edges):
        got.append("graph: parallel edges with the same label")
    bad = [(src, label) for src, label, dst in edges if not ex.is_transition(node[src], node[dst])]
    if bad:
        got.append(f"graph: {len(bad)} edges are no transition of the reference, e.g. {bad[0]}")
    return got


def bmc_problems(seed: int) -> list[str]:
    """BMC at depth k against the reference's search bounded at k, deadlocks off (BMC
    has none); errors from the states at depth k are one step too deep for both."""
    g, ref, _ = case(seed)
    ex = reference.explore(ref, deadlock=False, max_depth=BMC_DEPTH, max_states=MAX_STATES)
    if ex.verdict == INCOMPLETE and ex.shortest is None and ex.distinct >= MAX_STATES:
        return []
    got = bmc(g.text, depth=BMC_DEPTH)
    if ex.shortest is not None and ex.shortest <= BMC_DEPTH:
        v = got.violation
        if got.verdict != VIOLATED or v.length != ex.shortest:
            return [
                f"bmc depth {BMC_DEPTH}: {verdict(got)}, reference {sorted(map(str, ex.violations))} "
                f"in {ex.shortest} steps"
            ]
        if (v.kind, v.name, v.loc) not in ex.violations:
            return [
                f"bmc: {(v.kind, v.name, str(v.loc))} is not among the reference's "
                f"{sorted(map(str, ex.violations))}"
            ]
        return trace_problems("bmc", got, ex)
    if got.verdict != BOUNDED:
        return [f"bmc depth {BMC_DEPTH}: {verdict(got)}, reference none within the depth"]
    return []


def prove_problems(seed: int) -> list[str]:
    """An invariant proved inductive is never violated; all queries proved: no error.
    The spec's lemmas are goals too: the proof stands only if they are proved as well."""
    g, ref, _ = case(seed)
    got = []
    for name in g.invariants or g.lemmas[:1]:
        got += proof_problems(prove(g.text, invariants=[name], timeout=5), ref)
    return got


def goals_proved(p: ProveResult) -> bool:
    return all(q.status == PROVED for q in p.queries if q.invariant in p.goals)


def proof_problems(p: ProveResult, ref: reference.Reference, at: str = "") -> list[str]:
    """Where the reference (at the sizes `at` names) contradicts the proof p: a goal
    proved is violated, or all queries are proved and it finds an error. A goal is not
    claimed where a constraint fails to evaluate (docs/prove.md, "State constraints":
    the `(no runtime error)` row covers that state), so then only the second counts."""
    if not goals_proved(p):
        return []
    ex = reference.explore(ref, deadlock=False, invariants=list(p.goals), max_states=MAX_STATES)
    name = p.goals[0]
    constraints = {c.name for c in ref.program.constraints}
    unclaimed = any(n in constraints for kind, n, _ in ex.violations if kind != "invariant")
    if not unclaimed and any(kind == "invariant" for kind, _, _ in ex.violations):
        return [
            f"prove: {name} PROVED, reference{at} {sorted(map(str, ex.violations))} "
            f"in {ex.shortest} steps"
        ]
    if p.status == PROVED and ex.verdict == VIOLATED:
        return [
            f"prove: every query PROVED for {name}, reference{at} {sorted(map(str, ex.violations))}"
        ]
    return []


@pytest.mark.parametrize("seed", CI_SEEDS)
def test_backends_agree_with_reference(seed):
    fail(case(seed)[0], backend_problems(seed))


@pytest.mark.parametrize("seed", PROOF_SEEDS)
def test_bmc_agrees_with_reference(seed):
    fail(case(seed)[0], bmc_problems(seed))


@pytest.mark.parametrize("seed", PROOF_SEEDS)
def test_proofs_hold_in_reference(seed):
    fail(case(seed)[0], prove_problems(seed))


def test_every_construct_is_generated():
    """The CI seeds produce every construct of the language reference at least once
    (fairness and temporal properties: those of test_liveness_differential.py)."""
    used = set().union(*(specgen.generate(s).constructs for s in CI_SEEDS))
    assert set(specgen.CONSTRUCTS) - specgen.LIVENESS - used == set()
    assert used & specgen.LIVENESS == set()


def test_generation_ends_on_chains_of_bool_indices():
    """Seed 106054 indexed a map over bool by a read of a map over bool, and so on,
    until the recursion limit (the generator bounds such chains)."""
    assert specgen.generate(106054).text


def test_specs_are_small_and_varied():
    """Nearly all CI specs are explored completely by the reference, and the verdicts
    are mixed: holds, invariant violations, step errors and deadlocks all occur."""
    exs = [case(s)[2] for s in CI_SEEDS]
    assert sum(ex.verdict == INCOMPLETE for ex in exs) <= len(exs) // 20
    kinds = {kind for ex in exs for kind, _, _ in ex.violations}
    assert {"invariant", "deadlock", "assert", "lock", "range", "domain", "div"} <= kinds
    assert sum(ex.verdict == HOLDS for ex in exs) >= len(exs) // 10


def beyond_lowering_limit(g: specgen.Generated) -> bool:
    """Whether the spec is beyond the lowering's documented size limit
    (spec.lower.MAX_ACTION_NODES: a step that writes out to more expression nodes); then
    every back end must refuse it with that error, the reference included (it reads the
    slot layout from the lowering), and there is nothing to compare."""
    try:
        spec.load(g.text)
        return False
    except spec.SpecErrors as e:
        if not all("expression nodes" in err.message for err in e.errors):
            raise
    for backend in ("tuple", "vector"):
        with pytest.raises(spec.SpecErrors, match="expression nodes"):
            explorer.check(g.text, backend=backend)
    with pytest.raises(spec.SpecErrors, match="expression nodes"):
        reference.Reference(g.text)
    return True


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_backends_agree_with_reference_long(seed):
    g = specgen.generate(seed)
    if not beyond_lowering_limit(g):
        fail(g, backend_problems(seed))


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS[::8])
def test_bmc_and_proofs_long(seed):
    g = specgen.generate(seed)
    if not beyond_lowering_limit(g):
        fail(g, bmc_problems(seed) + prove_problems(seed))
