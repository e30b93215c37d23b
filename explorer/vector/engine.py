"""The vector back end: breadth-first search over whole levels with numpy.

A level holds packed states (explorer.vector.pack), (words, n) arrays, in pieces
(explorer.vector.level). It is expanded in chunks, in this process or by forked workers
(an Expander, explorer.vector.expander): every action instance is applied to the whole
chunk at once (explorer.vector.model: by one generated numpy kernel,
explorer.vector.kernel; the interpreter explorer.vector.actions where it cannot, or
where an error happens), successors are fingerprinted together, deduplicated against
each other and against the visited set (hash tables in compiled code,
explorer.vector.visited), and the new ones are put in the order the tuple back end
discovers them (by parent, then edge). That order, and the
rules below, make this back end report what explorer.tuple.bfs reports: the same
verdict, distinct-state count, depth and trace.

  - a state whose expansion raises an error has no successors; the first such state of
    a level ends the search with the error of its first failing edge;
  - a new state's invariants are checked when it is stored, and the covers not reached
    yet evaluated;
  - with coverage recorded (one worker), the edges of each state the tuple back end
    would expand are counted, from the chunk's edges kept before the cut and dedup;
  - after an invariant violation or a step error the rest of the level is only
    searched for a deadlock (a shorter trace);
  - a state without successors is a deadlock unless terminal or all processes are done.
  - a successor (or initial state) where a constraint is false is dropped before
    deduplication: not stored, counted or expanded (though counted as generated); its
    parent, which has successors, is no deadlock.

Parent links are kept per level (index of the parent in the previous level, and the
edge); traces are rebuilt by re-executing the edges with the tuple model
(`Search.trace`).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import closing

import numpy as np

from mmcheck.explorer.core.limits import OUT_OF_MEMORY, Fault, Limits, out_of_memory
from mmcheck.explorer.core.model import State
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, VIOLATED, Result, Violation
from mmcheck.explorer.core.search import Search
from mmcheck.explorer.tuple.bfs import make_search
from mmcheck.explorer.tuple.store import collision_probability
from mmcheck.explorer.vector.expander import Expander, LocalExpander
from mmcheck.explorer.vector.level import Expanded, Level, Levels, dedup
from mmcheck.explorer.vector.model import VectorModel
from mmcheck.explorer.vector.visited import VisitedSet
from mmcheck.explorer.vector.workers import WorkerPool, default_workers
from mmcheck.spec import ir

# States expanded together. Fingerprint mode, the one to choose for memory, takes half:
# a chunk's temporaries are most of what a search holds beyond its visited set and
# parent links (10^7 states of migrate_page: 15.4 bytes a state against 16.8, 12% slower).
CHUNK = 1 << 15


class VectorBFS:
    def __init__(
        self,
        search: Search,
        initial: Iterable[State] | None,
        fingerprint: bool,
        max_depth: int | None,
        max_states: int | None,
        chunk: int | None = None,
    ) -> None:
        self.search = search
        self.vm = VectorModel(search)
        self.given = initial  # the states to start from; None: the spec's
        self.initial: list[State] = []
        self.fingerprint = fingerprint
        self.max_depth = max_depth
        self.max_states = max_states
        self.chunk = chunk or (CHUNK // 2 if fingerprint else CHUNK)
        layout = self.vm.layout
        self.keep_words = not fingerprint and layout.nwords > 1
        self.visited = VisitedSet(layout.nwords, self.keep_words)
        self.levels = Levels(len(self.vm.instances))
        self.depth = 0
        self.queue = 0  # states left to expand, as of the last chunk taken in
        self.pending: Violation | None = None
        search.limits.restart()  # compiling the kernels is not part of the search

    # --- results
    def finish(
        self,
        verdict: str,
        violation: Violation | None = None,
        reason: str | None = None,
        queue: int = 0,
    ) -> Result:
        stats = self.search.stats
        stats.distinct = len(self.visited)
        stats.queue = queue
        stats.depth = self.depth
        if self.fingerprint and self.vm.layout.nwords > 1:
            stats.collision_probability = collision_probability(stats.distinct, stats.generated)
        elif self.fingerprint:
            stats.collision_probability = 0.0
        return self.search.result(verdict, violation, reason)

    def trace_to(self, depth: int, index: int) -> list:
        root, edges = self.levels.path(depth, index)
        return self.search.trace(self.initial[root], edges)

    # --- the visited set
    def fresh(self, ex: Expanded, keep: np.ndarray | None = None) -> np.ndarray:
        """Indices (into ex's distinct successors, in discovery order) of those not in
        the visited set; only among `keep` if given."""
        cand = np.arange(len(ex.fps)) if keep is None else np.flatnonzero(keep)
        seen = self.visited.contains_block(
            ex.fps[cand], np.take(ex.words, cand, axis=1) if self.keep_words else None
        )
        return cand[~seen]

    def commit(self, ex: Expanded, new: np.ndarray) -> None:
        """Add the states `new` (indices from `fresh`) to the visited set."""
        self.visited.insert(
            ex.fps[new], np.take(ex.words, new, axis=1) if self.keep_words else None
        )

    # --- the search
    def expander(self, workers: int) -> Expander:
        """What expands the levels of this run: this process, or `workers` forked ones
        (the same successors in the same order either way: explorer.vector.expander)."""
        vm, deadlock = self.vm, self.search.deadlock
        if workers <= 1:
            return LocalExpander(vm, deadlock, self.keep_words, self.chunk)
        return WorkerPool(vm, deadlock, self.keep_words, workers, self.chunk)

    def run(self, expander: Expander) -> Result:
        """The search, with levels expanded by `expander`; a worker's death or running
        out of memory ends it, INCOMPLETE."""
        try:
            return self._run(expander)
        except Fault as e:
            reason = str(e)
        except (MemoryError, SystemError) as e:
            if not out_of_memory(e):
                raise
            reason = OUT_OF_MEMORY
        if self.pending is not None:
            return self.finish(VIOLATED, self.pending)
        return self.finish(INCOMPLETE, None, reason, self.queue)

    def _run(self, expander: Expander) -> Result:
        search, stats, vm = self.search, self.search.stats, self.vm
        initial = search.initial_states(self.given)
        if isinstance(initial, Result):
            return initial
        self.initial = initial
        nslots = len(vm.program.slots)
        init = np.array(self.initial, dtype=np.int64).reshape(len(self.initial), nslots).T
        words = vm.layout.pack(init)
        index = np.arange(init.shape[1])  # of each state in self.initial
        if vm.constraints:
            keep = ~vm.constrained(words)[0]
            words, index = words[:, keep], index[keep]
        words = vm.canonical(words)
        stats.generated += len(self.initial)
        self.levels.start()
        uwords, fps, order = dedup(vm.layout, words, index, self.keep_words)
        ex = Expanded(0, uwords, fps, order, order[:0], 0, 0)
        new = self.fresh(ex)
        bad = np.flatnonzero(self.bad_new(ex, new))
        if len(bad):
            new = new[: bad[0] + 1]
        self.commit(ex, new)
        self.levels.add(ex.order[new])
        self.cover(ex, new, 0, 0)
        if len(bad):
            return self.finish(VIOLATED, search.state_violation(self.trace_to(0, len(new) - 1)))
        level = Level([np.take(ex.words, new, axis=1)])
        truncated = False
        while level.size:
            at_bound = self.max_depth is not None and self.depth >= self.max_depth
            nxt = Level()
            self.levels.start()
            for c0, ex in expander.expand(level, nxt):
                stats.distinct = len(self.visited)
                self.queue = level.size - c0 + nxt.size
                reason = search.limits.poll(stats)
                if reason:
                    if self.pending is not None:
                        return self.finish(VIOLATED, self.pending)
                    return self.finish(INCOMPLETE, None, reason, self.queue)
                outcome = self.chunk_step(ex, c0, at_bound, nxt)
                if isinstance(outcome, Result):
                    return outcome
                truncated |= outcome
            if self.pending is not None:
                return self.finish(VIOLATED, self.pending)
            level = nxt
            if level.size:
                self.depth += 1
        if truncated:
            return self.finish(INCOMPLETE, None, f"max depth {self.max_depth} reached")
        return self.finish(HOLDS)

    def chunk_step(self, ex: Expanded, c0: int, at_bound: bool, nxt: Level) -> Result | bool:
        """Take in one expanded chunk of the current level (its first state is c0 in the
        level). Returns a Result to stop with, else whether a depth bound cut anything."""
        search, stats = self.search, self.search.stats
        k = len(self.vm.instances)
        n, err_row, dl_row = ex.n, ex.err_row, ex.dl_row
        if self.pending is not None:
            if dl_row < n:
                return self.deadlock(c0 + dl_row)
            return False
        limit = dl_row if at_bound else min(err_row, dl_row)
        keep = ex.order // k < limit
        if at_bound:
            self.observe(ex, limit)
            stats.generated += int(ex.gen[:limit].sum())
            if dl_row < n:
                return self.deadlock(c0 + dl_row)
            return err_row < limit or len(self.fresh(ex, keep)) > 0
        new = self.fresh(ex, keep)
        bad = np.flatnonzero(self.bad_new(ex, new))
        bad_at = int(bad[0]) if len(bad) else None
        room = None if self.max_states is None else self.max_states - len(self.visited)
        if room is not None and len(new) > room and (bad_at is None or bad_at >= room):
            cut_row = int(ex.order[new[room]] // k)
            self.observe(ex, cut_row + 1)
            self.link(ex, new[:room], c0, nxt)
            stats.generated += int(ex.gen[: cut_row + 1].sum())
            queued = n - cut_row + nxt.size
            return self.finish(INCOMPLETE, None, f"max states {self.max_states} reached", queued)
        if bad_at is not None:
            new = new[: bad_at + 1]
            last_row = int(ex.order[new[-1]] // k)
            self.observe(ex, last_row + 1)
            stats.generated += int(ex.gen[: last_row + 1].sum())
            index = nxt.size + bad_at
            self.link(ex, new, c0, nxt)
            self.pending = search.state_violation(self.trace_to(self.depth + 1, index))
            if last_row < dl_row < n:
                return self.deadlock(c0 + dl_row)
            return False
        self.observe(ex, limit)
        stats.generated += int(ex.gen[:limit].sum())
        self.link(ex, new, c0, nxt)
        if limit < n:
            if limit == dl_row:
                return self.deadlock(c0 + limit)
            # of length depth + 1: a later state of this level may be a deadlock
            self.pending = search.error_violation(self.trace_to(self.depth, c0 + limit))
            if dl_row < n:
                return self.deadlock(c0 + dl_row)
        return False

    def observe(self, ex: Expanded, rows: int) -> None:
        """Tell the coverage of the chunk's first `rows` states that have successors: the
        states the tuple back end's BFS expands (up to the one whose successor ends the
        search, or before the first that raises or is a deadlock)."""
        coverage = self.search.coverage
        if coverage is None or ex.edges is None or ex.parents is None:
            return
        k = len(self.vm.instances)
        edges = ex.edges[ex.edges < rows * k]
        if not len(edges):
            return
        starts = np.flatnonzero(np.diff(edges // k, prepend=-1))
        states = self.vm.layout.unpack(np.take(ex.parents, edges[starts] // k, axis=1))
        for j, (a, b) in enumerate(zip(starts, [*starts[1:], len(edges)])):
            coverage.taken_edges(tuple(int(v) for v in states[:, j]), (edges[a:b] % k).tolist())

    def bad_new(self, ex: Expanded, new: np.ndarray) -> np.ndarray:
        """For the states `new` of ex: whether their check fails (an invariant, or the
        evaluation of a constraint)."""
        if not self.vm.invariants and not self.vm.constraints:
            return np.zeros(len(new), dtype=bool)
        return self.vm.bad_invariant(np.take(ex.words, new, axis=1))

    def deadlock(self, index: int) -> Result:
        trace = self.trace_to(self.depth, index)
        return self.finish(VIOLATED, self.search.stuck_violation(trace))

    def link(self, ex: Expanded, new: np.ndarray, c0: int, nxt: Level) -> None:
        """Store the states `new` of ex: visited set, parent links, next level."""
        k = len(self.vm.instances)
        self.commit(ex, new)
        self.levels.add(ex.order[new] + c0 * k)
        self.cover(ex, new, self.depth + 1, nxt.size)
        nxt.append(np.take(ex.words, new, axis=1))

    def cover(self, ex: Expanded, new: np.ndarray, depth: int, first: int) -> None:
        """Evaluate the covers not reached yet on the states `new` of ex, just stored at
        `depth` from index `first` of that level: each reached in the first of them
        where it holds (the order the tuple back end stores them in)."""
        search = self.search
        if not search.unreached or not len(new):
            return
        words = np.take(ex.words, new, axis=1)
        for j in list(search.unreached):
            at = self.vm.first_covered(j, words)
            if at is not None:
                search.reach([j], self.trace_to(depth, first + at))


def vector_bfs(
    search: Search, options: CheckOptions, initial: Iterable[State] | None = None
) -> Result:
    """Exhaustive BFS like explorer.tuple.bfs.bfs, over batches of states, within the
    bounds of `options`, by `options.workers` processes (None: as many as cores)."""
    workers = options.workers or default_workers()
    run = VectorBFS(search, initial, options.fingerprint, options.max_depth, options.max_states)
    search.stats.workers = workers
    with search.limits.catching_signals(), closing(run.expander(workers)) as expander:
        return run.run(expander)


def check(
    program: ir.Program,
    options: CheckOptions,
    limits: Limits,
    initial: Iterable[State] | None = None,
) -> Result:
    """explorer.check for backend="vector" on a loaded program, once the registry's
    entry (vector.backend) has refused what this back end does not do."""
    return vector_bfs(make_search(program, options, limits), options, initial)
