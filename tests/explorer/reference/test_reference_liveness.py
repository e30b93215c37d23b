"""The reference's brute-force liveness check (explorer/reference/liveness.py): the
semantics of docs/guarantees.md on graphs built by hand, its bounds, and specs through
the reference back end."""

from __future__ import annotations

import pytest

from mmcheck import explorer
from mmcheck.cli import main
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, STUTTER, VIOLATED
from mmcheck.explorer.reference import liveness
from mmcheck.explorer.reference.liveness import Graph, decide
from mmcheck.spec.errors import UsageError

U, V = ("p.u", None), ("p.v", None)


def graph(n: int, edges: list[tuple[int, object, int]], strong=(), initial=(0,)) -> Graph:
    return Graph(n, list(initial), [(a, u, b, None) for a, u, b in edges], set(strong))


def states(g: Graph, lasso: liveness.Lasso) -> list[int]:
    """The lasso's states: the prefix, then each cycle step's target."""
    out = list(lasso.prefix)
    for k in lasso.cycle:
        out.append(out[-1] if k is None else g.edges[k][2])
    return out


def test_a_stutter_cycle_violates_eventually_without_fairness():
    g = graph(2, [(0, None, 1)])
    lasso, examined = decide(g, "eventually", [False, True])
    assert lasso == liveness.Lasso((0,), (None,)) and examined == 1


def test_weak_fairness_of_a_step_enabled_all_along_forbids_stuttering():
    g = graph(2, [(0, U, 1)])
    assert decide(g, "eventually", [False, True])[0] is None


def test_weak_fairness_allows_a_cycle_through_a_state_where_the_step_is_disabled():
    # u leaves the cycle 0 <-> 1 at 0 only: weakly fair, a fair cycle; strongly, none
    edges = [(0, V, 1), (1, V, 0), (0, U, 2)]
    p = [False, False, True]
    lasso, _ = decide(graph(3, edges), "eventually", p)
    assert lasso is not None and sorted(set(states(graph(3, edges), lasso))) == [0, 1]
    assert decide(graph(3, edges, strong={U}), "eventually", p)[0] is None


def test_a_strongly_fair_step_taken_in_the_cycle_is_fair():
    edges = [(0, U, 1), (1, V, 0)]
    lasso, _ = decide(graph(2, edges, strong={U, V}), "always_eventually", [False, False])
    assert lasso is not None and len(lasso.cycle) == 2


def test_eventually_always_needs_a_state_of_not_p_in_the_cycle():
    # a step that changes nothing is a stutter, of no unit (graph_of labels it so)
    edges = [(0, U, 1), (1, U, 0), (1, None, 1)]
    assert decide(graph(2, edges), "eventually_always", [True, False])[0] is not None
    assert decide(graph(2, edges), "eventually_always", [True, True])[0] is None
    # weak fairness of U rules out staying at 1 but not the cycle through 0
    lasso, _ = decide(graph(2, edges), "eventually_always", [False, True])
    assert lasso is not None and 0 in states(graph(2, edges), lasso)[len(lasso.prefix) - 1 :]


def test_leads_to_looks_from_each_state_of_p_and_not_q():
    # 0 -> 1 -> 2 (Q), 1 stutters unless the fair step to 2 is taken
    g = graph(3, [(0, None, 1), (1, U, 2)])
    p, q = [False, True, False], [False, False, True]
    assert decide(g, "leads_to", p, q)[0] is None
    g = graph(3, [(0, None, 1), (1, None, 2)])
    lasso, _ = decide(g, "leads_to", p, q)
    assert lasso is not None and lasso.prefix == (0, 1) and lasso.cycle == (None,)


def test_always_eventually_takes_any_prefix():
    # the cycle of not-P states is reached through a P state
    g = graph(3, [(0, None, 1), (1, None, 2), (2, U, 2)])
    lasso, _ = decide(g, "always_eventually", [False, True, False])
    assert lasso is not None and lasso.prefix == (0,)  # 0 stutters: not P, unfair to none
    lasso, _ = decide(g, "always_eventually", [True, True, False])
    assert lasso is not None and lasso.prefix == (0, 1, 2) and g.edges[lasso.cycle[0]][1] == U


