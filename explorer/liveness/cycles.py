"""Fair cycles: the liveness check over a behaviour graph, and the lasso that shows a
violation. Pure graph algorithms: no IR, no spec; the observer of the search that
records the behaviour graph (explorer.liveness.behaviour) builds the `Graph` and turns a
`Lasso` back into Steps.

The semantics (docs/guarantees.md): every node has an implicit stutter self-loop that
takes no fairness unit, so a single node is a cycle. A cycle visiting the node set S along
the edge set E is fair iff every weak unit is disabled in some node of S or labels an
edge of E, and every strong unit is enabled in no node of S or labels an edge of E; a unit
is enabled in a node iff the graph has an edge from it with that unit (wherever the edge
leads). A property of kind
  "eventually" P           is violated by a fair lasso whose nodes are all not-P;
  "always_eventually" P    by a reachable fair cycle of not-P nodes;
  "eventually_always" P    by a reachable fair cycle that visits a not-P node;
  "leads_to" P, Q          by a reachable P-and-not-Q node from which a fair lasso runs
                           through not-Q nodes only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from itertools import chain

import numpy as np

KINDS = ("eventually", "always_eventually", "eventually_always", "leads_to")
UNIT_KINDS = ("weak", "strong")
NO_UNIT = -1  # an edge's unit where its step belongs to no fairness unit
STUTTER = -1  # a cycle's step that stays in its node (the implicit self-loop)
_UNSEEN, _ROOT, _SWITCH = -3, -2, -1  # a breadth-first parent that is no edge


@dataclass(frozen=True)
class Graph:
    """A behaviour graph. Nodes are 0..n-1; edge i goes src[i] -> dst[i] labelled by the
    fairness unit unit[i] (an index into `units`) or NO_UNIT. src, unit and dst are
    sequences of ints of one length: lists, array('i') or numpy integer arrays (an
    observer appending as the search expands states uses array('i')). Edge order is
    kept: among equal choices the lower edge index wins, so a lasso is deterministic."""

    n: int
    initial: Sequence[int]
    src: Sequence[int]
    unit: Sequence[int]
    dst: Sequence[int]
    units: Sequence[str]  # per unit id, "weak" or "strong"

    @cached_property
    def _adjacency(self) -> _Adjacency:  # built once, for every property checked
        return _Adjacency(self)


@dataclass(frozen=True)
class Lasso:
    """A violating behaviour: `prefix` nodes from an initial node to the cycle's first
    node (both included; one node where the cycle starts at an initial node), joined by
    the edges `prefix_edges` (one fewer); then `cycle`, edge indices or STUTTER, from the
    cycle's first node back to it (at least one step), through `cycle_nodes` (one more
    than `cycle`: its first and last are prefix[-1])."""

    prefix: tuple[int, ...]
    prefix_edges: tuple[int, ...]
    cycle: tuple[int, ...]
    cycle_nodes: tuple[int, ...]

    @property
    def loop(self) -> int:
        """The index, in the nodes of prefix + cycle, of the node the cycle starts at."""
        return len(self.prefix) - 1


class _Adjacency:
    """The graph in compressed sparse rows: the out-edges of node v are the positions
    off[v]..off[v+1]-1 of `edge` (their edge indices, increasing), `head` (destinations)
    and `label` (units), as Python lists (what a loop in Python reads fastest), the first
    three also in numpy (`_np`) for a wide level of a breadth-first search. And in numpy
    for the fairness of many components at once: the distinct (node, unit) pairs where a
    unit is enabled (`en_`), and the edges that take a unit (`take_`)."""

    def __init__(self, g: Graph) -> None:
        src = np.asarray(g.src, dtype=np.int64)
        dst = np.asarray(g.dst, dtype=np.int64)
        unit = np.asarray(g.unit, dtype=np.int64)
        if not (len(src) == len(dst) == len(unit)):
            raise ValueError("src, unit and dst must have one length")
        if len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= g.n):
            raise ValueError(f"an edge has a node outside 0..{g.n - 1}")
        if len(unit) and (unit.min() < NO_UNIT or unit.max() >= len(g.units)):
            raise ValueError(f"an edge has a unit outside -1..{len(g.units) - 1}")
        if any(k not in UNIT_KINDS for k in g.units):
            raise ValueError(f"a unit's kind is not one of {UNIT_KINDS}")
        if any(not 0 <= v < g.n for v in g.initial):
            raise ValueError(f"an initial node is outside 0..{g.n - 1}")
        self.n = g.n
        self.src = src
        self.edge_np = np.argsort(src, kind="stable")
        self.off_np = np.concatenate(([0], np.cumsum(np.bincount(src, minlength=g.n))))
        self.head_np = dst[self.edge_np]
        self.off: list[int] = self.off_np.tolist()
        self.head: list[int] = self.head_np.tolist()
        self.edge: list[int] = self.edge_np.tolist()
        self.label: list[int] = unit[self.edge_np].tolist()
        self.strong = [k == "strong" for k in g.units]
        self.units = max(len(g.units), 1)  # the radix of a (node, unit) key
        self.strong_np = np.array([*self.strong, False])
        taking = unit >= 0
        self.take_src, self.take_unit, self.take_dst = src[taking], unit[taking], dst[taking]
        pairs = _distinct(self.take_src * self.units + self.take_unit)
        self.en_node, self.en_unit = np.divmod(pairs, self.units)

    def enabled(self, v: int) -> set[int]:
        """The units enabled in node v."""
        return {u for u in self.label[self.off[v] : self.off[v + 1]] if u >= 0}


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (np.unique's hash table is many times slower on
    millions of values)."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))[: len(values)]]


def find_violation(
    g: Graph, kind: str, p: Sequence[bool], q: Sequence[bool] | None = None
) -> tuple[Lasso | None, int]:
    """A fair lasso violating the property of `kind` with node predicates p (and q for
    "leads_to"; sequences of n bools), or None where it holds on `g`; and the number of
    strongly connected components examined. The prefix is a shortest one the property
    allows to any node of any fair cycle; the lasso is the same for the same input."""
    if kind not in KINDS:
        raise ValueError(f"unknown property kind {kind!r}: one of {KINDS}")
    if (q is None) != (kind != "leads_to"):
        raise ValueError("q is given for leads_to and only for it")
    not_p = ~np.asarray(p, dtype=bool)
    not_q = np.ones(g.n, dtype=bool) if q is None else ~np.asarray(q, dtype=bool)
    if not_p.shape != (g.n,) or not_q.shape != (g.n,):
        raise ValueError(f"a predicate must have one value per node ({g.n})")
    adj = g._adjacency
    nowhere, anywhere = np.zeros(g.n, dtype=bool), np.ones(g.n, dtype=bool)
    # the prefix: phase 0 roams where `roam` holds, then phase 1 starts at a node where
    # `start` holds and goes on through those where `through` holds to the fair cycle
    if kind == "leads_to":
        roam, start, through = anywhere, ~not_p & not_q, not_q
    elif kind == "eventually":
        roam, start, through = nowhere, not_p, not_p
    else:
        roam, start, through = nowhere, anywhere, anywhere
    found_, parent = _search(adj, list(dict.fromkeys(g.initial)), roam, start, through)
    found = np.array(found_, dtype=np.int64)
    region = np.zeros(g.n, dtype=bool)
    region[found] = True
    if kind == "always_eventually":
        region &= not_p
    accept = not_p if kind == "eventually_always" else None
    comp, fair, sccs = _fair_components(adj, np.flatnonzero(region), accept)
    is_fair = np.isin(comp[found], fair)
    if not is_fair.any():
        return None, sccs
    target = int(found[np.argmax(is_fair)])
    prefix, prefix_edges = _path(adj, parent, target)
    nodes, cycle = _cycle(adj, comp, target, None if accept is None else accept.tolist())
    return Lasso(tuple(prefix), tuple(prefix_edges), tuple(cycle), tuple(nodes)), sccs


def _search(
    adj: _Adjacency, initial: list[int], roam: np.ndarray, start: np.ndarray, through: np.ndarray
) -> tuple[list[int], np.ndarray]:
    """Breadth-first over (node, phase), numbered 2 * node + phase. Phase 0 starts at the
    initial nodes and moves to nodes where `roam` holds; phase 1 is entered at no cost,
    just after phase 0, at a node where `start` holds, and moves to nodes where `through`
    holds. Returns the nodes found in phase 1 in order, and the parent of each (node,
    phase): the edge that found it, _SWITCH (phase 1 entered from phase 0), _ROOT or
    _UNSEEN.

    Level by level: a wide level in numpy, a narrow one in Python (a behaviour graph may
    be thousands of levels deep, and numpy pays per level). Both find the nodes of a
    level in the order a queue would: by parent, then by edge."""
    off, edge, head = adj.off, adj.edge, adj.head
    parent = np.full(2 * adj.n, _UNSEEN, dtype=np.int64)
    may, may_np = (roam.tolist(), through.tolist()), np.stack((roam, through))
    start_ = start.tolist()
    found: list[int] = []
    level: list[int] = []
    for v in initial:
        if parent[2 * v] == _UNSEEN:
            parent[2 * v] = _ROOT
            level.append(2 * v)
            if start_[v]:
                parent[2 * v + 1] = _SWITCH
                level.append(2 * v + 1)
                found.append(v)
    while level:
        if len(level) >= _WIDE:
            level = _level(adj, np.array(level), parent, may_np, start, found)
            continue
        following = []
        for x in level:
            v, phase = x >> 1, x & 1
            ok = may[phase]
            for i in range(off[v], off[v + 1]):
                w = head[i]
                y = 2 * w + phase
                if ok[w] and parent[y] == _UNSEEN:
                    parent[y] = edge[i]
                    following.append(y)
                    if phase:
                        found.append(w)
                    elif start_[w] and parent[y + 1] == _UNSEEN:
                        parent[y + 1] = _SWITCH
                        following.append(y + 1)
                        found.append(w)
        level = following
    return found, parent


_WIDE = 2048  # a level of _search this wide goes in numpy


def _level(
    adj: _Adjacency,
    level: np.ndarray,
    parent: np.ndarray,
    may: np.ndarray,
    start: np.ndarray,
    found: list[int],
) -> list[int]:
    """One level of _search in numpy: the next level, with the parents and the phase 1
    nodes found on it recorded."""
    nodes, phase = level >> 1, level & 1
    starts, counts = adj.off_np[nodes], adj.off_np[nodes + 1] - adj.off_np[nodes]
    pos = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
    phase = np.repeat(phase, counts)
    head = adj.head_np[pos]
    ok = may[phase, head]
    head, phase, edges = head[ok], phase[ok], adj.edge_np[pos[ok]]
    # each candidate (node, phase), then its switch to phase 1 where that may be
    cand = np.stack((2 * head + phase, 2 * head + 1), axis=1)
    via = np.stack((edges, np.full(len(edges), _SWITCH)), axis=1)
    keep = np.ones(cand.shape, dtype=bool)
    keep[:, 1] = (phase == 0) & start[head]
    cand, via = cand[keep], via[keep]
    fresh = parent[cand] == _UNSEEN
    cand, via = cand[fresh], via[fresh]
    _, first = np.unique(cand, return_index=True)  # the first of each
    first.sort()
    cand, via = cand[first], via[first]
    parent[cand] = via
    found += (cand[cand & 1 == 1] >> 1).tolist()
    return cand.tolist()


def shortest_path(g: Graph, first: Callable[[int], bool]) -> tuple[list[int], list[int]] | None:
    """The nodes and edges of a shortest path from an initial node to the first node, in
    breadth-first order, where `first` holds; None where it holds in no reachable node."""
    anywhere = np.ones(g.n, dtype=bool)
    adj = g._adjacency
    found, parent = _search(adj, list(dict.fromkeys(g.initial)), ~anywhere, anywhere, anywhere)
    target = next((v for v in found if first(v)), None)
    return None if target is None else _path(adj, parent, target)


def _path(adj: _Adjacency, parent: np.ndarray, v: int) -> tuple[list[int], list[int]]:
    """The nodes and edges from a root of _search to node v in phase 1."""
    at, nodes, edges = 2 * v + 1, [v], []
    while (e := int(parent[at])) != _ROOT:
        if e == _SWITCH:
            at -= 1
            continue
        edges.append(e)
        v = int(adj.src[e])
        at = 2 * v + at % 2
        nodes.append(v)
    return nodes[::-1], edges[::-1]


def _fair_components(
    adj: _Adjacency, nodes: np.ndarray, accept: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """The fair components of the subgraph induced by `nodes`: strongly connected sets
    on which a fair cycle runs using every edge among them, maximal (every fair cycle in
    the subgraph lies within one), and each visiting a node where `accept` holds where
    it is given. Returns the component id of every node (-1 outside `nodes`), the ids
    of the fair ones, and the number of components examined.

    Rounds of Tarjan: a component where a weak unit is enabled in every node and taken on
    no edge within holds no fair cycle; where strong units are enabled but taken on no
    edge within, a fair cycle avoids the nodes enabling them, so those are removed and
    the rest is split again in the next round."""
    n, units = adj.n, adj.units
    comp = np.full(n, -1, dtype=np.int64)
    rank = np.full(n, n, dtype=np.int64)  # Tarjan's numbers (_tarjan)
    rank[nodes] = -1
    rindex = rank.tolist()
    en_node, en_unit = adj.en_node, adj.en_unit
    take_src, take_unit, take_dst = adj.take_src, adj.take_unit, adj.take_dst
    fair: list[np.ndarray] = []
    todo, first, examined = nodes.tolist(), 1, 0
    while todo:
        comps = _tarjan(adj, todo, rindex)
        examined += len(comps)
        sizes = np.array([len(c) for c in comps], dtype=np.int64)
        members = np.fromiter(chain.from_iterable(comps), dtype=np.int64, count=int(sizes.sum()))
        comp[members] = np.repeat(np.arange(first, first + len(comps)), sizes)
        # only this round's nodes' pairs and edges matter from here on
        keep = comp[en_node] >= first
        en_node, en_unit = en_node[keep], en_unit[keep]
        keep = comp[take_src] >= first
        take_src, take_unit, take_dst = take_src[keep], take_unit[keep], take_dst[keep]
        within = comp[take_src] == comp[take_dst]
        taken = comp[take_src[within]] * units + take_unit[within]
        en_key = comp[en_node] * units + en_unit
        keys, enabled_in = np.unique(en_key, return_counts=True)
        key_comp, key_unit = np.divmod(keys, units)
        untaken = ~np.isin(keys, taken)
        strong = adj.strong_np[key_unit]
        dead = np.zeros(len(comps), dtype=bool)
        dead[key_comp[untaken & ~strong & (enabled_in == sizes[key_comp - first])] - first] = True
        if accept is not None:
            seen = np.zeros(len(comps), dtype=bool)
            seen[comp[members[accept[members]]] - first] = True
            dead |= ~seen
        owed = untaken & strong & ~dead[key_comp - first]
        split = np.zeros(len(comps), dtype=bool)
        split[key_comp[owed] - first] = True
        fair.append(np.flatnonzero(~dead & ~split) + first)
        removed = en_node[np.isin(en_key, keys[owed])]
        comp[removed] = -1
        # a split component's strongly connected parts are those of the subgraph induced
        # by all the nodes kept, since no cycle runs through two components
        todo = np.sort(members[np.isin(comp[members], np.flatnonzero(split) + first)]).tolist()
        for v in todo:
            rindex[v] = -1
        first += len(comps)
    return comp, np.concatenate(fair) if fair else np.zeros(0, dtype=np.int64), examined


def _tarjan(adj: _Adjacency, nodes: list[int], rindex: list[int]) -> list[list[int]]:
    """The strongly connected components of the subgraph induced by the nodes whose
    `rindex` is -1, searched from `nodes` in order; each component in the order found.

    Pearce's variant of Tarjan's algorithm ("A space-efficient algorithm for finding
    strongly connected components", 2016), iterative (no recursion: a path may be a
    million nodes long). One number per node, `rindex`: -1 not visited; its visit number,
    then the least one it reaches, while its component is open; n (more than any visit
    number) once in a component or outside the subgraph, so that such a node is passed
    over without a test of its own."""
    off, head, done = adj.off, adj.head, len(adj.off) - 1
    comps: list[list[int]] = []
    waiting: list[int] = []  # visited nodes, not the first of their component, not in one
    counter = 0
    for root in nodes:
        if rindex[root] >= 0:
            continue
        rindex[root] = counter
        counter += 1
        # the depth-first path: its nodes, the rest of each one's out-edges, and whether
        # each is still the first node visited of its component
        path, rest, first = [root], [iter(head[off[root] : off[root + 1]])], [True]
        while path:
            v = path[-1]
            rv = rindex[v]
            for w in rest[-1]:
                rw = rindex[w]
                if rw < 0:
                    rindex[w] = counter
                    counter += 1
                    path.append(w)
                    rest.append(iter(head[off[w] : off[w + 1]]))
                    first.append(True)
                    break
                if rw < rv:
                    rv = rindex[v] = rw
                    first[-1] = False
            else:
                path.pop()
                rest.pop()
                if first.pop():
                    c = [v]
                    while waiting and rindex[waiting[-1]] >= rv:
                        w = waiting.pop()
                        rindex[w] = done
                        c.append(w)
                    rindex[v] = done
                    comps.append(c)
                else:
                    waiting.append(v)
                    if rv < rindex[path[-1]]:
                        rindex[path[-1]] = rv
                        first[-1] = False
    return comps


def _cycle(
    adj: _Adjacency, comp: np.ndarray, start: int, accept: list[bool] | None
) -> tuple[list[int], list[int]]:
    """A fair cycle from `start` back to it inside its fair component, visiting a node
    where `accept` holds where it is given: its nodes (start at both ends) and edges
    (STUTTER alone where staying in `start` is fair). It goes greedily to the nearest
    place that pays a unit it owes (a weak unit enabled in every node so far: an edge
    of it, or a node where it is disabled; a strong unit enabled in some node so far: an
    edge of it), then back by a shortest path; every unit it owes is taken within the
    fair component, and what is paid stays paid."""
    strong, cid = adj.strong, int(comp[start])
    inside = (comp == cid).tolist()
    nodes, edges = [start], []
    enabled = adj.enabled(start)
    weak_always = {u for u in enabled if not strong[u]}  # enabled in every node so far
    strong_seen = {u for u in enabled if strong[u]}  # enabled in some node so far
    taken: set[int] = set()
    accepted = accept is None or accept[start]
    while True:
        owed = (weak_always | strong_seen) - taken
        if not owed and accepted:
            if not edges:
                return [start, start], [STUTTER]
            if nodes[-1] == start:
                return nodes, edges
            path = _reach(adj, inside, nodes[-1], set(), lambda w: w == start)
        else:
            seek = None if accepted else accept
            path = _reach(
                adj, inside, nodes[-1], owed, partial(_pays, adj, owed - strong_seen, seek)
            )
        for i in path:
            w = adj.head[i]
            nodes.append(w)
            edges.append(adj.edge[i])
            if adj.label[i] >= 0:
                taken.add(adj.label[i])
            enabled = adj.enabled(w)
            weak_always &= enabled
            strong_seen |= {u for u in enabled if strong[u]}
            accepted = accepted or accept[w]


def _pays(adj: _Adjacency, weak: set[int], seek: list[bool] | None, w: int) -> bool:
    """Whether visiting node w pays a debt: one of the `weak` units is disabled in it, or
    `seek` holds in it."""
    return (seek is not None and seek[w]) or not weak <= adj.enabled(w)


def _reach(
    adj: _Adjacency,
    inside: list[bool],
    start: int,
    units: set[int],
    goal: Callable[[int], bool],
) -> list[int]:
    """The positions of the edges of a shortest path within `inside` from `start` to the
    first edge labelled by one of `units` or node where `goal` holds, breadth-first."""
    off, head, label = adj.off, adj.head, adj.label
    back = {start: -1}  # node -> the position of the edge that entered it
    queue = [start]
    for v in queue:  # grows as it goes
        for i in range(off[v], off[v + 1]):
            w = head[i]
            if not inside[w]:
                continue
            if label[i] in units:
                return _back(adj, back, v) + [i]
            if w not in back:
                back[w] = i
                if goal(w):
                    return _back(adj, back, w)
                queue.append(w)
    raise AssertionError("a fair component pays what it owes within")


def _back(adj: _Adjacency, back: dict[int, int], v: int) -> list[int]:
    """The positions `back` records from the start of a search to v."""
    path = []
    while (i := back[v]) >= 0:
        path.append(i)
        v = int(adj.src[adj.edge[i]])
    return path[::-1]
