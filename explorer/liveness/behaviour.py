"""The liveness check of a search: which temporal properties a check examines, what it
refuses with them, and the observer that records the behaviour graph while the search
expands states and, once the search has found no safety violation in the complete state
space, looks for a fair lasso that violates each property (explorer.liveness.cycles).

The graph (docs/guarantees.md): the states the search stored, an edge for each enabled
step of a stored state whose successor is stored (a successor a `constraint` cuts is not
in the state space: that edge does not exist), and a stutter loop on every state (implicit
in explorer.liveness.cycles). Fairness units: each step of a fair process is one unit per
(action, value of `self`), a fair action one unit for all its parameter values together;
a step that is not fair takes no unit, nor does a step that leaves the state as it was
(TLA+'s WF and SF count only steps that change the state, <<A>>_vars).

The graph needs the real states: it is built without symmetry reduction, fingerprints,
partial-order reduction or workers, which `refusal` refuses by name.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import replace

from mmcheck.explorer.core.limits import OUT_OF_MEMORY, out_of_memory
from mmcheck.explorer.core.model import EvalError, Model, State
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import (
    HOLDS,
    INCOMPLETE,
    VIOLATED,
    Result,
    Step,
    Violation,
    with_program,
)
from mmcheck.explorer.core.result import STUTTER as STUTTER_ACTION
from mmcheck.explorer.core.search import POLL_EVERY, Search
from mmcheck.explorer.liveness.cycles import (
    NO_UNIT,
    STUTTER,
    Graph,
    Lasso,
    find_violation,
    shortest_path,
)
from mmcheck.spec.errors import UsageError, did_you_mean
from mmcheck.spec.ir import Program, Property
from mmcheck.spec.ir_print import expr


def checked_properties(program: Program, options: CheckOptions) -> tuple[Property, ...]:
    """The properties `options` asks to check (each named one must exist), in
    declaration order."""
    if options.properties is None:
        return program.properties
    have = [p.name for p in program.properties]
    for name in options.properties:
        if name not in have:
            close = did_you_mean(name, have)
            raise UsageError(
                f"--property: unknown property {name!r} (the spec has: "
                f"{', '.join(have) or 'none'})" + (f"; {close}" if close else "")
            )
    return tuple(p for p in program.properties if p.name in options.properties)


def refusal(program: Program, options: CheckOptions, backend: str) -> str | None:
    """Why the properties `options` checks cannot be checked with those options on
    `backend`, naming the first property and the flag that avoids it; None if they can."""
    props = checked_properties(program, options)
    if not props:
        return None
    why = None
    if backend in ("vector", "ray"):
        why = f"the {backend} back end keeps no edges: use --backend tuple"
    elif options.fingerprint:
        why = "it needs the states, not their fingerprints: drop --fingerprint"
    elif options.workers != 1:
        why = "the tuple back end checks it with one worker: use --workers 1"
    elif options.por:
        why = "partial-order reduction does not keep fair cycles: drop --por"
    elif options.simulate is not None:
        why = "random walks cannot show a fair cycle absent: drop --simulate"
    elif options.symmetry and program.symmetric:
        why = "symmetry reduction does not keep fair cycles: use --no-symmetry"
    if why is None:
        return None
    return (
        f"property {props[0].name} is checked for fair cycles, and {why} "
        "(or --no-properties to check safety only)"
    )


def refuse(program: Program, options: CheckOptions, backend: str) -> tuple[Property, ...]:
    """The properties to check; a UsageError where `refusal` says why not."""
    why = refusal(program, options, backend)
    if why is not None:
        raise UsageError(why)
    return checked_properties(program, options)


def edge_units(model: Model) -> tuple[list[int], list[str]]:
    """The fairness unit of every edge of the model (NO_UNIT for a step that is not fair)
    and the kind ("weak" or "strong") of each unit."""
    table: list[int] = []
    kinds: list[str] = []
    for g in model.groups:
        a = g.action
        if a.fairness is None or g.count == 0:
            table += [NO_UNIT] * g.count
        elif a.process is not None and a.params and a.params[0].name == "self":
            # one unit per instance: `self` is the first parameter, the slowest to vary
            per_self = g.count // g.sizes[0]
            table += [len(kinds) + off // per_self for off in range(g.count)]
            kinds += [a.fairness] * g.sizes[0]
        else:
            table += [len(kinds)] * g.count
            kinds.append(a.fairness)
    return table, kinds


def attach(search: Search, options: CheckOptions, backend: str) -> BehaviourGraph | None:
    """The observer that records the behaviour graph of `search`, where it checks
    properties (a UsageError where `options` rule the check out: `refusal`)."""
    props = refuse(search.model.program, options, backend)
    if not props:
        return None
    graph = BehaviourGraph(search.model, props)
    search.observers.append(graph)
    search.behaviour = graph
    return graph


def conclude(search: Search, graph: BehaviourGraph, result: Result) -> None:
    """After a search that found no safety violation in the complete state space, the
    verdict of the properties: `result` becomes the first one's violation, if any. A
    search stopped by a bound or one that found a violation examines no property."""
    if result.verdict != HOLDS:
        return
    stats = result.stats
    try:
        violation, stats.sccs, reason = graph.check(search.kept, lambda: search.limits.poll(stats))
    except (MemoryError, SystemError) as e:
        if not out_of_memory(e):
            raise
        violation, reason = None, OUT_OF_MEMORY
    stats.elapsed = search.limits.elapsed
    if reason is not None:
        result.verdict, result.reason = INCOMPLETE, reason
    elif violation is not None:
        result.verdict = VIOLATED
        result.violation = replace(
            violation, trace=with_program(violation.trace, search.model.program)
        )


class BehaviourGraph:
    """An observer (explorer.core.observers) that records every expanded state's
    successors; `check` then looks for a fair lasso violating each property. The engine
    tells it the initial states it stored (`roots`)."""

    def __init__(self, model: Model, properties: Sequence[Property]) -> None:
        self.model = model
        self.properties = properties
        self.ids: dict[State, int] = {}  # every state seen, numbered as first seen
        self.initial: list[int] = []
        self.expanded_ids: set[int] = set()
        self.src, self.edge, self.dst = array("q"), array("q"), array("q")

    def node(self, state: State) -> int:
        v = self.ids.get(state)
        if v is None:
            v = self.ids[state] = len(self.ids)
        return v

    def roots(self, states: Sequence[State]) -> None:
        self.initial = [self.node(s) for s in states]

    def expanded(self, state: State, successors: list[tuple[int, State]]) -> None:
        v = self.node(state)
        self.expanded_ids.add(v)
        node = self.node
        for e, t in successors:
            self.src.append(v)
            self.edge.append(e)
            self.dst.append(node(t))

    def check(
        self, kept: Callable[[State], bool], poll: Callable[[], str | None]
    ) -> tuple[Violation | None, int, str | None]:
        """The first property (in order) violated by a fair lasso, as a Violation, or
        an error evaluating a property's predicate in a state; the number of strongly
        connected components examined; and why the check stopped early (a bound or a
        signal, from `poll`, asked before each property and every POLL_EVERY states
        labelled; the fair-cycle search of one property is not interrupted), else None.
        `kept(state)`: whether a state seen as a successor only is in the state space
        (not cut by a constraint)."""
        states = list(self.ids)
        initial = set(self.initial)
        nodes: list[State] = []
        new_id = [-1] * len(states)  # -1: cut by a constraint, not in the state space
        for v, s in enumerate(states):
            if v in self.expanded_ids or v in initial or kept(s):
                new_id[v] = len(nodes)
                nodes.append(s)
        table, kinds = edge_units(self.model)
        src, unit, dst, edge = array("q"), array("q"), array("q"), array("q")
        for a, e, b in zip(self.src, self.edge, self.dst):
            if new_id[b] >= 0:
                src.append(new_id[a])
                # a step that leaves the state as it was is a stutter for fairness, as
                # TLA+'s <<A>>_vars: it neither enables nor takes its unit
                unit.append(table[e] if a != b else NO_UNIT)
                dst.append(new_id[b])
                edge.append(e)
        graph = Graph(len(nodes), [new_id[v] for v in self.initial], src, unit, dst, kinds)
        trail = _Trail(self.model, graph, nodes, edge)
        sccs = 0
        for prop, p_fn, q_fn in self._predicates():
            labels = []
            for fn in (p_fn, q_fn) if q_fn is not None else (p_fn,):
                label: list[bool] = []
                for start in range(0, len(nodes), POLL_EVERY):
                    reason = poll()
                    if reason is not None:
                        return None, sccs, reason
                    try:
                        label += [bool(fn(s)) for s in nodes[start : start + POLL_EVERY]]
                    except EvalError as e:
                        return trail.error(prop, e, fn), sccs, None
                labels.append(label)
            lasso, examined = find_violation(graph, prop.kind, *labels)
            sccs += examined
            if lasso is not None:
                return trail.violation(prop, lasso, labels), sccs, None
        return None, sccs, None

    def _predicates(self) -> list[tuple[Property, Callable, Callable | None]]:
        chosen = {p.name for p in self.properties}
        return [x for x in self.model.properties if x[0].name in chosen]


class _Trail:
    """Graph paths back as trace steps."""

    def __init__(self, model: Model, graph: Graph, nodes: list[State], edge: Sequence[int]) -> None:
        self.model = model
        self.graph = graph
        self.nodes = nodes
        self.edge = edge  # the model's edge number of each graph edge

    def step(self, e: int, node: int) -> Step:
        if e == STUTTER:
            return Step(STUTTER_ACTION, (), self.nodes[node])
        return self.model.trace_step(self.edge[e], self.nodes[node])

    def steps(self, first: int, edges: Sequence[int], nodes: Sequence[int]) -> list[Step]:
        """The steps from node `first` along `edges` through `nodes` (one per edge)."""
        out = [self.model.trace_step(None, self.nodes[first])]
        return out + [self.step(e, v) for e, v in zip(edges, nodes)]

    def violation(self, prop: Property, lasso: Lasso, labels: list[list[bool]]) -> Violation:
        steps = self.steps(lasso.prefix[0], lasso.prefix_edges, lasso.prefix[1:])
        steps += [self.step(e, v) for e, v in zip(lasso.cycle, lasso.cycle_nodes[1:])]
        cycle = len(lasso.cycle)
        program = self.model.program
        p = _shown(prop.p, program)
        q = _shown(prop.q, program) if prop.q is not None else ""
        of = f"a fair cycle of {cycle} step{'s' * (cycle != 1)}"
        if prop.kind == "eventually":
            why = f"{p} holds in no state, up to and around {of}"
        elif prop.kind == "always_eventually":
            why = f"{of} never reaches {p}"
        elif prop.kind == "eventually_always":
            why = f"{of} passes through a state where {p} fails"
        else:
            at = _premise(lasso, labels)
            why = f"{p} holds at step {at}, then {q} in no state, up to and around {of}"
        head = f"property {prop.name} ({prop.show()})"
        return Violation(
            "property",
            prop.name,
            f"{head} is violated: {why}",
            prop.loc,
            tuple(steps),
            None,
            lasso.loop,
        )

    def error(self, prop: Property, err: EvalError, fn: Callable) -> Violation:
        """The error of a predicate of `prop`, with a shortest trace to a state where it
        happens."""

        def fails(v: int) -> bool:
            try:
                fn(self.nodes[v])
            except EvalError:
                return True
            return False

        path = shortest_path(self.graph, fails)
        assert path is not None
        nodes, edges = path
        steps = self.steps(nodes[0], edges, nodes[1:])
        message = f"{err.message} (evaluating property {prop.name})"
        return Violation(err.kind, prop.name, message, err.loc, tuple(steps))


def _shown(e: object, program: Program) -> str:
    return expr(e, 0, program)  # type: ignore[arg-type]


def _premise(lasso: Lasso, labels: list[list[bool]]) -> int:
    """For leads_to: the first step of the lasso where P holds and Q does not, and never
    again after it."""
    p, q = labels
    nodes = list(lasso.prefix) + list(lasso.cycle_nodes[1:])
    for i, v in enumerate(nodes):
        if p[v] and not q[v] and not any(q[w] for w in nodes[i:]):
            return i
    raise AssertionError("a leads_to lasso has a state where P holds and Q does not")
