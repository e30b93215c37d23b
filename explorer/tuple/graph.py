"""The reachable state graph of a spec, explored by the tuple back end (`mmcheck graph`).

Breadth-first over the compiled model, without symmetry reduction, so each node is one
concrete state. What is a violation is what `check` decides (explorer.core.search's
Search, with every invariant, the lemmas if asked, and the deadlock check): a state
that breaks invariants or deadlocks is marked with the violations; a step that raises
an error (assert, lock misuse, range, domain, division) is recorded with it, each step
on its own, so that one error hides no other. A state a constraint cuts is not drawn,
nor the edges into it (they still make their source no deadlock). explorer.report.dot
draws the graph.
"""

from __future__ import annotations

from collections import deque

from mmcheck.explorer.core.graph import StateGraph
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.model import EvalError, State
from mmcheck.explorer.core.search import Search
from mmcheck.explorer.tuple.translate import compile_model
from mmcheck.spec import ir


def explore(program: ir.Program, max_states: int, lemmas: bool = False) -> StateGraph:
    """Every reachable state up to `max_states` nodes, every edge between them."""
    model = compile_model(program)
    chosen = [(inv, fn) for inv, fn in model.invariants if inv.checked(None, lemmas)]
    search = Search(model, chosen, True, Limits())
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
        g.errors.append((None, search.init_error(e)))
        initial = []
    for s in initial:
        if not search.kept(s):
            continue
        n = node(s)
        if n is not None:
            g.initial.add(n)
    while queue:
        s = queue.popleft()
        src = g.states[s]
        here = [model.trace_step(None, s)]  # the trace of a violation in s: s alone
        bad = [] if search.state_ok(s) else list(search.invariant_violations(here))
        enabled = 0
        for edge in range(model.n_edges):
            try:
                t = model.step(edge, s)
            except EvalError as e:
                g.errors.append((src, search.step_error(here, edge, e)))
                enabled += 1
                continue
            if t is None:
                continue
            enabled += 1
            if not search.kept(t):
                continue
            known = t in g.states
            dst = node(t)
            if dst is not None:
                if not known:
                    g.parent[dst] = len(g.edges)
                g.edges.append((src, model.trace_step(edge, t), dst))
        if not enabled and search.is_stuck(s):
            bad.append(search.stuck_violation(here))
        if bad:
            g.bad[src] = bad
    return g
