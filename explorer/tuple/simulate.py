"""Random simulation: N walks from random initial states, each of at most `depth` steps,
checking the same properties as the exhaustive search (explorer.bfs.Search), inside the
state space the constraints leave (a walk ends where every successor is cut). A walk
that finds nothing proves nothing: the verdict is then INCOMPLETE, reason "simulation".
A cover is reached with the walk that first gets to a state where it holds (not
necessarily by a shortest trace). Without a seed one is drawn, and kept in the
statistics (Stats.seed) so that the run can be repeated.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable

from mmcheck.explorer.core.model import EvalError, State
from mmcheck.explorer.core.observers import notifier
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import INCOMPLETE, VIOLATED, Result
from mmcheck.explorer.core.search import POLL_EVERY, Search

DEFAULT_DEPTH = 100


def simulate(
    search: Search, options: CheckOptions, initial: Iterable[State] | None = None
) -> Result:
    """`options.simulate` random walks, of `options.depth` steps at most, from `initial`
    (by default the spec's initial states)."""
    assert options.simulate is not None  # the number of walks
    with search.limits.catching_signals():
        states = search.initial_states(initial)
        if isinstance(states, Result):
            return states
        states = [s for s in states if search.kept(s)]
        depth = DEFAULT_DEPTH if options.depth is None else options.depth
        seed = secrets.randbits(32) if options.seed is None else options.seed
        search.stats.seed = seed
        return _simulate(search, states, options.simulate, seed, depth)


def _simulate(search: Search, initial: list[State], walks: int, seed: int, depth: int) -> Result:
    model, stats = search.model, search.stats
    stats.walks = 0
    expanded = notifier(search.observers)
    rng = random.Random(seed)
    seen: set[int] = set()  # fingerprints, for the distinct-state count only
    polls = POLL_EVERY

    def finish(verdict: str, violation: object = None, reason: str | None = None) -> Result:
        stats.distinct = len(seen)
        return search.result(verdict, violation, reason)  # type: ignore[arg-type]

    if not initial:
        return finish(INCOMPLETE, None, "simulation")
    for _ in range(walks):
        stats.walks += 1
        root = rng.randrange(len(initial))
        state = initial[root]
        edges: list[int] = []
        stats.generated += 1
        seen.add(model.fingerprint(state))
        if search.unreached and (hits := search.covered(state)):
            search.reach(hits, model.replay(state, []))
        if not search.state_ok(state):
            return finish(VIOLATED, search.state_violation(model.replay(state, [])))
        for _ in range(depth):
            polls -= 1
            if not polls:
                polls = POLL_EVERY
                stats.distinct = len(seen)
                reason = search.limits.poll(stats)
                if reason:
                    return finish(INCOMPLETE, None, reason)
            try:
                succ = model.successors(state)
            except EvalError:
                steps = model.replay(initial[root], edges)
                return finish(VIOLATED, search.error_violation(steps))
            if not succ:
                if search.is_stuck(state):
                    steps = model.replay(initial[root], edges)
                    return finish(VIOLATED, search.stuck_violation(steps))
                break
            if expanded is not None:
                expanded(state, succ)
            stats.generated += len(succ)
            if search.constraints:
                succ = [(e, t) for e, t in succ if search.kept(t)]
                if not succ:
                    break  # every successor is cut: the walk ends, no deadlock
            edge, state = rng.choice(succ)
            edges.append(edge)
            stats.steps += 1
            seen.add(model.fingerprint(state))
            stats.depth = max(stats.depth, len(edges))
            if search.unreached and (hits := search.covered(state)):
                search.reach(hits, model.replay(initial[root], edges))
            if not search.state_ok(state):
                steps = model.replay(initial[root], edges)
                return finish(VIOLATED, search.state_violation(steps))
    return finish(INCOMPLETE, None, "simulation")
