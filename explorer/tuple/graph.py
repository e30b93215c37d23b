"""The reachable state graph of a spec, explored by the tuple back end (`mmcheck graph`).

Breadth-first over the compiled model, without symmetry reduction, so each node is one
concrete state. States that break an invariant or deadlock are marked with why; a step
that raises an error (assert, lock misuse, range, domain, division) is recorded with
the error; explorer.report.dot draws the graph.
"""

from __future__ import annotations

from collections import deque

from mmcheck.explorer.core.graph import StateGraph
from mmcheck.explorer.core.model import EvalError, Model, State
from mmcheck.explorer.tuple.translate import compile_model
from mmcheck.spec import ir


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
        g.errors.append((None, None, f"{e.kind}: {e.message}"))
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
                g.errors.append((src, model.trace_step(edge, s), f"{e.kind}: {e.message}"))
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
                g.edges.append((src, model.trace_step(edge, t), dst))
        if not enabled:
            try:
                if model.is_deadlock(s):
                    why.append("deadlock")
            except EvalError as e:
                why.append(f"{e.kind} error evaluating the terminal condition: {e.message}")
        if why:
            g.bad[src] = ", ".join(why)
    return g
