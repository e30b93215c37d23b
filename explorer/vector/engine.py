"""The vector back end: breadth-first search over whole levels with numpy.

A level holds packed states (explorer.vector_pack), (words, n) arrays. It is expanded in
chunks: every action instance is applied to the whole chunk at once (by one generated
numpy kernel, explorer.vector_kernel; the interpreter explorer.vector_actions where it
cannot, or where an error happens), successors are fingerprinted together, deduplicated
against each other and against the visited set (hash tables in compiled code,
explorer.vector_visited), and the new ones are put in the
order the tuple back end discovers them (by parent, then edge). That order, and the
rules below, make this back end report what explorer.bfs reports: the same verdict,
distinct-state count, depth and trace.

  - a state whose expansion raises an error has no successors; the first such state of
    a level ends the search with the error of its first failing edge;
  - a new state's invariants are checked when it is stored;
  - after an invariant violation or a step error the rest of the level is only
    searched for a deadlock (a shorter trace);
  - a state without successors is a deadlock unless terminal or all processes are done.

Parent links are kept per level (index of the parent in the previous level, and the
edge); traces are rebuilt by re-executing the edges with the tuple model
(`Search.trace`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from mmcheck.explorer.core.limits import OUT_OF_MEMORY, Fault, Limits, out_of_memory
from mmcheck.explorer.core.model import State
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, VIOLATED, Result, Stats, Violation
from mmcheck.explorer.core.search import Search
from mmcheck.explorer.tuple.bfs import make_search
from mmcheck.explorer.tuple.store import collision_probability
from mmcheck.explorer.vector.actions import ActionCompiler, Expansion, Instance, apply_instance
from mmcheck.explorer.vector.bounds import check_int64
from mmcheck.explorer.vector.expr import Columns, ExprCompiler, Frame, Unsupported, truth
from mmcheck.explorer.vector.kernel import compile_kernels
from mmcheck.explorer.vector.pack import Layout
from mmcheck.explorer.vector.symmetry import BatchCanon
from mmcheck.explorer.vector.visited import VisitedSet, first_of_each, warm_up
from mmcheck.spec import ir
from mmcheck.spec.errors import UsageError

# States expanded together. Fingerprint mode, the one to choose for memory, takes half:
# a chunk's temporaries are most of what a search holds beyond its visited set and
# parent links (10^7 states of migrate_page: 15.4 bytes a state against 16.8, 12% slower).
CHUNK = 1 << 15


class VectorModel:
    """The program compiled for batches: instances in edge order, invariants,
    deadlock test, packing layout."""

    def __init__(self, search: Search) -> None:
        program = search.model.program
        self.program = program
        self.layout = Layout.of(program)
        self.exprs = ExprCompiler(program)
        try:
            self.instances: list[Instance] = ActionCompiler(program, self.exprs).instances(
                program.actions)
            self.invariants = [self.exprs.compile(inv.expr) for inv, _ in search.invariants]
            self.terminal = self.exprs.compile(program.terminal) if program.terminal else None
            check_int64(program)
        except Unsupported as e:
            raise UsageError(f"the vector back end cannot check this spec: {e}") from None
        if len(self.instances) != search.model.n_edges:
            raise UsageError("the vector back end numbers edges differently from the model")
        self.kernels = compile_kernels(program, self.layout, self.instances,
                                       [inv.expr for inv, _ in search.invariants])
        self.interpreted = [i for i in self.instances if i.k not in self.kernels.covered]
        self.pcs = [(slot, p.done) for p, _, slot in program.process_instances()]
        self.canon = BatchCanon(program) if search.canon is not None else None
        warm_up()

    def canonical(self, words: np.ndarray) -> np.ndarray:
        """Packed states replaced by their canonical forms (if the search uses symmetry)."""
        if self.canon is None or words.shape[1] == 0:
            return words
        return self.layout.pack(self.canon(self.layout.unpack(words)))

    def expand(self, words: np.ndarray, deadlock: bool, keep_words: bool) -> Expanded:
        """Apply every instance to a chunk of packed states and deduplicate the
        successors among themselves (the first discovery of each is kept). Invariants
        are left to check on the states not visited yet (VectorBFS.bad_new)."""
        n = words.shape[1]
        columns = Columns(self.layout, words)
        exp = Expansion(np.zeros(n, dtype=bool))
        fused: list[tuple[int, np.ndarray, np.ndarray]] = []
        redo = self.kernels.expand(words, exp.enabled, fused)
        for k, rows, succ in fused:
            exp.words.append(succ)
            exp.rows.append(rows)
            exp.inst.append(np.full(len(rows), k, dtype=np.int32))
        fused.clear()  # exp holds them now, and lets them go once joined
        for inst in self.interpreted + [self.instances[k] for k in redo]:
            apply_instance(inst, self.layout, columns, exp)
        succ, rows, inst = exp.successors(self.layout.nwords)
        succ = self.canonical(succ)
        err_row = min((r for r, _, _ in exp.events), default=n)
        dl_row = n
        stuck = np.flatnonzero(~exp.enabled)
        if deadlock and len(stuck):
            dl = stuck[self.stuck_is_deadlock(Frame(columns, stuck))]
            dl_row = int(dl[0]) if len(dl) else n
        gen = np.bincount(rows, minlength=n)
        order = rows.astype(np.int64) * len(self.instances) + inst
        del rows, inst, columns  # the unpacked slots: let them go before sorting
        uwords, fps, order = dedup(self.layout, succ, order, keep_words)
        return Expanded(n, uwords, fps, order, gen, err_row, dl_row)

    def bad_invariant(self, words: np.ndarray) -> np.ndarray:
        """Per state, whether some checked invariant fails (an error inside an invariant
        counts as failing: the tuple model reports the violation from its own check)."""
        if self.kernels.bad_invariant is not None:
            return self.kernels.bad_invariant(words)
        f = Frame(Columns(self.layout, words))
        bad = np.zeros(f.n, dtype=bool)
        for fn in self.invariants:
            v = truth(fn(f, None, {}))
            bad |= ~v if isinstance(v, np.ndarray) else not v
        return bad | f.failed()

    def stuck_is_deadlock(self, f: Frame) -> np.ndarray:
        """For states without successors: not terminal and not all processes done."""
        ok = np.zeros(f.n, dtype=bool)
        if self.terminal is not None:
            ok |= truth(self.terminal(f, None, {}))
        if self.pcs:
            done = np.ones(f.n, dtype=bool)
            for slot, d in self.pcs:
                done &= f.col(slot) == d
            ok |= done
        return ~ok


@dataclass
class Expanded:
    """A chunk of n states expanded. Its distinct successors, in the order they are
    first discovered: packed words, fingerprints, and that discovery (parent row in
    the chunk * edges + edge); the number of successors of each row; the first row
    whose expansion raises an error and the first row that is a deadlock (n where there
    is none)."""

    n: int
    words: np.ndarray
    fps: np.ndarray
    order: np.ndarray
    gen: np.ndarray
    err_row: int
    dl_row: int


def dedup(layout: Layout, words: np.ndarray, order: np.ndarray,
          keep_words: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct states of a batch (words, fingerprints) in order of first discovery,
    each with the smallest `order` (non-negative, distinct) it appears with. Without
    kept words two states are equal when their fingerprints are; with them the words
    are compared too."""
    fps = layout.fingerprints(words)
    reps, least = first_of_each(fps, order, words if keep_words else None)
    by_order = np.argsort(least)
    reps, least = reps[by_order], least[by_order]
    return np.take(words, reps, axis=1), fps[reps], least


