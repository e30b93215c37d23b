"""The fair-cycle check (explorer.liveness.cycles) on hand-built graphs, and on random
small graphs against a brute force written here: every subset of nodes that is strongly
connected and fair with all the edges among it, and shortest prefixes by Floyd-Warshall.
Every lasso returned is checked step by step: its edges exist, its cycle returns, it is
fair on the nodes it visits with the edges it takes, and the predicates hold along it."""

from __future__ import annotations

import itertools
import random

import pytest

from mmcheck.explorer.liveness import cycles as liveness
from mmcheck.explorer.liveness.cycles import KINDS, STUTTER, Graph, Lasso, find_violation

W, S = "weak", "strong"
Edges = list[tuple[int, int, int]]  # (src, unit or -1, dst)


def graph(n: int, edges: Edges, units: tuple[str, ...] = (), initial: tuple[int, ...] = (0,)):
    return Graph(
        n, initial, [e[0] for e in edges], [e[1] for e in edges], [e[2] for e in edges], units
    )


def check(g: Graph, kind: str, p: list[bool], q: list[bool] | None = None):
    """find_violation, with the lasso it gives checked valid and the same on a rerun."""
    lasso, sccs = find_violation(g, kind, p, q)
    assert find_violation(g, kind, p, q) == (lasso, sccs)
    if lasso is not None:
        assert_valid(g, kind, p, q, lasso)
    return lasso, sccs


def assert_valid(g: Graph, kind: str, p: list[bool], q: list[bool] | None, la: Lasso) -> None:
    assert la.prefix[0] in g.initial
    assert len(la.prefix_edges) == len(la.prefix) - 1 == la.loop
    for e, a, b in zip(la.prefix_edges, la.prefix, la.prefix[1:], strict=False):
        assert (g.src[e], g.dst[e]) == (a, b)
    assert len(la.cycle) >= 1 and len(la.cycle_nodes) == len(la.cycle) + 1
    assert la.cycle_nodes[0] == la.cycle_nodes[-1] == la.prefix[-1]
    for e, a, b in zip(la.cycle, la.cycle_nodes, la.cycle_nodes[1:], strict=False):
        assert a == b if e == STUTTER else (g.src[e], g.dst[e]) == (a, b)
    visited = set(la.cycle_nodes)
    taken = {g.unit[e] for e in la.cycle if e != STUTTER} - {-1}
    for u, k in enumerate(g.units):
        enabled = {
            v for v in visited if any(g.src[i] == v and g.unit[i] == u for i in range(len(g.src)))
        }
        if u not in taken:
            assert enabled != visited if k == W else not enabled, (u, k)
    states = [*la.prefix, *la.cycle_nodes[1:]]
    cycle = la.cycle_nodes
    if kind == "eventually":
        assert not any(p[v] for v in states)
    elif kind == "always_eventually":
        assert not any(p[v] for v in cycle)
    elif kind == "eventually_always":
        assert not all(p[v] for v in cycle)
    else:
        assert q is not None and not any(q[v] for v in cycle)
        starts = [i for i, v in enumerate(la.prefix) if p[v] and not q[v]]
        assert any(p[v] for v in cycle) or any(not any(q[v] for v in la.prefix[i:]) for i in starts)


# ------------------------------------------------------------------------ hand-built


def test_weak_fairness_is_met_by_a_state_where_the_unit_is_disabled():
    # 0 <-> 1, and from 0 a weakly fair step to 2, the only P state: the cycle 0 1 0
    # passes 1, where the step is disabled; stuttering in 0 is unfair
    g = graph(3, [(0, -1, 1), (1, -1, 0), (0, 0, 2)], (W,))
    lasso, sccs = check(g, "eventually", [False, False, True])
    assert lasso == Lasso((0,), (), (0, 1), (0, 1, 0))
    assert sccs == 1


