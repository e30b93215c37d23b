"""Temporal properties by brute force, on the reference's own state graph: the oracle
the SCC algorithm of the explorers is diffed against (docs/guarantees.md, Liveness).

The graph is rebuilt from the states the reference's BFS stored: every transition of a
stored state whose successor is in the space is an edge, labelled by its fairness unit
(a step of a fair process per instance, a fair action whatever its parameters) or by
none (a step that is not fair, or one back to the state it left: a stutter, as TLA+'s
<<A>>_vars); every state also stutters. A property is violated iff some set S of states of the
region its kind allows is strongly connected in the subgraph S induces (a single state
is, by its stutter loop) and fair with every edge among S taken: each weakly fair unit
enabled in every state of S, and each strongly fair unit enabled in some, labels an edge
among S. Such an S lies inside one strongly connected component of the region (found
here by intersecting forward and backward reachability, not by Tarjan), so every subset
of each component is tried, exponential as that is. A component of more than
MAX_COMPONENT states is tried whole; if it fails, either every subset fails for the same
reason (no accepting state, or a weakly fair unit enabled in all of it and taken on no
edge of it, which stays so in every subset), or a strongly fair unit is enabled in it and
taken on no edge of it, so that a fair subset avoids the states where it is enabled, and
the components of the rest are tried in turn. Only a region of more than MAX_REGION
states is refused (TooLarge). Written to be obviously correct, not fast.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from mmcheck.explorer.core.result import STUTTER, Step, Violation
from mmcheck.explorer.reference.evaluate import Ctx, Fault, scalar
from mmcheck.explorer.reference.machine import Reference, RState, Transition
from mmcheck.spec import ast
from mmcheck.spec.errors import UsageError

if TYPE_CHECKING:
    from mmcheck.explorer.reference.bfs import Exploration

Unit = tuple[str, str | None]  # (step or action name, process instance or None)

# the most states of a component whose subsets are all enumerated (2**N of them)
MAX_COMPONENT = 14
# the most states of a region whose components are computed (a BFS per state)
MAX_REGION = 4000

# each kind as the spec writes it
SHOW = {
    "eventually": "eventually P",
    "always_eventually": "always eventually P",
    "eventually_always": "eventually always P",
    "leads_to": "P leads_to Q",
}
KINDS = tuple(SHOW)


@dataclass
class Graph:
    """States 0..n-1, the initial ones, and the labelled edges (src, unit or None, dst,
    the edge's payload: whatever the caller needs to print the step)."""

    n: int
    initial: list[int]
    edges: list[tuple[int, Unit | None, int, object]]
    strong: set[Unit] = field(default_factory=set)  # strongly fair units; the rest weak
    succ: list[list[int]] = field(init=False)  # edge indices by source

    def __post_init__(self) -> None:
        self.succ = [[] for _ in range(self.n)]
        for k, (src, _, _, _) in enumerate(self.edges):
            self.succ[src].append(k)


@dataclass(frozen=True)
class Lasso:
    """A violating behaviour: `prefix` states from an initial one to the cycle's first,
    then the cycle's edges (indices into Graph.edges; None for a stutter step), which
    return to prefix[-1]."""

    prefix: tuple[int, ...]
    cycle: tuple[int | None, ...]


class TooLarge(Exception):
    """The region is beyond the brute force's bound."""


class Stopped(Exception):
    """A bound or a signal stopped the check (the reason is the message)."""


Poll = Callable[[], None]  # raises Stopped where the check must stop


def no_poll() -> None:
    return None


POLL_EVERY = 1024  # subsets tried, or states visited, between two polls


def decide(
    g: Graph, kind: str, p: list[bool], q: list[bool] | None = None, poll: Poll = no_poll
) -> tuple[Lasso | None, int]:
    """A violating lasso of the property `kind` over the predicates p (and q) per state,
    or None if it holds; and the number of components examined. Raises TooLarge for a
    region of more than MAX_REGION states."""
    assert kind in KINDS, kind
    everywhere = [True] * g.n
    if kind == "eventually":
        region = reach(g, [s for s in g.initial if not p[s]], lambda s: not p[s])
    elif kind == "always_eventually":
        region = {s for s in reach(g, g.initial, lambda s: True) if not p[s]}
    elif kind == "eventually_always":
        region = reach(g, g.initial, lambda s: True)
    else:
        assert q is not None
        starts = [s for s in reach(g, g.initial, lambda s: True) if p[s] and not q[s]]
        region = reach(g, starts, lambda s: not q[s])
    accept = [not x for x in p] if kind == "eventually_always" else everywhere
    found, examined = fair_set(g, region, accept, poll)
    if found is None:
        return None, examined
    if kind == "eventually":
        prefix = path(g, g.initial, found, region)
    elif kind == "leads_to":
        assert q is not None
        starts = [s for s in region if p[s] and not q[s]]
        into = path(g, starts, found, region)
        prefix = path(g, g.initial, {into[0]}, set(range(g.n)))[:-1] + into
    else:
        prefix = path(g, g.initial, found, set(range(g.n)))
    return Lasso(tuple(prefix), tuple(tour(g, found, prefix[-1]))), examined


def reach(g: Graph, sources: Iterable[int], allowed: Callable[[int], bool]) -> set[int]:
    """The states reachable from `sources` (those allowed) through allowed states."""
    seen = {s for s in sources if allowed(s)}
    todo = list(seen)
    while todo:
        s = todo.pop()
        for k in g.succ[s]:
            t = g.edges[k][2]
            if t not in seen and allowed(t):
                seen.add(t)
                todo.append(t)
    return seen


def components(g: Graph, region: set[int], poll: Poll = no_poll) -> list[list[int]]:
    """The strongly connected components of the subgraph induced by `region`, each the
    intersection of what its smallest state reaches and what reaches it."""
    if len(region) > MAX_REGION:
        raise TooLarge(
            f"a region of {len(region)} states is beyond the reference's brute force "
            f"(at most {MAX_REGION})"
        )
    pred: dict[int, list[int]] = {s: [] for s in region}
    for src, _, dst, _ in g.edges:
        if src in region and dst in region:
            pred[dst].append(src)
    left, out = set(region), []
    for n, s in enumerate(sorted(region)):
        if n % POLL_EVERY == 0:
            poll()
        if s not in left:
            continue
        fwd = reach(g, [s], left.__contains__)
        bwd, todo = {s}, [s]
        while todo:
            for u in pred[todo.pop()]:
                if u in left and u not in bwd:
                    bwd.add(u)
                    todo.append(u)
        comp = sorted(fwd & bwd)
        left -= set(comp)
        out.append(comp)
    return out


def fair_set(
    g: Graph, region: set[int], accept: list[bool], poll: Poll = no_poll
) -> tuple[set[int] | None, int]:
    """A set S within `region` on which a fair cycle exists and which holds an accepting
    state, or None; and the components examined."""
    examined = 0
    todo = components(g, region, poll)
    while todo:
        comp = todo.pop(0)
        examined += 1
        c = Component(g, comp, accept)
        full = (1 << len(comp)) - 1
        if len(comp) <= MAX_COMPONENT:
            for m in range(1, full + 1):
                if m % POLL_EVERY == 0:
                    poll()
                if c.qualifies(m):
                    return c.states_of(m), examined
            continue
        if c.qualifies(full):
            return set(comp), examined
        # too many subsets: a reason the whole fails that every subset of it shares, or
        # that confines the subsets that could qualify to the states it leaves
        if not c.accepting or c.starved(full) is not None:
            continue
        unit = c.unfair_strong(full)
        assert unit is not None  # the whole is connected: that is all it can fail on
        rest = set(comp) - c.states_of(c.enabled[unit])
        todo[:0] = components(g, rest, poll)
    return None, examined


class Component:
    """A component's edges and fairness units over bit masks of its states (bit i: the
    i-th state of `states`), to test its subsets."""

    def __init__(self, g: Graph, states: list[int], accept: list[bool]) -> None:
        index = {s: i for i, s in enumerate(states)}
        self.strong = g.strong
        self.succ = [0] * len(states)
        self.pred = [0] * len(states)
        self.enabled: dict[Unit, int] = {}  # unit -> the states where it is enabled
        self.taken: dict[Unit, list[int]] = {}  # unit -> its edges inside, as src | dst
        for s in states:
            for k in g.succ[s]:
                _, unit, t, _ = g.edges[k]
                if unit is not None:
                    self.enabled[unit] = self.enabled.get(unit, 0) | 1 << index[s]
                if t in index:
                    self.succ[index[s]] |= 1 << index[t]
                    self.pred[index[t]] |= 1 << index[s]
                    if unit is not None:
                        self.taken.setdefault(unit, []).append(1 << index[s] | 1 << index[t])
        self.accepting = sum(1 << i for i, s in enumerate(states) if accept[s])
        self.states = states

    def states_of(self, m: int) -> set[int]:
        return {s for i, s in enumerate(self.states) if m >> i & 1}

    def qualifies(self, m: int) -> bool:
        """Whether the subset m holds an accepting state, is strongly connected, and is
        fair with all its edges taken."""
        if not m & self.accepting or not connected(m, self.succ) or not connected(m, self.pred):
            return False
        return self.starved(m) is None and self.unfair_strong(m) is None

    def starved(self, m: int) -> Unit | None:
        """A weakly fair unit enabled in every state of m and taken on no edge inside m:
        it is so in every subset of m too, none of which is then fair."""
        for unit, en in sorted(self.enabled.items(), key=str):
            if unit not in self.strong and en & m == m and not self.inside(unit, m):
                return unit
        return None

    def unfair_strong(self, m: int) -> Unit | None:
        """A strongly fair unit enabled in some state of m and taken on no edge inside m:
        a fair subset of m has none of the states where it is enabled."""
        for unit, en in sorted(self.enabled.items(), key=str):
            if unit in self.strong and en & m and not self.inside(unit, m):
                return unit
        return None

    def inside(self, unit: Unit, m: int) -> bool:
        return any(e & m == e for e in self.taken.get(unit, ()))


def connected(m: int, succ: list[int]) -> bool:
    """Whether every state of the mask m is reached from its lowest through m."""
    seen = m & -m
    frontier = seen
    while frontier:
        i = (frontier & -frontier).bit_length() - 1
        frontier &= frontier - 1
        new = succ[i] & m & ~seen
        seen |= new
        frontier |= new
    return seen == m


def path(g: Graph, sources: Iterable[int], targets: set[int], allowed: set[int]) -> list[int]:
    """A shortest path of states from a source to a target, through allowed states."""
    parent: dict[int, int | None] = {}
    todo: deque[int] = deque()
    for s in sources:
        if s in allowed and s not in parent:
            parent[s] = None
            todo.append(s)
    while todo:
        s = todo.popleft()
        if s in targets:
            out: list[int] = []
            at: int | None = s
            while at is not None:
                out.append(at)
                at = parent[at]
            return out[::-1]
        for k in g.succ[s]:
            t = g.edges[k][2]
            if t in allowed and t not in parent:
                parent[t] = s
                todo.append(t)
    raise AssertionError("no path to the cycle")  # the region was reached this way


def tour(g: Graph, s_set: set[int], start: int) -> list[int | None]:
    """A cycle from `start` through S that visits every state of S and takes an edge of
    each unit the fairness of S needs, back to `start`: it is fair because it sees
    everything S does. A single state with nothing to take stutters once."""
    inside: dict[int, list[int]] = {s: [] for s in s_set}  # state -> its edges inside S
    for k in range(len(g.edges)):
        if g.edges[k][0] in s_set and g.edges[k][2] in s_set:
            inside[g.edges[k][0]].append(k)
    enabled_at: dict[Unit, set[int]] = {}
    for src, unit, _, _ in g.edges:
        if unit is not None and src in s_set:
            enabled_at.setdefault(unit, set()).add(src)
    must = []
    for unit, where in sorted(enabled_at.items(), key=lambda x: (x[0][0], x[0][1] or "")):
        if unit in g.strong or where == s_set:
            must.append(next(k for ks in inside.values() for k in ks if g.edges[k][1] == unit))
    cycle: list[int | None] = []
    at, unseen = start, set(s_set) - {start}

    def walk_to(target: int) -> None:
        nonlocal at
        for k in edge_path(g, inside, at, target):
            cycle.append(k)
            unseen.discard(g.edges[k][2])
        at = target

    for k in must:
        walk_to(g.edges[k][0])
        cycle.append(k)
        at = g.edges[k][2]
        unseen.discard(at)
    while unseen:
        walk_to(min(unseen))
    walk_to(start)
    return cycle or [None]


def edge_path(g: Graph, inside: dict[int, list[int]], src: int, dst: int) -> list[int]:
    """A shortest path of the edges `inside` from src to dst (empty if src is dst)."""
    parent: dict[int, int | None] = {src: None}
    todo = deque([src])
    while todo and dst not in parent:
        s = todo.popleft()
        for k in inside[s]:
            if g.edges[k][2] not in parent:
                parent[g.edges[k][2]] = k
                todo.append(g.edges[k][2])
    out: list[int] = []
    at = dst
    while parent[at] is not None:
        k = parent[at]
        assert k is not None
        out.append(k)
        at = g.edges[k][0]
    return out[::-1]


# ---------------------------------------------------------------------------- the spec's


Encoded = tuple[int, ...]


class Stepper(Protocol):
    """What the reference's search gives the check: its states and how it writes steps."""

    ref: Reference
    ex: Exploration

    def trace(self, e: Encoded) -> list[Step]: ...

    def step(self, t: Transition, post: Encoded) -> Step: ...

    def stop_reason(self) -> str | None: ...


def chosen(ref: Reference, names: Sequence[str] | None) -> list[ast.PropertyDecl]:
    """The properties declared (all of them, or those named, in declaration order)."""
    have = ref.sym.properties
    if names is not None:
        unknown = [n for n in names if n not in [d.name for d in have]]
        if unknown:
            raise UsageError(
                f"no property named {unknown[0]!r} "
                f"(the spec declares {', '.join(d.name for d in have) or 'none'})"
            )
    return [d for d in have if names is None or d.name in names]


def graph_of(
    ref: Reference,
    states: dict[Encoded, RState],
    initial: Iterable[Encoded],
    poll: Poll = no_poll,
) -> tuple[Graph, list[Encoded]]:
    """The state graph of the states stored (each state's successors in the space, each
    edge labelled by its fairness unit, its payload the Transition), and the states by
    number."""
    order = list(states)
    number = {e: i for i, e in enumerate(order)}
    fairness = {d.name: d.fairness for d in ref.sym.actions}
    fairness.update({p.decl.name: p.decl.fairness for p in ref.sym.processes.values()})
    edges: list[tuple[int, Unit | None, int, object]] = []
    strong: set[Unit] = set()
    for i, e in enumerate(order):
        if i % POLL_EVERY == 0:
            poll()
        for t in ref.transitions(states[e]):
            if t.target is None or ref.cut(t.target):
                continue
            post = number[ref.encode(t.target)]
            owner = t.action.split(".")[0] if t.label is not None else t.action
            unit: Unit | None = None
            if fairness[owner] is not None and post != i:  # a step to itself: a stutter
                unit = (t.action, t.instance) if t.label is not None else (t.action, None)
                if fairness[owner] == "strong":
                    strong.add(unit)
            edges.append((i, unit, post, t))
    return Graph(len(order), sorted(number[e] for e in initial), edges, strong), order


def truth(ref: Reference, expr: ast.Expr, s: RState, name: str) -> tuple[bool, list[Fault]]:
    """A property's predicate in s, and the failures evaluating it (as an invariant's)."""
    faults: list[Fault] = []
    v = scalar(ref.sym, expr, Ctx(ref.thaw(s), faults))
    return bool(v) and not faults, [
        Fault(f.kind, name, f.loc, f"{f.message} (evaluating property {name})") for f in faults
    ]


WHAT = {
    "eventually": "on which P never holds",
    "always_eventually": "on which P never holds",
    "eventually_always": "through a state where P does not hold",
    "leads_to": "after a state where P holds and Q does not, on which Q never holds",
}


def check(
    search: Stepper, props: list[ast.PropertyDecl]
) -> tuple[Violation | None, int, str | None]:
    """The first property of `props` violated, as a lasso (or the first failure to
    evaluate a predicate, as an invariant's); the components examined; and the reason
    the check is incomplete (a region too large for the brute force, a bound or a
    signal: the search's limits are polled all along), or None."""
    ref, ex = search.ref, search.ex

    def poll() -> None:
        reason = search.stop_reason()
        if reason:
            raise Stopped(reason)

    examined = 0
    try:
        g, order = graph_of(ref, ex.states, ex.initial, poll)
        for d in props:
            values = labels(search, order, d, poll)
            if isinstance(values, Violation):
                return values, examined, None
            try:
                lasso, n = decide(g, d.kind, *values, poll=poll)
            except TooLarge as big:
                return None, examined, f"property {d.name}: {big}"
            examined += n
            if lasso is not None:
                return violation(search, g, order, d, lasso), examined, None
    except Stopped as stop:
        return None, examined, str(stop)
    return None, examined, None


def labels(
    search: Stepper, order: list[Encoded], d: ast.PropertyDecl, poll: Poll
) -> list[list[bool]] | Violation:
    """The property's predicates in each state, or the first failure to evaluate one
    (P in every state, then Q), with a shortest trace to its state."""
    values: list[list[bool]] = []
    for expr in (d.p, d.q) if d.q is not None else (d.p,):
        column = []
        for i, e in enumerate(order):
            if i % POLL_EVERY == 0:
                poll()
            v, faults = truth(search.ref, expr, search.ex.states[e], d.name)
            if faults:
                f = faults[0]
                return Violation(f.kind, f.name, f.message, f.loc, tuple(search.trace(e)))
            column.append(v)
        values.append(column)
    return values


def violation(
    search: Stepper, g: Graph, order: list[Encoded], d: ast.PropertyDecl, lasso: Lasso
) -> Violation:
    steps = [Step(None, (), order[lasso.prefix[0]])]
    for pre, post in zip(lasso.prefix, lasso.prefix[1:]):
        k = next(k for k in g.succ[pre] if g.edges[k][2] == post)
        steps.append(search.step(g.edges[k][3], order[post]))  # type: ignore[arg-type]
    loop = len(steps) - 1
    for k in lasso.cycle:
        if k is None:
            steps.append(Step(STUTTER, (), steps[-1].state))
        else:
            steps.append(search.step(g.edges[k][3], order[g.edges[k][2]]))  # type: ignore[arg-type]
    n = len(lasso.cycle)
    message = (
        f"property {d.name} ({SHOW[d.kind]}) is violated: a fair cycle of {n} "
        f"step{'s' if n != 1 else ''} {WHAT[d.kind]}"
    )
    return Violation("property", d.name, message, d.loc, tuple(steps), loop=loop)