class Level:
    """The packed states of a BFS level, kept as the pieces they were found in (no copy
    of the whole level is made)."""

    def __init__(self, pieces: list[np.ndarray]) -> None:
        self.pieces = pieces
        self.size = sum(p.shape[1] for p in pieces)

    def chunks(self, chunk: int) -> Iterator[np.ndarray]:
        """The states in order, `chunk` at a time; pieces are let go once used."""
        cut = Cutter(self.pieces, chunk, release=True)
        while (job := cut.take(True)) is not None:
            yield job[1]


class Cutter:
    """Cuts a level into chunks of `size` states, in order, while its pieces may still be
    appended (the last, shorter chunk only once the level is complete). With `release`,
    a piece is let go once it is cut."""

    def __init__(self, pieces: list[np.ndarray], size: int, release: bool = False) -> None:
        self.pieces = pieces
        self.size = size
        self.release = release
        self.at = (0, 0)  # (piece, offset) of the next state to hand out
        self.c0 = 0  # its index in the level

    def available(self) -> int:
        p, off = self.at
        return sum(x.shape[1] for x in self.pieces[p:]) - off

    def take(self, complete: bool) -> tuple[int, np.ndarray] | None:
        """(index of its first state, packed states) of the next chunk, or None."""
        have = self.available()
        if have == 0 or (have < self.size and not complete):
            return None
        want = min(self.size, have)
        parts: list[np.ndarray] = []
        p, off = self.at
        while want:
            piece = self.pieces[p]
            take = min(want, piece.shape[1] - off)
            parts.append(piece[:, off:off + take])
            want -= take
            off += take
            if off == piece.shape[1]:
                if self.release:
                    self.pieces[p] = piece[:, :0].copy()
                p, off = p + 1, 0
        self.at = (p, off)
        c0 = self.c0
        words = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
        self.c0 += words.shape[1]
        return c0, words