def test_weak_fairness_rules_out_a_component_where_the_unit_is_always_enabled():
    g = graph(2, [(0, 0, 1)], (W,))
    assert check(g, "eventually", [False, True]) == (None, 1)
    unfair = graph(2, [(0, -1, 1)])
    assert check(unfair, "eventually", [False, True]) == (Lasso((0,), (), (STUTTER,), (0, 0)), 1)


def test_strong_fairness_refines_a_component():
    # 0 <-w-> 1 <-> 2 -s-> 3 (P). {0,1,2} enables s in 2 and never takes it: without 2,
    # {0,1} enables w everywhere and takes it, so the cycle runs 0 1 0 (2 rounds of Tarjan)
    edges = [(0, 0, 1), (1, 0, 0), (1, -1, 2), (2, -1, 1), (2, 1, 3), (3, -1, 3)]
    p = [False, False, False, True]
    lasso, sccs = check(graph(4, edges, (W, S)), "eventually", p)
    assert lasso == Lasso((0,), (), (0, 1), (0, 1, 0))
    assert sccs == 2
    # the refinement can leave nothing: 0 enables the weak w alone, 1 the strong s alone
    edges = [(0, -1, 1), (1, -1, 0), (0, 0, 2), (1, 1, 2)]
    p = [False, False, True]
    assert check(graph(3, edges, (W, S)), "eventually", p) == (None, 2)
    # with s weak, 0 1 0 is fair: each unit is disabled in one of its states
    lasso, sccs = check(graph(3, edges, (W, W)), "eventually", p)
    assert lasso == Lasso((0,), (), (0, 1), (0, 1, 0))
    assert sccs == 1


def test_a_self_loop_takes_its_unit():
    g = graph(2, [(0, -1, 1), (0, 0, 0)], (W,))
    lasso, _ = check(g, "eventually", [False, True])
    assert lasso == Lasso((0,), (), (1,), (0, 0))
    # a strong unit enabled in 1: the cycle takes 1's own loop of it
    g = graph(2, [(0, 0, 0), (0, -1, 1), (1, 0, 1), (1, 0, 0)], (S,), initial=(1,))
    lasso, _ = check(g, "eventually", [False, False])
    assert lasso == Lasso((1,), (), (2,), (1, 1))


def test_a_terminated_behaviour_stutters():
    # 0 -> 1 -> 2, which has no step: P never holds
    g = graph(3, [(0, 0, 1), (1, 0, 2)], (W,))
    lasso, sccs = check(g, "eventually", [False] * 3)
    assert lasso == Lasso((0, 1, 2), (0, 1), (STUTTER,), (2, 2))
    assert sccs == 3
    # P in 2: each of 0 and 1 has its fair step enabled and stays nowhere
    assert check(g, "eventually", [False, False, True]) == (None, 2)
    assert check(g, "always_eventually", [False, False, True]) == (None, 2)
    lasso, _ = check(g, "eventually_always", [False, False, True])
    assert lasso is None
    lasso, _ = check(g, "eventually_always", [True, True, False])
    assert lasso == Lasso((0, 1, 2), (0, 1), (STUTTER,), (2, 2))


def test_leads_to_passes_its_premise_in_the_prefix():
    # 0 -> 1 (P) -v-> 2 <-> 4, 2 -w-> 3 (Q); v and w weak. 1 must take v; {2, 4} is fair
    # (w is disabled in 4)
    edges = [(0, -1, 1), (1, 0, 2), (2, 1, 3), (2, -1, 4), (4, -1, 2), (3, -1, 3)]
    p = [False, True, False, False, False]
    q = [False, False, False, True, False]
    lasso, _ = check(graph(5, edges, (W, W)), "leads_to", p, q)
    assert lasso == Lasso((0, 1, 2), (0, 1), (3, 4), (2, 4, 2))
    # the premise after the fair cycle: the cycle at 0 does not count
    edges0 = [(0, -1, 0), *edges]
    p0 = [False, True, False, False, False]
    lasso, _ = check(graph(5, edges0, (W, W)), "leads_to", p0, q)
    assert lasso is not None and lasso.prefix[-1] == 2
    # strong w does not help where 4 may stay; with 4's step fair too, P leads to Q
    lasso, _ = check(graph(5, edges, (W, S)), "leads_to", p, q)
    assert lasso == Lasso((0, 1, 2, 4), (0, 1, 3), (STUTTER,), (4, 4))
    edges[4] = (4, 0, 2)
    assert check(graph(5, edges, (W, S)), "leads_to", p, q)[0] is None


