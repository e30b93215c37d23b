"""The reachable state graph in Graphviz DOT (`mmcheck graph`).

Breadth-first over the compiled model, without symmetry reduction, so each node is one
concrete state. Initial states have a double border; states that break an invariant
or deadlock are filled red; a step that raises an error (assert, lock misuse, range,
domain, division) leads to a red octagon naming the error; the edges of a shortest
path to the nearest violation are drawn thick and red.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from explorer.model import EvalError, Model, State
from explorer.trace_view import param_texts, state_items, step_info
from spec import ir
from spec.translate import compile_model

BAD_FILL = "#ffb3b3"


@dataclass
class StateGraph:
    states: dict[State, int] = field(default_factory=dict)  # state -> node number
    initial: set[int] = field(default_factory=set)
    edges: list[tuple[int, str, int]] = field(default_factory=list)  # (src, label, dst)
    bad: dict[int, str] = field(default_factory=dict)  # node -> why it is highlighted
    # (src, label, error); src None: computing the initial states failed
    errors: list[tuple[int | None, str, str]] = field(default_factory=list)
    parent: dict[int, int] = field(default_factory=dict)  # node -> edge that found it
    truncated: bool = False

    @property
    def n_violations(self) -> int:
        return len(self.bad) + len(self.errors)

    def shortest_path(self) -> set[int]:
        """The edges from an initial state to the first violation found. Nodes are
        numbered in breadth-first order, so the smallest violating node is a nearest."""
        ends = [*self.bad, *(src for src, _, _ in self.errors if src is not None)]
        path: set[int] = set()
        node = min(ends, default=None)
        while node in self.parent:
            edge = self.parent[node]
            path.add(edge)
            node = self.edges[edge][0]
        return path


def _edge_label(program: ir.Program, model: Model, edge: int, state: State) -> str:
    step = model.trace_step(edge, state)
    info = step_info(program, step)
    params = param_texts(program, step.action, step.params)
    args = f" [{', '.join(params)}]" if params else ""
    if info.instance is not None:
        return f"{info.instance}: {info.label}{args}"
    return f"{step.action}({', '.join(params)})"


def _broken_invariants(model: Model, s: State) -> list[str]:
    """Why `s` breaks invariants: each one false, or failing to evaluate (as `check`
    reports an error in an invariant: a violation of it, with the error)."""
    why = []
    for inv, holds in model.invariants:
        try:
            if not holds(s):
                why.append(f"violates {inv.name}")
        except EvalError as e:
            why.append(f"{e.kind} error evaluating {inv.name}: {e.message}")
    return why


def explore(program: ir.Program, max_states: int) -> StateGraph:
    """Every reachable state up to `max_states` nodes, every edge between them."""
    model = compile_model(program)
    g = StateGraph()
    queue: deque[State] = deque()

    def node(s: State) -> int | None:
        if s not in g.states:
            if len(g.states) >= max_states:
                g.truncated = True
                return None
            g.states[s] = len(g.states)
            queue.append(s)
        return g.states[s]

    try:
        initial = model.init_states()
    except EvalError as e:
        g.errors.append((None, "Init", f"{e.kind}: {e.message}"))
        initial = []
    for s in initial:
        n = node(s)
        if n is not None:
            g.initial.add(n)
    while queue:
        s = queue.popleft()
        src = g.states[s]
        why = _broken_invariants(model, s)
        enabled = 0
        for edge in range(model.n_edges):  # edge by edge, so one error hides no other step
            try:
                t = model.step(edge, s)
            except EvalError as e:
                g.errors.append((src, _edge_label(program, model, edge, s),
                                 f"{e.kind}: {e.message}"))
                enabled += 1
                continue
            if t is None:
                continue
            enabled += 1
            known = t in g.states
            dst = node(t)
            if dst is not None:
                if not known:
                    g.parent[dst] = len(g.edges)
                g.edges.append((src, _edge_label(program, model, edge, t), dst))
        if not enabled:
            try:
                if model.is_deadlock(s):
                    why.append("deadlock")
            except EvalError as e:
                why.append(f"{e.kind} error evaluating the terminal condition: {e.message}")
        if why:
            g.bad[src] = ", ".join(why)
    return g


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _lines(lines: list[str]) -> str:
    """A left-justified multi-line DOT label."""
    return "".join(_quote(line) + "\\l" for line in lines)


def to_dot(program: ir.Program, g: StateGraph) -> str:
    title = f"{program.name}: {len(g.states)} states, {len(g.edges)} edges"
    if g.truncated:
        title += " (truncated)"
    out = [
        f'digraph "{_quote(program.name)}" {{',
        f'  label="{_quote(title)}"; labelloc=t;',
        '  node [shape=box, fontname="monospace", fontsize=10];',
        '  edge [fontname="monospace", fontsize=9];',
    ]
    for s, n in g.states.items():
        lines = [f"{name} = {value}" for _, name, value in state_items(program, s)]
        attrs = [f'label="{_lines([f"#{n}"] + lines)}"']
        if n in g.initial:
            attrs.append("peripheries=2")
        if n in g.bad:
            attrs += ["style=filled", f'fillcolor="{BAD_FILL}"', f'xlabel="{_quote(g.bad[n])}"']
        out.append(f"  s{n} [{', '.join(attrs)}];")
    path = g.shortest_path()
    for k, (src, label, dst) in enumerate(g.edges):
        style = ", color=red, penwidth=2" if k in path else ""
        out.append(f'  s{src} -> s{dst} [label="{_quote(label)}"{style}];')
    for k, (src, label, error) in enumerate(g.errors):
        out.append(f'  e{k} [shape=octagon, style=filled, fillcolor="{BAD_FILL}", '
                   f'label="{_quote(error)}"];')
        if src is not None:
            out.append(f'  s{src} -> e{k} [label="{_quote(label)}", color=red];')
    out.append("}")
    return "\n".join(out) + "\n"