def local_chunks(vm: VectorModel, level: Level, nxt: list[np.ndarray], chunk: int,
                 deadlock: bool, keep_words: bool) -> Iterator[tuple[int, Expanded]]:
    """Expand a level chunk by chunk in this process (`nxt`, the next level as it grows,
    is for explorer.workers, which starts on it early)."""
    del nxt
    c0 = 0
    for words in level.chunks(chunk):
        yield c0, vm.expand(words, deadlock, keep_words)
        c0 += words.shape[1]


@dataclass
class Levels:
    """Parent links, level by level, one number per state: for a state of level d > 0,
    the index of its parent in level d-1 times `edges` plus the edge taken; for level 0
    the index of its initial state. 4 bytes a state where the numbers fit."""

    edges: int
    links: list[list[np.ndarray]] = field(default_factory=list)

    def start(self) -> None:
        self.links.append([])

    def add(self, link: np.ndarray) -> None:
        narrow = len(link) == 0 or int(link.max()) < 1 << 32
        self.links[-1].append(link.astype(np.uint32 if narrow else np.int64))

    def path(self, depth: int, index: int) -> tuple[int, list[int]]:
        edges = []
        for d in range(depth, 0, -1):
            index, e = divmod(_at(self.links[d], index), self.edges)
            edges.append(e)
        edges.reverse()
        return _at(self.links[0], index), edges


def _at(chunks: list[np.ndarray], i: int) -> int:
    for c in chunks:
        if i < len(c):
            return int(c[i])
        i -= len(c)
    raise IndexError(i)