def test_eventually_always_needs_a_not_p_state_in_the_cycle():
    # 0 (not P) -a-> 1 (P) -b-> 0, both weak: each state alone is unfair, the cycle is not
    g = graph(2, [(0, 0, 1), (1, 1, 0)], (W, W), initial=(1,))
    lasso, _ = check(g, "eventually_always", [False, True])
    assert lasso == Lasso((1,), (), (1, 0), (1, 0, 1))
    assert check(g, "eventually_always", [True, True])[0] is None
    assert check(g, "always_eventually", [False, True])[0] is None


def test_always_eventually_takes_the_shortest_prefix_to_the_nearest_fair_cycle():
    # two initial states; the fair cycle {3} is reached from 4 in one step
    edges = [(0, -1, 1), (1, -1, 2), (2, -1, 3), (4, -1, 3), (3, -1, 0)]
    p = [True, True, True, False, True]
    lasso, _ = check(graph(5, edges, initial=(0, 4)), "always_eventually", p)
    assert lasso == Lasso((4, 3), (3,), (STUTTER,), (3, 3))


def test_an_unreachable_fair_cycle_is_no_violation():
    g = graph(3, [(0, 0, 0), (1, -1, 2), (2, -1, 1)], (W,))
    for kind in KINDS:
        q = [True, False, False] if kind == "leads_to" else None
        assert check(g, kind, [True, True, False], q)[0] is None


def test_a_long_cycle_is_found_without_recursion():
    n = 20_000  # a ring, every step weakly fair: the cycle must go round
    g = graph(n, [(v, 0, (v + 1) % n) for v in range(n)], (W,))
    lasso, sccs = find_violation(g, "always_eventually", [False] * n)
    assert lasso is not None and sccs == 1
    assert lasso.cycle == tuple(range(n)) and lasso.prefix == (0,)


def test_bad_input_is_refused():
    g = graph(2, [(0, -1, 1)])
    with pytest.raises(ValueError, match="kind"):
        find_violation(g, "always", [False, False])
    with pytest.raises(ValueError, match="leads_to"):
        find_violation(g, "leads_to", [False, False])
    with pytest.raises(ValueError, match="one value per node"):
        find_violation(g, "eventually", [False])
    with pytest.raises(ValueError, match="unit"):
        find_violation(graph(2, [(0, 1, 1)], (W,)), "eventually", [False, False])
    with pytest.raises(ValueError, match="node"):
        find_violation(graph(2, [(0, -1, 2)]), "eventually", [False, False])


# ------------------------------------------------------------------------ brute force