def ring(n: int) -> Graph:
    """A ring of n states by a weakly fair step, each with a weakly fair exit to n."""
    exit_ = ("p.exit", None)
    return graph(n + 1, [(i, U, (i + 1) % n) for i in range(n)] + [(i, exit_, n) for i in range(n)])


def test_every_subset_of_a_component_within_the_bound_is_examined():
    n = liveness.MAX_COMPONENT
    assert decide(ring(n), "eventually", [False] * n + [True]) == (None, 1)


def test_a_larger_component_is_tried_whole_and_ruled_out_for_a_starved_unit():
    n = liveness.MAX_COMPONENT + 1
    assert decide(ring(n), "eventually", [False] * n + [True]) == (None, 1)
    # the whole ring qualifies with the exits no longer fair
    g = graph(n + 1, [(i, U, (i + 1) % n) for i in range(n)] + [(i, None, n) for i in range(n)])
    lasso, _ = decide(g, "eventually", [False] * n + [True])
    assert lasso is not None and len(lasso.cycle) == n


def test_a_larger_component_avoids_where_a_neglected_strong_unit_is_enabled():
    # an unfair ring, and at 0 a strongly fair exit: a fair cycle stays off 0, and the
    # rest of the ring is a path, whose states each stutter fairly
    n = liveness.MAX_COMPONENT + 3
    exit_ = ("p.exit", None)
    g = graph(n + 1, [(i, None, (i + 1) % n) for i in range(n)] + [(0, exit_, n)], strong={exit_})
    lasso, examined = decide(g, "eventually", [False] * n + [True])
    assert lasso == liveness.Lasso((0, 1), (None,)) and examined == 2
    g.strong.clear()  # weakly fair: disabled at 1, so the whole ring is a fair cycle
    lasso, _ = decide(g, "eventually", [False] * n + [True])
    assert lasso is not None and lasso.prefix == (0,) and len(lasso.cycle) == n


def test_a_region_beyond_the_bound_is_refused(monkeypatch):
    monkeypatch.setattr(liveness, "MAX_REGION", 3)
    with pytest.raises(liveness.TooLarge, match="a region of 4 states"):
        decide(ring(4), "eventually", [False] * 4 + [True])


SPEC = """\
var x : 0..1 = 0
var y : bool = false
fair process p {
l1: await x == 0; y := true
}
process q {
m1: x := 1 - x; goto m1
}
property Ev: eventually y
property Inf: always eventually x == 1
"""


def test_the_reference_back_end_gives_a_lasso():
    r = explorer.check(SPEC, backend="reference", deadlock=False)
    v = r.violation
    assert (r.verdict, v.kind, v.name, v.loop) == (VIOLATED, "property", "Ev", 1)
    assert [s.action for s in v.trace] == [None, "q.m1", STUTTER]  # stays at x = 1
    assert v.trace[-1].state == v.trace[v.loop].state and r.stats.sccs == 1


def test_properties_are_chosen_by_name_or_left_out():
    r = explorer.check(SPEC, backend="reference", deadlock=False, properties=("Inf",))
    assert (r.verdict, r.violation.name) == (VIOLATED, "Inf")
    r = explorer.check(SPEC, backend="reference", deadlock=False, properties=())
    assert r.verdict == HOLDS and r.stats.sccs is None
    with pytest.raises(UsageError, match="no property named 'Nope'"):
        explorer.check(SPEC, backend="reference", properties=("Nope",))