class VectorBFS:
    def __init__(self, search: Search, initial: Iterable[State] | None, fingerprint: bool,
                 max_depth: int | None, max_states: int | None, chunk: int | None = None,
                 chunks: Callable[..., Iterator[tuple[int, Expanded]]] = local_chunks) -> None:
        if search.coverage is not None:
            raise UsageError("the vector back end does not record coverage: "
                             "use the tuple back end for --coverage")
        self.search = search
        self.vm = VectorModel(search)
        self.given = initial  # the states to start from; None: the spec's
        self.initial: list[State] = []
        self.fingerprint = fingerprint
        self.max_depth = max_depth
        self.max_states = max_states
        self.chunk = chunk or (CHUNK // 2 if fingerprint else CHUNK)
        self.chunks = chunks
        layout = self.vm.layout
        self.keep_words = not fingerprint and layout.nwords > 1
        self.visited = VisitedSet(layout.nwords, self.keep_words)
        self.levels = Levels(len(self.vm.instances))
        self.depth = 0
        self.queue = 0  # states left to expand, as of the last chunk taken in
        self.pending: Violation | None = None
        search.limits.restart()  # compiling the kernels is not part of the search

    # --- results
    def finish(self, verdict: str, violation: Violation | None = None,
               reason: str | None = None, queue: int = 0) -> Result:
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
        seen = self.visited.seen(ex.fps[cand], np.take(ex.words, cand, axis=1) if self.keep_words else None)
        return cand[~seen]

    def commit(self, ex: Expanded, new: np.ndarray) -> None:
        """Add the states `new` (indices from `fresh`) to the visited set."""
        self.visited.insert(ex.fps[new], np.take(ex.words, new, axis=1) if self.keep_words else None)

    # --- the search
    def run(self) -> Result:
        """The search; a worker's death or running out of memory ends it, INCOMPLETE."""
        try:
            return self._run()
        except Fault as e:
            reason = str(e)
        except (MemoryError, SystemError) as e:
            if not out_of_memory(e):
                raise
            reason = OUT_OF_MEMORY
        if self.pending is not None:
            return self.finish(VIOLATED, self.pending)
        return self.finish(INCOMPLETE, None, reason, self.queue)

    def _run(self) -> Result:
        search, stats, vm = self.search, self.search.stats, self.vm
        initial = search.initial_states(self.given)
        if isinstance(initial, Result):
            return initial
        self.initial = initial
        nslots = len(vm.program.slots)
        init = np.array(self.initial, dtype=np.int64).reshape(len(self.initial), nslots).T
        words = vm.canonical(vm.layout.pack(init))
        stats.generated += len(self.initial)
        self.levels.start()
        uwords, fps, order = dedup(vm.layout, words, np.arange(init.shape[1]), self.keep_words)
        ex = Expanded(0, uwords, fps, order, order[:0], 0, 0)
        new = self.fresh(ex)
        bad = np.flatnonzero(self.bad_new(ex, new))
        if len(bad):
            new = new[: bad[0] + 1]
        self.commit(ex, new)
        self.levels.add(ex.order[new])
        if len(bad):
            inv = self._failing_invariant(self.initial[int(ex.order[new[-1]])])
            trace = self.trace_to(0, len(new) - 1)
            return self.finish(VIOLATED, search.invariant_violation(inv, trace))
        level = Level([np.take(ex.words, new, axis=1)])
        truncated = False
        while level.size:
            at_bound = self.max_depth is not None and self.depth >= self.max_depth
            nxt: list[np.ndarray] = []
            self.levels.start()
            chunks = self.chunks(vm, level, nxt, self.chunk, search.deadlock, self.keep_words)
            for c0, ex in chunks:
                stats.distinct = len(self.visited)
                self.queue = level.size - c0 + sum(x.shape[1] for x in nxt)
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
            level = Level(nxt)
            if level.size:
                self.depth += 1
        if truncated:
            return self.finish(INCOMPLETE, None, f"max depth {self.max_depth} reached")
        return self.finish(HOLDS)

    def chunk_step(self, ex: Expanded, c0: int, at_bound: bool,
                   nxt: list[np.ndarray]) -> Result | bool:
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
            self.link(ex, new[:room], c0, nxt)
            stats.generated += int(ex.gen[: cut_row + 1].sum())
            queued = n - cut_row + sum(x.shape[1] for x in nxt)
            return self.finish(INCOMPLETE, None, f"max states {self.max_states} reached", queued)
        if bad_at is not None:
            new = new[: bad_at + 1]
            last_row = int(ex.order[new[-1]] // k)
            stats.generated += int(ex.gen[: last_row + 1].sum())
            index = sum(x.shape[1] for x in nxt) + bad_at
            self.link(ex, new, c0, nxt)
            state = tuple(int(x) for x in self.vm.layout.unpack(ex.words[:, new[-1:]])[:, 0])
            trace = self.trace_to(self.depth + 1, index)
            self.pending = search.invariant_violation(self._failing_invariant(state), trace)
            if last_row < dl_row < n:
                return self.deadlock(c0 + dl_row)
            return False
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

    def bad_new(self, ex: Expanded, new: np.ndarray) -> np.ndarray:
        """For the states `new` of ex: whether an invariant fails there."""
        if not self.vm.invariants:
            return np.zeros(len(new), dtype=bool)
        return self.vm.bad_invariant(np.take(ex.words, new, axis=1))

    def deadlock(self, index: int) -> Result:
        trace = self.trace_to(self.depth, index)
        return self.finish(VIOLATED, self.search.stuck_violation(trace))

    def link(self, ex: Expanded, new: np.ndarray, c0: int, nxt: list[np.ndarray]) -> None:
        """Store the states `new` of ex: visited set, parent links, next level."""
        k = len(self.vm.instances)
        self.commit(ex, new)
        self.levels.add(ex.order[new] + c0 * k)
        nxt.append(np.take(ex.words, new, axis=1))

    def _failing_invariant(self, state: State) -> ir.Invariant:
        inv = self.search.bad_invariant(state)
        if inv is None:
            raise RuntimeError("an invariant violation could not be reproduced")
        return inv


def vector_bfs(search: Search, initial: Iterable[State] | None, *, fingerprint: bool = False,
               max_depth: int | None = None, max_states: int | None = None,
               workers: int = 1) -> Result:
    """Exhaustive BFS like explorer.bfs.bfs, over batches of states."""
    run = VectorBFS(search, initial, fingerprint, max_depth, max_states)
    search.stats.workers = workers
    with search.limits.catching_signals():
        if workers <= 1:
            return run.run()
        from mmcheck.explorer.vector.workers import WorkerPool  # it imports this module

        with WorkerPool(run.vm, search.deadlock, run.keep_words, workers) as pool:
            run.chunks = pool.chunks
            return run.run()



def check(program: ir.Program, *, invariants: Iterable[str] | None = None,
          deadlock: bool = True, max_depth: int | None = None, max_states: int | None = None,
          time_limit: float | None = None, memory_limit: float | None = None,
          fingerprint: bool = False, symmetry: bool = True, simulate: int | None = None,
          seed: int | None = None, depth: int | None = None, coverage: bool = False,
          workers: int | None = None, initial: Iterable[State] | None = None,
          progress: Callable[[Stats], None] | None = None,
          limits: Limits | None = None) -> Result:
    """explorer.check for backend="vector" (same arguments, same Result); `limits`, if
    given, replaces the Limits made of time_limit, memory_limit and progress."""
    from mmcheck.explorer.vector.workers import default_workers

    if simulate is not None or seed is not None or depth is not None:
        raise UsageError("the vector back end explores exhaustively: --simulate, --seed and "
                         "--depth need the tuple back end")
    if coverage:
        raise UsageError("the vector back end does not record coverage: use the tuple back end")
    search = make_search(program, invariants=invariants, deadlock=deadlock,
                         time_limit=time_limit, memory_limit=memory_limit, progress=progress,
                         symmetry=symmetry, backend="vector",
                         bounds={"max-depth": max_depth, "max-states": max_states},
                         limits=limits)
    return vector_bfs(search, initial, fingerprint=fingerprint, max_depth=max_depth,
                      max_states=max_states, workers=workers or default_workers())