def brute(g: Graph, kind: str, p: list[bool], q: list[bool] | None) -> int | None:
    """The shortest prefix of any violating lasso (None: the property holds): over every
    node set S strongly connected and fair with all the edges among it, the distance the
    kind allows from an initial node to a node of S."""
    n, inf = g.n, float("inf")
    edges = list(zip(g.src, g.unit, g.dst, strict=True))
    step = [
        [
            0 if a == b else 1 if any((s, d) == (a, b) for s, _, d in edges) else inf
            for b in range(n)
        ]
        for a in range(n)
    ]

    def closure(allowed: list[bool]) -> list[list[float]]:
        """Distances through allowed nodes only (both ends included)."""
        d = [[step[a][b] if allowed[a] and allowed[b] else inf for b in range(n)] for a in range(n)]
        for k, a, b in itertools.product(range(n), repeat=3):
            d[a][b] = min(d[a][b], d[a][k] + d[k][b])
        return d

    anywhere = closure([True] * n)
    from_init = [min((anywhere[i][v] for i in g.initial), default=inf) for v in range(n)]
    if kind == "eventually":
        allowed = [not x for x in p]
        through = closure(allowed)
        dist = [min((through[i][v] for i in g.initial), default=inf) for v in range(n)]
    elif kind == "always_eventually":
        allowed, dist = [not x for x in p], from_init
    elif kind == "eventually_always":
        allowed, dist = [True] * n, from_init
    else:
        assert q is not None
        allowed = [not x for x in q]
        through = closure(allowed)
        starts = [s for s in range(n) if p[s] and not q[s]]
        dist = [min((from_init[s] + through[s][v] for s in starts), default=inf) for v in range(n)]
    best = inf
    for size in range(1, n + 1):
        for nodes in itertools.combinations(range(n), size):
            if not all(allowed[v] and dist[v] < inf for v in nodes):
                continue
            inner = closure([v in nodes for v in range(n)])
            if any(inner[a][b] == inf for a in nodes for b in nodes):
                continue
            if kind == "eventually_always" and all(p[v] for v in nodes):
                continue
            taken = {u for s, u, d in edges if s in nodes and d in nodes}
            fair = True
            for u, k in enumerate(g.units):
                on = [any((s, x) == (v, u) for s, x, _ in edges) for v in nodes]
                if u not in taken and (all(on) if k == W else any(on)):
                    fair = False
            if fair:
                best = min(best, min(dist[v] for v in nodes))
    return None if best == inf else int(best)


def random_case(rng: random.Random):
    n = rng.randint(1, 8)
    units = tuple(rng.choice((W, S)) for _ in range(rng.randint(0, 3)))
    edges = [
        (rng.randrange(n), rng.choice([-1, *range(len(units))]), rng.randrange(n))
        for _ in range(rng.randint(0, 3 * n))
    ]
    initial = tuple(rng.randrange(n) for _ in range(rng.randint(1, 2)))
    kind = rng.choice(KINDS)
    bias = rng.random()
    p = [rng.random() < bias for _ in range(n)]
    q = [rng.random() < 0.3 for _ in range(n)] if kind == "leads_to" else None
    return graph(n, edges, units, initial), kind, p, q


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_brute_force_on_random_graphs(seed: int):
    rng = random.Random(seed)
    found = 0
    for _ in range(150):
        g, kind, p, q = random_case(rng)
        lasso, _ = check(g, kind, p, q)
        expected = brute(g, kind, p, q)
        assert (lasso is None) == (expected is None), (g, kind, p, q, lasso)
        if lasso is not None:
            found += 1
            assert lasso.loop == expected, (g, kind, p, q, lasso)
    assert 30 < found < 120  # both verdicts are exercised


def test_wide_levels_in_numpy_find_what_narrow_ones_do(monkeypatch: pytest.MonkeyPatch):
    rng = random.Random(7)
    cases = [random_case(rng) for _ in range(150)]
    # 30 layers of 20 nodes, each with two weakly fair steps into the next layer: the
    # only fair cycles stutter in the last layer, where not P holds
    layers, width = 30, 20
    n = layers * width
    edges = [
        (v, rng.randrange(2), width * (v // width + 1) + rng.randrange(width))
        for v in range(n - width)
        for _ in range(2)
    ]
    g = graph(n, edges, (W, W), tuple(range(width)))
    p = [v < n - width for v in range(n)]
    cases += [
        (g, "eventually", [False] * n, None),
        (g, "always_eventually", p, None),
        (g, "eventually_always", p, None),
        (g, "leads_to", [v < width for v in range(n)], [False] * n),
    ]
    narrow = [check(*case) for case in cases]
    monkeypatch.setattr(liveness, "_WIDE", 1)
    assert [check(*case) for case in cases] == narrow
    for lasso, _ in narrow[-4:]:
        assert lasso is not None and len(lasso.prefix) == layers and lasso.cycle == (STUTTER,)