def test_strong_fairness_of_a_step_enabled_infinitely_often():
    text = SPEC.replace("process q", "fair process q")
    r = explorer.check(text, backend="reference", deadlock=False, properties=("Ev",))
    assert r.verdict == VIOLATED  # p is enabled at x = 0 only: weak fairness allows it
    assert {s.state[0] for s in r.violation.trace[r.violation.loop :]} == {0, 1}
    text = text.replace("fair process p", "strongly fair process p")
    r = explorer.check(text, backend="reference", deadlock=False, properties=("Ev",))
    assert r.verdict == HOLDS and r.stats.sccs == 1


def test_safety_first_and_bounds_give_incomplete():
    r = explorer.check(SPEC, backend="reference")  # q never ends: no deadlock
    assert r.verdict == VIOLATED and r.violation.kind == "property"
    bad = SPEC + "invariant Never: not y\n"
    r = explorer.check(bad, backend="reference", deadlock=False)
    assert (r.verdict, r.violation.kind) == (VIOLATED, "invariant")
    r = explorer.check(SPEC, backend="reference", deadlock=False, max_states=2)
    assert r.verdict == INCOMPLETE and r.stats.sccs is None


RING = """\
var x : 0..{n} = 0
var done : bool = false
fair process spin {{
s1: await not done; x := (x + 1) % {size}; goto s1
}}
fair action finish
  when not done
  done' = true
property Finishes: eventually done
"""


def test_a_large_ring_is_decided_and_a_region_beyond_the_bound_incomplete(monkeypatch, tmp_path):
    n = liveness.MAX_COMPONENT + 2
    text = RING.format(n=n - 1, size=n)
    r = explorer.check(text, backend="reference", deadlock=False)
    assert r.verdict == HOLDS and r.stats.sccs == 1
    monkeypatch.setattr(liveness, "MAX_REGION", 10)
    r = explorer.check(text, backend="reference", deadlock=False)
    assert r.verdict == INCOMPLETE
    assert r.reason == (
        f"property Finishes: a region of {n} states is beyond the reference's brute force "
        "(at most 10)"
    )
    p = tmp_path / "ring.mms"
    p.write_text(text)
    assert main(["check", str(p), "--backend", "reference", "--no-deadlock"]) == 3


def test_a_step_back_to_its_own_state_is_a_stutter_for_fairness():
    """Taking p's `x := 0` at x = 0 changes nothing: it neither takes p's unit nor
    enables it (TLA+'s <<A>>_vars), so weak fairness still forces `x := 1`."""
    text = """\
var x : 0..1 = 0
fair process p {
l1: either { x := 0 } or { x := 1 }
    goto l1
}
property Sets: eventually x == 1
"""
    r = explorer.check(text, backend="reference", deadlock=False)
    assert r.verdict == HOLDS
    r = explorer.check(text.replace("fair process", "process"), backend="reference")
    v = r.violation  # unfair: p may stay at x = 0 for ever, by its step or stuttering
    assert (r.verdict, v.name, v.loop, len(v.trace)) == (VIOLATED, "Sets", 0, 2)


def test_a_bound_or_signal_during_the_check_is_incomplete(monkeypatch):
    """The search's limits are polled while the graph is built, the predicates are
    evaluated and the subsets are tried: a stop there is INCOMPLETE with its reason."""
    from mmcheck.explorer.reference import bfs

    calls = []

    def stopped() -> None:
        calls.append(1)
        raise liveness.Stopped("interrupted (SIGINT)")

    with pytest.raises(liveness.Stopped):
        decide(ring(3), "eventually", [False] * 3 + [True], poll=stopped)
    assert calls
    r = explorer.check(SPEC, backend="reference", deadlock=False)
    assert r.verdict == VIOLATED
    # the search goes on to its end, then the signal is seen by the properties' check
    monkeypatch.setattr(bfs._Search, "poll", lambda self: None)
    monkeypatch.setattr(bfs._Search, "stop_reason", lambda self: "interrupted (SIGINT)")
    r = explorer.check(SPEC, backend="reference", deadlock=False)
    assert (r.verdict, r.reason, r.stats.sccs) == (INCOMPLETE, "interrupted (SIGINT)", 0)
