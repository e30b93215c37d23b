"""Breadth-first search over a compiled model: the tuple back end's exhaustive policy
(levels, a visited set, parent links) over a `Search` (explorer.core.search).

Shortest traces: a level's states are expanded in order; a new state's invariants are
checked when it is stored, so an invariant violation or a step error found while
expanding level d has a trace of d+1 steps. A deadlock at level d is shorter, so after
such a find the rest of level d is still expanded (storing nothing) to look for one.
A cover is evaluated on each state when it is stored, until it holds in one: the first
such state is one of the shallowest.

With partial-order reduction (`por`, explorer.core.por) a state is expanded through a
stubborn subset of its enabled edges where one exists. Cycle proviso: a state with a
reduced successor already visited at its own level or above is fully expanded instead
(every cycle of the reduced graph has such an edge, so every cycle has a fully expanded
state). All of a state's edges are still computed, so its step errors are found. Traces
are not shortest then: explorer.tuple.backend re-runs a violation's depth unreduced.

`bfs_until` may stop at a level boundary instead, once a level has `switch_at` states:
it returns a Handover (visited set, parent links, the level not yet expanded) for the
vector back end to go on from (explorer.vector.auto).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from mmcheck.explorer.core.coverage import Coverage
from mmcheck.explorer.core.limits import OUT_OF_MEMORY, Limits, out_of_memory
from mmcheck.explorer.core.model import EvalError, State
from mmcheck.explorer.core.observers import notifier
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.por import Reducer, visible_slots
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, VIOLATED, Result, Step, Violation
from mmcheck.explorer.core.search import POLL_EVERY, Search
from mmcheck.explorer.tuple.store import Store, collision_probability
from mmcheck.explorer.tuple.symmetry import canonicalizer
from mmcheck.explorer.tuple.translate import compile_expr, compile_model
from mmcheck.spec.errors import unknown_invariant
from mmcheck.spec.ir import Program


def make_search(program: Program, options: CheckOptions, limits: Limits) -> Search:
    """A Search over the compiled `program` (what every back end's check starts with),
    for the invariants `options` chooses (each must exist), in declaration order; no
    symmetry reduction for random walks."""
    model = compile_model(program)
    if options.invariants is not None:
        have = [inv.name for inv, _ in model.invariants]
        unknown = [n for n in options.invariants if n not in have]
        if unknown:
            raise unknown_invariant(unknown[0], have)
    chosen = [
        (inv, fn) for inv, fn in model.invariants if inv.checked(options.invariants, options.lemmas)
    ]
    symmetry = options.symmetry and options.simulate is None
    return Search(
        model,
        chosen,
        options.deadlock,
        limits,
        canon=canonicalizer(program) if symmetry else None,
        coverage=Coverage(model) if options.coverage else None,
        backend=options.backend,
    )


@dataclass
class Handover:
    """A search stopped at a level boundary, everything another back end needs to go on
    as this one would: the store (visited set; parent links, a level being a range of
    ids), the roots its level 0 links name, and level `depth`, stored, not expanded."""

    store: Store
    roots: list[State]
    level: list[State]  # the states of level `depth`, in their order (ids from starts[-1])
    starts: list[int]  # the id of the first state of each level, 0 to depth
    depth: int


def bfs(search: Search, options: CheckOptions, initial: Iterable[State] | None = None) -> Result:
    """Exhaustive breadth-first search within the bounds of `options` from `initial`
    (real states, in order; by default the spec's initial states)."""
    result = bfs_until(search, options, initial)
    assert isinstance(result, Result)
    return result


def bfs_until(
    search: Search,
    options: CheckOptions,
    initial: Iterable[State] | None = None,
    switch_at: int | None = None,
    ready: Callable[[], bool] = lambda: True,
) -> Result | Handover:
    """`bfs`, stopped with a Handover at the first level boundary where the level to
    expand next has `switch_at` states or more and `ready()` says the taker is ready
    (asked once: if it says no, the search goes on to the end)."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the search allocates millions of tuples and frees none: skip the scans
    try:
        with search.limits.catching_signals():
            try:
                return _bfs(
                    search,
                    search.initial(initial),
                    options.fingerprint,
                    options.max_depth,
                    options.max_states,
                    reducer(search) if options.por else None,
                    switch_at,
                    ready,
                )
            except (MemoryError, SystemError) as e:
                if not out_of_memory(e):
                    raise
                # leaving this block frees the search's frame, and what it held
        return search.result(INCOMPLETE, None, OUT_OF_MEMORY)  # the statistics of the last poll
    finally:
        if gc_was_enabled:
            gc.enable()


def reducer(search: Search) -> Reducer:
    """The stubborn sets of the search's model, for what the search checks."""
    program = search.model.program
    checked = [inv for inv, _ in search.invariants] + list(program.constraints)
    covers = visible_slots(program, [c for c, _ in search.covers])
    return Reducer(search.model, visible_slots(program, checked), compile_expr, covers)


def _bfs(
    search: Search,
    initial: Iterator[State | None],
    fingerprint: bool,
    max_depth: int | None,
    max_states: int | None,
    reducer: Reducer | None = None,
    switch_at: int | None = None,
    ready: Callable[[], bool] = lambda: True,
) -> Result | Handover:
    model, stats, limits, canon = search.model, search.stats, search.limits, search.canon
    expanded = notifier(search.observers)
    fp = model.fingerprint if fingerprint else None
    store = Store(fp)
    seen, seen_add = store.seen, store.seen.add
    parents_append, edges_append = store.parents.append, store.edges.append
    successors = model.successors
    ok = search.invariants_ok if search.checks_states else None
    kept = search.kept if search.constraints else None
    unreached = search.unreached  # the covers not reached yet (emptied as they are)
    limit = max_states if max_states is not None else float("inf")
    reduce = reducer.reduce if reducer is not None else None
    por = [0, 0, 0]  # states expanded reduced, fully, fully by the proviso
    fresh: set = set()  # with --por: the keys of the next level's states stored so far

    def finish(
        verdict: str, violation: Violation | None = None, reason: str | None = None, queue: int = 0
    ) -> Result:
        stats.distinct = len(store)
        stats.queue = queue
        if reduce is not None:
            stats.por_reduced, stats.por_full, stats.por_proviso = por
        if fingerprint:
            stats.collision_probability = collision_probability(stats.distinct)
        return search.result(verdict, violation, reason)

    def trace_to(sid: int) -> list[Step]:
        root, edges = store.path(sid)
        return search.trace(roots[root], edges)

    # level 0: the initial states, generated while the limits are polled
    roots: list[State] = []  # the real initial states, by index (parent links name them)
    level: list[State] = []

    def poll(queue: int) -> str | None:
        stats.distinct = len(store)
        stats.queue = queue
        return limits.poll(stats)

    reason = poll(0)  # a signal may have come while the spec was loading
    if reason:
        return finish(INCOMPLETE, None, reason)
    polls = POLL_EVERY
    try:
        for s in initial:
            polls -= 1
            if s is None or not polls:
                polls = POLL_EVERY
                reason = poll(len(level))
                if reason:
                    return finish(INCOMPLETE, None, reason, len(level))
                if s is None:
                    continue
            stats.generated += 1
            if kept is not None and not kept(s):
                continue
            roots.append(s)
            t = canon(s) if canon else s
            if store.add(t, -1, len(roots) - 1) < 0:
                continue
            level.append(t)
            if unreached and (hits := search.covered(t)):
                search.reach(hits, trace_to(len(store) - 1))
            if not search.state_ok(s):
                return finish(VIOLATED, search.state_violation(trace_to(len(store) - 1)))
    except EvalError as e:
        return finish(VIOLATED, search.init_error(e))
    if not roots:
        search.warnings.append(
            "the constraints cut every initial state"
            if stats.generated
            else "the spec has no initial state"
        )
    if search.behaviour is not None:
        search.behaviour.roots(level)
    if reducer is not None and not unreached:
        reducer.covers_reached()
    depth = 0
    first = 0  # id of the level's first state
    starts = [0]  # and of every level's so far
    stats.depth = 0
    truncated = False
    while level:
        at_bound = max_depth is not None and depth >= max_depth
        pending: Violation | None = None
        nxt: list[State] = []
        for i, s in enumerate(level):
            polls -= 1
            if not polls:
                polls = POLL_EVERY
                reason = poll(len(level) - i + len(nxt))
                if reason:
                    if pending is not None:
                        return finish(VIOLATED, pending)
                    return finish(INCOMPLETE, None, reason, len(level) - i + len(nxt))
            sid = first + i
            try:
                succ = successors(s)
            except EvalError:
                if pending is not None:
                    continue
                if at_bound:
                    truncated = True
                    continue
                # of length depth + 1: a later state of this level may be a deadlock
                pending = search.error_violation(trace_to(sid))
                continue
            if not succ:
                if search.is_stuck(s):
                    return finish(VIOLATED, search.stuck_violation(trace_to(sid)))
                continue
            if pending is not None:
                continue
            if reduce is not None:
                keep = reduce(s, succ)
                if keep is None:
                    por[1] += 1
                else:
                    part = [succ[j] for j in keep]
                    for _, t in part:  # the cycle proviso
                        if canon is not None:
                            t = canon(t)
                        k = fp(t) if fp is not None else t
                        if k in seen and k not in fresh:
                            por[1] += 1
                            por[2] += 1
                            break
                    else:
                        por[0] += 1
                        succ = part
            stats.generated += len(succ)
            if expanded is not None:
                expanded(s, succ)
            for e, t in succ:
                if canon is not None:
                    t = canon(t)
                k = fp(t) if fp is not None else t
                n = len(seen)
                seen_add(k)  # one hash per successor: a set that did not grow had it
                if len(seen) == n:
                    continue
                if kept is not None and not kept(t):
                    seen.discard(k)  # not stored: judged again wherever it is reached
                    continue
                if at_bound or n >= limit:
                    seen.discard(k)
                    if at_bound:
                        truncated = True
                        break
                    return finish(
                        INCOMPLETE,
                        None,
                        f"max states {max_states} reached",
                        len(level) - i + len(nxt),
                    )
                parents_append(sid)
                edges_append(e)
                nxt.append(t)
                if reduce is not None:
                    fresh.add(k)
                if unreached and (hits := search.covered(t)):
                    search.reach(hits, trace_to(len(store) - 1))
                    if not unreached and reducer is not None:
                        reducer.covers_reached()
                if ok is not None:
                    try:
                        good = ok(t)
                    except EvalError:
                        good = False
                    if not good:
                        pending = search.state_violation(trace_to(len(store) - 1))
                        break
        if pending is not None:
            return finish(VIOLATED, pending)
        first += len(level)
        starts.append(first)
        level = nxt
        fresh.clear()
        if level:
            depth += 1
            stats.depth = depth
            if switch_at is not None and len(level) >= switch_at:
                if ready():
                    stats.distinct, stats.queue = len(store), len(level)
                    return Handover(store, roots, level, starts, depth)
                switch_at = None
    if truncated:
        return finish(INCOMPLETE, None, f"max depth {max_depth} reached")
    return finish(HOLDS)
