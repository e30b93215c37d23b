"""The vector back end: breadth-first search over whole levels with numpy.

A level holds packed states (explorer.vector.pack), (words, n) arrays, in pieces
(explorer.vector.level). It is expanded in chunks, in this process (an Expander,
explorer.vector.expander) or, with several workers, by the owners of the visited set's
partitions (explorer.vector.partition, `run_owners`: each expands, stores and checks
its own states, and the level's order is restored by merging their sorted (parent,
edge) keys, so the rules below hold as they do in one process): every action instance
is applied to the whole
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

import itertools
from collections.abc import Callable, Iterable
from contextlib import closing

import numpy as np

from mmcheck.explorer.core.limits import OUT_OF_MEMORY, Fault, Limits, out_of_memory
from mmcheck.explorer.core.model import State
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, VIOLATED, Result, Violation
from mmcheck.explorer.core.search import Search
from mmcheck.explorer.tuple.bfs import Handover, make_search
from mmcheck.explorer.tuple.store import collision_probability
from mmcheck.explorer.vector.expander import Expander, LocalExpander
from mmcheck.explorer.vector.level import Expanded, Level, Levels, dedup
from mmcheck.explorer.vector.model import VectorModel
from mmcheck.explorer.vector.partition import (
    LevelExpansion,
    NewStates,
    Outgoing,
    Owners,
    merge,
    owner_of,
)
from mmcheck.explorer.vector.visited import VisitedSet
from mmcheck.explorer.vector.workers import OwnerPool, default_workers
from mmcheck.spec import ir

# States expanded together. Fingerprint mode, the one to choose for memory, takes half:
# a chunk's temporaries are most of what a search holds beyond its visited set and
# parent links (10^7 states of migrate_page: 15.4 bytes a state against 16.8, 12% slower).
CHUNK = 1 << 15
ADOPT_BLOCK = 1 << 16  # states of a tuple BFS packed at a time when taking it over
# States of a level expanded in one round by owners (run_owners): their successors, about
# seven times as many, 8 x (words + 2) bytes each, are in flight at once, twice while
# joined (a whole level's of 6 x 10^7 states, at 10^9 states, would be 10 GB of them;
# 4.3 x 10^6 states of migrate_page measure 1.2 GB); a round costs a few milliseconds.
SLICE = 1 << 20


class VectorBFS:
    def __init__(
        self,
        search: Search,
        initial: Iterable[State] | None,
        fingerprint: bool,
        max_depth: int | None,
        max_states: int | None,
        chunk: int | None = None,
        use_cache: bool = True,
        restart: bool = True,
    ) -> None:
        self.search = search
        self.vm = VectorModel(search, use_cache)
        self.given = initial  # the states to start from; None: the spec's
        self.initial: list[State] = []
        self.fingerprint = fingerprint
        self.max_depth = max_depth
        self.max_states = max_states
        self.chunk = chunk or (CHUNK // 2 if fingerprint else CHUNK)
        self.slice = SLICE
        layout = self.vm.layout
        self.keep_words = not fingerprint and layout.nwords > 1
        self.visited = VisitedSet(layout.nwords, self.keep_words)
        self.owned: int | None = None  # with owners (run_owners): the states they store
        self.levels = Levels(len(self.vm.instances))
        self.depth = 0
        self.queue = 0  # states left to expand, as of the last chunk taken in
        self.pending: Violation | None = None
        # with owners: a slice's keys (its depth, each owner's), until its links are stored
        self.unlinked: tuple[int, list[np.ndarray]] | None = None
        if restart:  # compiling the kernels is not part of the search (unless it goes on)
            search.limits.restart()

    @classmethod
    def of(
        cls,
        search: Search,
        options: CheckOptions,
        initial: Iterable[State] | None,
        restart: bool = True,
    ) -> VectorBFS:
        """The search that `options` ask for: its bounds, fingerprints, kernels' cache;
        its clock restarted once the kernels are compiled, unless `restart` is False."""
        return cls(
            search,
            initial,
            options.fingerprint,
            options.max_depth,
            options.max_states,
            use_cache=options.cache,
            restart=restart,
        )

    # --- results
    def finish(
        self,
        verdict: str,
        violation: Violation | None = None,
        reason: str | None = None,
        queue: int = 0,
    ) -> Result:
        self.link_unlinked()
        stats = self.search.stats
        stats.distinct = len(self.visited) if self.owned is None else self.owned
        stats.queue = queue
        stats.depth = self.depth
        if self.fingerprint and self.vm.layout.nwords > 1:
            stats.collision_probability = collision_probability(stats.distinct)
        elif self.fingerprint:
            stats.collision_probability = 0.0
        return self.search.result(verdict, violation, reason)

    def trace_to(self, depth: int, index: int) -> list:
        self.link_unlinked()
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
    def expander(self) -> Expander:
        """What expands the levels of a run in this process."""
        return LocalExpander(self.vm, self.search.deadlock, self.keep_words, self.chunk)

    def owners(self, workers: int) -> OwnerPool:
        """`workers` forked processes owning the visited set's partitions; waiting for
        them, the search's bounds are polled (one reached stops the run)."""
        stats, limits = self.search.stats, self.search.limits
        pool = OwnerPool(
            self.vm,
            self.search.deadlock,
            self.keep_words,
            workers,
            self.chunk,
            lambda: limits.poll(stats),
        )
        limits.helpers = pool.pids  # they hold the visited set: --memory-limit counts them
        return pool

    def run(self, expander: Expander) -> Result:
        """The search, with levels expanded by `expander` in this process."""
        return self.guarded(lambda: self._run(expander))

    def run_owners(self, owners: Owners) -> Result:
        """The search, with the visited set partitioned among `owners`
        (explorer.vector.partition)."""
        return self.guarded(lambda: self._run_owners(owners))

    def check(self, workers: int | None) -> Result:
        """The search, by `workers` processes (None: as many as cores)."""
        workers = workers or default_workers()
        self.search.stats.workers = workers
        with self.search.limits.catching_signals():
            if workers <= 1:
                with closing(self.expander()) as expander:
                    return self.run(expander)
            with closing(self.owners(workers)) as owners:
                return self.run_owners(owners)

    def guarded(self, search: Callable[[], Result]) -> Result:
        """`search`, stopped cleanly by a fault (a worker's death, a bound reached while
        waiting for workers) or by running out of memory: INCOMPLETE."""
        try:
            return search()
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
        search, vm = self.search, self.vm
        initial = search.initial_states(self.given)
        if isinstance(initial, Result):
            return initial
        words, index = self.initial_words(initial)
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
        return self.levels_from(expander, Level([np.take(ex.words, new, axis=1)]))

    def levels_from(self, expander: Expander, level: Level) -> Result:
        """The search from `level` (at self.depth, stored, not expanded) on."""
        search, stats = self.search, self.search.stats
        truncated = False
        while level.size:
            at_bound = self.max_depth is not None and self.depth >= self.max_depth
            nxt = Level()
            self.levels.start()
            for c0, ex in expander.expand(level, nxt):
                stats.distinct = len(self.visited)
                self.queue = level.size - c0 + nxt.size
                stats.queue, stats.depth = self.queue, self.depth  # for progress reports
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

    def adopt(self, handover: Handover) -> Level:
        """Take over a tuple BFS stopped at a level boundary (explorer.tuple.bfs): its
        visited set, parent links and initial states become this search's, and its
        level not yet expanded is returned, the same states in the same order. The two
        back ends store the same canonical states and number edges alike, so the search
        goes on exactly as this back end's own would from there."""
        store, layout, k = handover.store, self.vm.layout, len(self.vm.instances)
        assert store.fingerprint is None  # fingerprints are no states (auto starts again)
        self.initial = handover.roots
        self.depth = handover.depth
        seen = iter(store.seen)
        while block := list(itertools.islice(seen, ADOPT_BLOCK)):
            words = self.packed(block)
            self.visited.insert(layout.fingerprints(words), words if self.keep_words else None)
        del seen
        store.seen.clear()  # the tuple back end's states go once taken
        parents = np.frombuffer(store.parents, dtype=np.int64)
        edges = np.frombuffer(store.edges, dtype=np.int64)
        bounds = [*handover.starts, len(store)]
        for d in range(handover.depth + 1):
            lo, hi = bounds[d], bounds[d + 1]
            self.levels.start()  # level 0: the index of the initial state, as a root's edge
            self.levels.add(
                edges[lo:hi] + (parents[lo:hi] - bounds[d - 1]) * k if d else edges[lo:hi]
            )
        level = handover.level
        pieces = [
            self.packed(level[i : i + ADOPT_BLOCK]) for i in range(0, len(level), ADOPT_BLOCK)
        ]
        level.clear()
        return Level(pieces)

    def packed(self, states: list[State]) -> np.ndarray:
        """`states` (canonical) packed, in order."""
        nslots = len(self.vm.program.slots)
        return self.vm.layout.pack(np.array(states, dtype=np.int64).reshape(len(states), nslots).T)

    def _run_owners(self, owners: Owners) -> Result:
        """The levels searched by owners of the visited set's partitions, a round per
        slice of `self.slice` states of a level: what they report decides where a level
        is cut exactly as chunk_step does chunk by chunk, so counts, verdicts and traces
        are the same."""
        search, stats, vm = self.search, self.search.stats, self.vm
        initial = search.initial_states(self.given)
        if isinstance(initial, Result):
            return initial
        words, index = self.initial_words(initial)
        fps = vm.layout.fingerprints(words)
        dest = owner_of(fps, owners.parts)
        seeds = []
        for j in range(owners.parts):
            mine = np.flatnonzero(dest == j)
            seeds.append(Outgoing(index[mine], fps[mine], np.take(words, mine, axis=1)))
        del words, fps, dest
        news = owners.seed(seeds, list(search.unreached))
        keys = merge([new.keys for new in news])
        bad = self.first_bad(keys, news, len(keys))
        self.owned = 0
        self.levels.start()
        self.store(keys, news, 0, len(keys) if bad is None else bad + 1)
        if bad is not None:
            return self.finish(VIOLATED, search.state_violation(self.trace_to(0, bad)))
        size, truncated = len(keys), False
        while size:
            at_bound = self.max_depth is not None and self.depth >= self.max_depth
            self.queue = size
            stats.distinct, stats.queue, stats.depth = self.owned or 0, size, self.depth
            self.levels.start()
            reason = search.limits.poll(stats)
            if reason:
                return self.finish(INCOMPLETE, None, reason, size)
            found = self.owned_level(owners, size, at_bound)
            if isinstance(found, Result):
                return found
            if at_bound:
                truncated = found > 0
                break
            size = found
            if size:
                self.depth += 1
        if truncated:
            return self.finish(INCOMPLETE, None, f"max depth {self.max_depth} reached")
        return self.finish(HOLDS)

    def owned_level(self, owners: Owners, size: int, at_bound: bool) -> Result | int:
        """Expand the current level (`size` states) slice by slice and store the next: a
        Result to stop with, else the next level's size (at the depth bound, not stored:
        whether any successor or error was cut)."""
        search, stats = self.search, self.search.stats
        k = len(self.vm.instances)
        error = dead = None
        stored = 0  # the next level's states stored so far
        counted = 0  # successors of the level's states added to stats.generated so far
        cut = False  # at the depth bound: whether the bound cut a successor or an error
        for lo in range(0, size, self.slice):
            hi = min(size, lo + self.slice)
            reports = owners.expand(lo == 0, hi, self.link_unlinked)
            if error is None:  # the first found is the least: the slices come in order
                error = min((r.error for r in reports if r.error is not None), default=None)
            if dead is None:
                dead = min((r.deadlock for r in reports if r.deadlock is not None), default=None)
            # successors of the states from the first that raises or is a deadlock on
            # are not taken in (at the depth bound, from the first deadlock on)
            stop = (
                dead if at_bound or error is None else error if dead is None else min(error, dead)
            )
            news = owners.receive([] if at_bound or self.pending else list(search.unreached))
            if self.pending is not None:  # the rest of the level is searched for a deadlock
                if dead is not None:
                    return self.deadlock(dead)
                continue
            found = sum(len(new.keys) for new in news)
            room = None if self.max_states is None else self.max_states - (self.owned or 0)
            uncut = not at_bound and stop is None and (room is None or found <= room)
            if uncut and all(new.bad is None and not new.covered for new in news):
                # nothing cuts the slice: its links are stored while the owners go on
                stats.generated += sum(r.generated for r in reports)
                counted += sum(r.generated for r in reports)
                self.owned = stats.distinct = (self.owned or 0) + found
                self.unlinked = (self.depth + 1, [new.keys for new in news])
                stored += found
                continue
            self.link_unlinked()
            keys = merge([new.keys for new in news])
            if stop is not None:
                keys = keys[: np.searchsorted(keys, stop * k)]
            if at_bound:
                stats.generated += self.generated(owners, reports, dead, counted)
                if dead is not None:
                    return self.deadlock(dead)
                counted += sum(r.generated for r in reports)
                cut = cut or error is not None or len(keys) > 0
                continue
            bad = self.first_bad(keys, news, len(keys))
            if room is not None and len(keys) > room and (bad is None or bad >= room):
                last = int(keys[room]) // k  # the state whose successor does not fit
                stats.generated += owners.generated_before(last + 1) - counted
                self.store(keys, news, self.depth + 1, room, stored)
                reason = f"max states {self.max_states} reached"
                return self.finish(INCOMPLETE, None, reason, size - last + stored + room)
            if bad is not None:
                stats.generated += owners.generated_before(int(keys[bad]) // k + 1) - counted
                self.store(keys, news, self.depth + 1, bad + 1, stored)
                trace = self.trace_to(self.depth + 1, stored + bad)
                self.pending = search.state_violation(trace)
            else:
                stats.generated += self.generated(owners, reports, stop, counted)
                counted += sum(r.generated for r in reports)
                self.store(keys, news, self.depth + 1, len(keys), stored)
                stored += len(keys)
                if error is not None and (dead is None or error < dead):
                    # of length depth + 1: a later state of this level may be a deadlock
                    self.pending = search.error_violation(self.trace_to(self.depth, error))
            if dead is not None:
                return self.deadlock(dead)
        if self.pending is not None:
            return self.finish(VIOLATED, self.pending)
        return int(cut) if at_bound else stored

    def link_unlinked(self) -> None:
        """Store the parent links of the slice left unlinked (`owned_level`)."""
        if self.unlinked is not None:
            depth, keys = self.unlinked
            self.levels.add(merge(keys), depth)
            self.unlinked = None

    @staticmethod
    def first_bad(keys: np.ndarray, news: list[NewStates], n: int) -> int | None:
        """The index in `keys` (the level's new states in order, cut to the first n)
        of the first whose check fails, reported by its owner."""
        bad = min((new.bad for new in news if new.bad is not None), default=None)
        if bad is None:
            return None
        at = int(np.searchsorted(keys[:n], bad))
        return at if at < n and keys[at] == bad else None

    @staticmethod
    def generated(
        owners: Owners, reports: list[LevelExpansion], stop: int | None, counted: int
    ) -> int:
        """The successors generated by the states of a level's slice (`reports`) before
        `stop` (all: None), the earlier slices having generated `counted`."""
        if stop is None:
            return sum(r.generated for r in reports)
        return owners.generated_before(stop) - counted

    def store(
        self, keys: np.ndarray, news: list[NewStates], depth: int, n: int, offset: int = 0
    ) -> None:
        """Store the first n of a level's new states (`keys`, in order) found by owners,
        from index `offset` of the level: parent links, count, and the covers their
        owners found holding there."""
        self.levels.add(keys[:n])
        self.owned = self.search.stats.distinct = (self.owned or 0) + n
        first: dict[int, int] = {}
        for new in news:
            for j, key in new.covered.items():
                first[j] = min(first.get(j, key), key)
        for j, key in first.items():
            at = int(np.searchsorted(keys[:n], key))
            if at < n and keys[at] == key:
                self.search.reach([j], self.trace_to(depth, offset + at))

    def initial_words(self, initial: list[State]) -> tuple[np.ndarray, np.ndarray]:
        """The initial states packed (canonical, those a constraint cuts dropped), with
        the index of each among `initial`, which become self.initial."""
        vm = self.vm
        self.initial = initial
        nslots = len(vm.program.slots)
        init = np.array(initial, dtype=np.int64).reshape(len(initial), nslots).T
        words = vm.layout.pack(init)
        index = np.arange(init.shape[1])  # of each state in self.initial
        if vm.constraints:
            keep = ~vm.constrained(words)[0]
            words, index = words[:, keep], index[keep]
        self.search.stats.generated += len(initial)
        return vm.canonical(words), index

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
    return VectorBFS.of(search, options, initial).check(options.workers)


def resume(run: VectorBFS, handover: Handover) -> Result:
    """The search of a tuple BFS stopped at a level boundary, gone on with by `run`
    (one process) from there."""
    search = run.search
    search.stats.workers = 1
    with search.limits.catching_signals(), closing(run.expander()) as expander:
        try:
            level = run.adopt(handover)
        except (MemoryError, SystemError) as e:
            if not out_of_memory(e):
                raise
            # the statistics the tuple search handed over with: its states, all stored
            return search.result(INCOMPLETE, None, OUT_OF_MEMORY)
        return run.guarded(lambda: run.levels_from(expander, level))


def check(
    program: ir.Program,
    options: CheckOptions,
    limits: Limits,
    initial: Iterable[State] | None = None,
) -> Result:
    """explorer.check for backend="vector" on a loaded program, once the registry's
    entry (vector.backend) has refused what this back end does not do."""
    return vector_bfs(make_search(program, options, limits), options, initial)
