"""Fair cycles: the liveness check over a behaviour graph, and the lasso that shows a
violation. Pure graph algorithms: no IR, no spec; an observer of the search
(explorer.core.observers) builds the `Graph` and turns a `Lasso` back into Steps.

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
    """The graph as Python lists (what a Python loop reads fastest) in compressed sparse
    rows: the out-edges of node v are positions off[v]..off[v+1]-1 of `edge` (edge
    indices, in increasing order), `head` (their destinations) and `label` (their units);
    and as numpy arrays of the distinct (node, unit) pairs where a unit is enabled and of
    the edges that take a unit, for the fairness of many components at once."""

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
        self.edge_src: list[int] = src.tolist()
        order = np.argsort(src, kind="stable")
        self.off: list[int] = np.concatenate(
            ([0], np.cumsum(np.bincount(src, minlength=g.n)))
        ).tolist()
        self.edge: list[int] = order.tolist()
        self.head: list[int] = dst[order].tolist()
        self.label: list[int] = unit[order].tolist()
        self.strong = np.array([k == "strong" for k in g.units], dtype=bool)
        self.n_units = len(g.units)
        taking = unit >= 0
        self.take_src, self.take_unit, self.take_dst = src[taking], unit[taking], dst[taking]
        pairs = np.unique(self.take_src * max(self.n_units, 1) + self.take_unit)
        self.en_node, self.en_unit = np.divmod(pairs, max(self.n_units, 1))

    def enabled(self, v: int) -> set[int]:
        """The units enabled in node v."""
        return {u for u in self.label[self.off[v] : self.off[v + 1]] if u >= 0}


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
    p_ = np.asarray(p, dtype=bool)
    q_ = np.zeros(g.n, dtype=bool) if q is None else np.asarray(q, dtype=bool)
    if p_.shape != (g.n,) or q_.shape != (g.n,):
        raise ValueError(f"a predicate must have one value per node ({g.n})")
    adj = g._adjacency
    initial = list(dict.fromkeys(g.initial))
    if kind == "leads_to":
        order, parent, base = _leads_to_search(adj, initial, (p_ & ~q_).tolist(), (~q_).tolist())
    else:
        through = (~p_).tolist() if kind == "eventually" else [True] * g.n
        order, parent = _search(adj, [v for v in initial if through[v]], through)
        base = parent
    region = np.zeros(g.n, dtype=bool)
    region[order] = True
    if kind == "always_eventually":
        region &= ~p_
    accept = ~p_ if kind == "eventually_always" else None
    part, fair, sccs = _fair_components(adj, np.flatnonzero(region), accept)
    target = next((v for v in order if part[v] in fair), None)
    if target is None:
        return None, sccs
    prefix, prefix_edges = _path_to(adj, target, parent, base)
    cycle_nodes, cycle = _cycle(adj, target, part, (~p_).tolist() if accept is not None else None)
    return Lasso(tuple(prefix), tuple(prefix_edges), tuple(cycle), tuple(cycle_nodes)), sccs


def _search(
    adj: _Adjacency, sources: list[int], through: list[bool]
) -> tuple[list[int], list[int]]:
    """Breadth-first from `sources` through the nodes where `through` holds: the nodes in
    the order found, and per node the edge that found it (_ROOT for a source, _UNSEEN)."""
    off, edge, head = adj.off, adj.edge, adj.head
    parent = [_UNSEEN] * (len(off) - 1)
    for v in sources:
        parent[v] = _ROOT
    order = list(sources)
    for v in order:  # grows as it goes
        for i in range(off[v], off[v + 1]):
            w = head[i]
            if parent[w] == _UNSEEN and through[w]:
                parent[w] = edge[i]
                order.append(w)
    return order, parent


def _leads_to_search(
    adj: _Adjacency, initial: list[int], start: list[bool], not_q: list[bool]
) -> tuple[list[int], list[int], list[int]]:
    """Breadth-first over (node, phase): phase 0 anywhere from the initial nodes, then,
    at no cost, phase 1 from a node where `start` holds (P and not Q), through not-Q
    nodes. The nodes found in phase 1 in order, and the parents of phase 1 (_SWITCH where
    the node was entered from phase 0) and of phase 0."""
    off, edge, head = adj.off, adj.edge, adj.head
    n = len(off) - 1
    parent0, parent1 = [_UNSEEN] * n, [_UNSEEN] * n
    queue: list[int] = []  # 2 * node + phase
    found: list[int] = []

    def enter0(w: int, via: int) -> None:
        parent0[w] = via
        queue.append(2 * w)
        if start[w] and parent1[w] == _UNSEEN:
            parent1[w] = _SWITCH
            queue.append(2 * w + 1)
            found.append(w)

    for v in initial:
        if parent0[v] == _UNSEEN:
            enter0(v, _ROOT)
    for x in queue:  # grows as it goes
        v, phase = divmod(x, 2)
        for i in range(off[v], off[v + 1]):
            w = head[i]
            if phase == 0:
                if parent0[w] == _UNSEEN:
                    enter0(w, edge[i])
            elif parent1[w] == _UNSEEN and not_q[w]:
                parent1[w] = edge[i]
                queue.append(2 * w + 1)
                found.append(w)
    return found, parent1, parent0


def _path_to(
    adj: _Adjacency, v: int, parent: list[int], base: list[int]
) -> tuple[list[int], list[int]]:
    """The nodes and edges from a root to v along `parent`, continued along `base` from
    a node `parent` entered by _SWITCH (the same list where there is no switch)."""
    nodes, edges = [v], []
    while True:
        e = parent[v]
        if e == _SWITCH:
            parent = base
            continue
        if e == _ROOT:
            break
        edges.append(e)
        v = adj.edge_src[e]
        nodes.append(v)
    return nodes[::-1], edges[::-1]


def _fair_components(
    adj: _Adjacency, nodes: np.ndarray, accept: np.ndarray | None
) -> tuple[list[int], set[int], int]:
    """The fair components of the subgraph induced by `nodes`: strongly connected sets
    on which a fair cycle runs using every edge among them, maximal (every fair cycle in
    the subgraph lies within one), and each visiting a node where `accept` holds where
    it is given. Returns the component id of every node (-1 outside `nodes`), the ids
    of the fair ones, and the number of components examined.

    Rounds of Tarjan: a component where a weak unit is enabled in every node and taken on
    no edge within holds no fair cycle; where strong units are enabled but taken on no
    edge within, a fair cycle avoids the nodes enabling them, so those are removed and
    the rest is split again in the next round."""
    n = len(adj.off) - 1
    part = [-1] * n  # what Tarjan follows an edge within; then the component id
    comp = np.full(n, -1, dtype=np.int64)  # the same, as numpy reads it
    index, low, onstack = [-1] * n, [0] * n, [False] * n
    todo = nodes.tolist()
    for v in todo:
        part[v] = 0
    units = max(adj.n_units, 1)
    en_node, en_unit = adj.en_node, adj.en_unit
    take_src, take_unit, take_dst = adj.take_src, adj.take_unit, adj.take_dst
    fair: set[int] = set()
    first, examined = 1, 0
    while todo:
        comps = _tarjan(adj, todo, part, first, index, low, onstack)
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
        taken = np.unique(comp[take_src[within]] * units + take_unit[within])
        en_key = comp[en_node] * units + en_unit
        keys, enabled_in = np.unique(en_key, return_counts=True)
        key_comp, key_unit = np.divmod(keys, units)
        untaken = ~np.isin(keys, taken)
        strong = adj.strong[key_unit] if adj.n_units else np.zeros(0, dtype=bool)
        dead = np.zeros(len(comps), dtype=bool)
        dead[key_comp[untaken & ~strong & (enabled_in == sizes[key_comp - first])] - first] = True
        if accept is not None:
            seen = np.zeros(len(comps), dtype=bool)
            seen[comp[members[accept[members]]] - first] = True
            dead |= ~seen
        owed = untaken & strong & ~dead[key_comp - first]
        split = np.zeros(len(comps), dtype=bool)
        split[key_comp[owed] - first] = True
        fair.update((np.flatnonzero(~dead & ~split) + first).tolist())
        removed = en_node[np.isin(en_key, keys[owed])]
        comp[removed] = -1
        for v in removed.tolist():
            part[v] = -1
        rest = members[np.isin(comp[members], np.flatnonzero(split) + first)]
        todo = np.sort(rest).tolist()
        for v in todo:
            index[v] = -1
        first += len(comps)
    return part, fair, examined


def _tarjan(
    adj: _Adjacency,
    nodes: list[int],
    part: list[int],
    first: int,
    index: list[int],
    low: list[int],
    onstack: list[bool],
) -> list[list[int]]:
    """Tarjan's strongly connected components of `nodes` (their `index` -1) following an
    edge only between nodes of one `part`, iteratively (no recursion: a path may be a
    million nodes long). Each node's `part` becomes its component's id, `first` upwards
    in the order found; the components are returned in that order."""
    off, head = adj.off, adj.head
    comps: list[list[int]] = []
    stack: list[int] = []
    counter = 0
    for root in nodes:
        if index[root] >= 0:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        onstack[root] = True
        call = [(root, off[root])]
        while call:
            v, i = call[-1]
            end, pv = off[v + 1], part[v]
            while i < end:
                w = head[i]
                i += 1
                if part[w] != pv:  # another part, or a component already found
                    continue
                if index[w] < 0:
                    call[-1] = (v, i)
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    onstack[w] = True
                    call.append((w, off[w]))
                    break
                if onstack[w] and index[w] < low[v]:
                    low[v] = index[w]
            else:
                call.pop()
                if low[v] == index[v]:
                    cid, c = first + len(comps), []
                    while True:
                        w = stack.pop()
                        onstack[w] = False
                        part[w] = cid
                        c.append(w)
                        if w == v:
                            break
                    comps.append(c)
                if call:
                    u = call[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
    return comps


def _cycle(
    adj: _Adjacency, start: int, part: list[int], not_p: list[bool] | None
) -> tuple[list[int], list[int]]:
    """A fair cycle from `start` back to it inside its fair component, visiting a node
    where `not_p` holds where it is given: its nodes (start at both ends) and edges
    (STUTTER alone where staying in `start` is fair). It goes greedily to the nearest
    place that pays a unit it owes (a weak unit enabled in every node so far: an edge
    of it, or a node where it is disabled; a strong unit enabled in some node so far: an
    edge of it), then back; every unit it owes is taken within the fair component, and
    what is paid stays paid."""
    strong = adj.strong.tolist()
    cid = part[start]
    nodes, edges = [start], []
    enabled = adj.enabled(start)
    weak_always = {u for u in enabled if not strong[u]}  # enabled in every node so far
    strong_seen = {u for u in enabled if strong[u]}  # enabled in some node so far
    taken: set[int] = set()
    accepted = not_p is None or not_p[start]
    while True:
        owed = (weak_always | strong_seen) - taken
        if not owed and accepted:
            if not edges:
                return [start, start], [STUTTER]
            if nodes[-1] == start:
                return nodes, edges
            path = _reach(adj, nodes[-1], cid, part, set(), lambda w: w == start)
        else:
            seek = None if accepted else not_p
            pays = partial(_pays, adj, owed - strong_seen, seek)
            path = _reach(adj, nodes[-1], cid, part, owed, pays)
        for i in path:
            e, w = adj.edge[i], adj.head[i]
            nodes.append(w)
            edges.append(e)
            if adj.label[i] >= 0:
                taken.add(adj.label[i])
            enabled = adj.enabled(w)
            weak_always &= enabled
            strong_seen |= {u for u in enabled if strong[u]}
            accepted = accepted or not_p[w]


def _pays(adj: _Adjacency, weak: set[int], seek: list[bool] | None, w: int) -> bool:
    """Whether visiting node w pays a debt: one of the `weak` units is disabled in it, or
    `seek` holds in it."""
    return (seek is not None and seek[w]) or not weak <= adj.enabled(w)


def _reach(
    adj: _Adjacency,
    start: int,
    cid: int,
    part: list[int],
    units: set[int],
    goal: Callable[[int], bool],
) -> list[int]:
    """The adjacency positions of a shortest path inside component `cid` from `start` to
    the first edge labelled by one of `units` or node where `goal` holds, in breadth-first
    order."""
    off, head, label = adj.off, adj.head, adj.label
    back = {start: -1}  # node -> the position that entered it
    queue = [start]
    for v in queue:  # grows as it goes
        for i in range(off[v], off[v + 1]):
            w = head[i]
            if part[w] != cid:
                continue
            if label[i] in units:
                return _back(adj, back, v) + [i]
            if w not in back:
                back[w] = i
                if goal(w):
                    return _back(adj, back, w)
                queue.append(w)
    raise AssertionError("a fair component pays what it owes")


def _back(adj: _Adjacency, back: dict[int, int], v: int) -> list[int]:
    """The positions `back` records from the start of a search to v."""
    path = []
    while (i := back[v]) >= 0:
        path.append(i)
        v = adj.edge_src[adj.edge[i]]
    return path[::-1]
