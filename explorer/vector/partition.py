"""The visited set partitioned among owners: each of `parts` owners (forked workers,
explorer.vector.workers; Ray actors) owns the states whose fingerprints `owner_of` maps
to it, stores them, checks them and expands them. This module is the part of it that
does not depend on how owners talk: the partition function, one owner's steps
(`Partition`), the merge of their sorted keys into the level's global order (`merge`),
and the protocol a transport implements (`Owners`), which the engine drives
(explorer.vector.engine.VectorBFS.run_owners).

A level is searched in synchronous rounds, one per slice of the level (its states with
global indices in [lo, hi), in order: the engine's slices bound the successors in flight,
which are about seven times as many as the states expanded):
  1. every owner adopts the global indices of the states it owns of the level (their
     places in the level, `Partition.adopt`, at the first slice) and expands those of
     the slice (`Partition.expand`):
     each successor, with its key = parent's global index * edges + edge, fingerprint
     and packed words, goes to its owner (an `Outgoing` per destination); the owner
     reports its first state whose expansion raises, its first deadlock, and the
     successors it generated;
  2. every owner takes in all the blocks sent to it (`Partition.receive`): it keeps for
     each state the SMALLEST key it was discovered with (its first discovery in the
     single-process order: parent, then edge), drops those in its visited set, stores the
     others, checks their invariants, and reports their keys, sorted, with the key of
     the first whose check fails and, per cover asked for, the first key where it holds;
  3. the coordinator merges the sorted keys (`merge`): the merged array is the slice's
     part of the next level in the order one process finds it, and its parent links;
     the positions give each owner the global indices of its new states (round 1 of
     the next level). A state found again in a later slice of the level is visited by
     then, and its key there is larger: it keeps the first slice's, its smallest.
     Meanwhile a forked worker expands the first chunk of its new states
     (`Partition.prefetch`): only the successors' keys need the global indices.

Contract:
  - ordering: everything an owner reports is in key order, and keys are distinct
    across owners (a (parent, edge) pair has one successor), so the merge restores the
    single process's discovery order exactly: counts, verdicts and traces are the same
    as explorer.vector.engine's with one process, however the levels are sliced. The
    coordinator decides where a level is cut (the first state that raises or is a deadlock, a violation, --max-states)
    from the owners' reports alone: an owner stores states past such a cut, which is
    harmless because the search ends with that level (its count is the coordinator's);
  - cost per state: an owner keeps its visited set (explorer.vector.visited) and the
    words of the states it owns of the next level and of the current one not expanded
    yet (8 bytes a word; each piece of a level, as received, is let go once expanded),
    8 bytes a state of the current level (successors generated) and 8 a global index,
    the successors of a slice, and a chunk's expansion made ahead (prefetch); a
    successor crosses once, from the owner expanding it to the owner of its
    fingerprint, as 8 x (words + 2) bytes; the coordinator gets 8 bytes (a key) per new
    state and sends back 8 (its global index);
  - safety: a Partition belongs to one thread; owners share nothing but the blocks a
    transport moves between them.

What a transport (an `Owners`) must do: keep one Partition per owner, built after the
VectorModel is compiled (a forked worker has its copy; an actor builds its own); move
each owner's `Outgoing` for j to owner j unchanged (its own too), and hand owner j the
blocks from every owner, in any order, in one `receive` call per level; return the
reports in owner order; end every owner's process or actor on `close`, however the run
ends, and turn an owner's death into explorer.core.limits.Fault ("worker N died ...",
N from 1) and its MemoryError into MemoryError.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from mmcheck.explorer.vector.level import Cutter, Expanded
from mmcheck.explorer.vector.model import VectorModel
from mmcheck.explorer.vector.visited import VisitedSet, first_of_each, route

# The owner of a fingerprint is read from its bits from OWNER_SHIFT up. The visited set
# indexes its directory with the top bits (at most 31 below 2^36 states an owner) and its
# hash tables, like the dedup of a batch, with the low bits (tables below 2^32 entries):
# an owner's fingerprints are spread as evenly over both as the whole set's.
OWNER_SHIFT = np.uint64(32)


def owner_of(fps: np.ndarray, parts: int) -> np.ndarray:
    """The owner (0 to parts - 1, int64) of each fingerprint (uint64)."""
    return ((fps >> OWNER_SHIFT) % np.uint64(parts)).astype(np.int64)


@dataclass
class Outgoing:
    """Successors bound for one owner, in key order: keys (int64, parent's global index *
    edges + edge), fingerprints (uint64) and packed words ((nwords, m) uint64)."""

    keys: np.ndarray
    fps: np.ndarray
    words: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class LevelExpansion:
    """What one owner's expansion of its states of a slice of a level gives: the
    successors for each owner (by destination), the global index of its first state
    whose expansion raises and of its first deadlock (None where there is none), the
    number of successors it generated (those a constraint cuts included) and of states
    it expanded."""

    outgoing: list[Outgoing]
    error: int | None
    deadlock: int | None
    generated: int
    expanded: int = 0


@dataclass
class NewStates:
    """One owner's new states of a level: their keys, sorted; the key of the first
    whose check fails (an invariant, or a constraint's evaluation), None if none; and
    for each cover asked for, the key of the first where it holds."""

    keys: np.ndarray
    bad: int | None = None
    covered: dict[int, int] = field(default_factory=dict)


class Partition:
    """One owner: its visited set, and its states of the current level (packed words
    and global indices, in level order) and of the next (in key order, until
    adopted)."""

    def __init__(
        self,
        vm: VectorModel,
        deadlock: bool,
        keep_words: bool,
        index: int,
        parts: int,
        chunk: int,
    ) -> None:
        self.vm = vm
        self.deadlock = deadlock
        self.keep_words = keep_words
        self.index = index
        self.parts = parts
        self.chunk = chunk
        nwords = vm.layout.nwords
        self.visited = VisitedSet(nwords, keep_words)
        # the current level's states, in pieces let go once expanded
        self.level = Cutter([np.empty((nwords, 0), np.uint64)], chunk, release=True)
        self.at = np.empty(0, np.int64)  # their global indices, increasing
        self.gen = np.empty(0, np.int64)  # successors generated per state (0: not expanded)
        self.new: list[np.ndarray] = []  # the next level's, in key order, as received
        self.ahead: Expanded | None = None  # the first chunk of `new`, expanded (prefetch)
        self.early: Expanded | None = None  # that of the current level, until expanded

    def __len__(self) -> int:
        """States stored (past a level's cut too)."""
        return len(self.visited)

    def adopt(self, global_index: np.ndarray) -> None:
        """The new states of the `receive`s since the last adopt (in key order) make up the
        current level, at these global indices (increasing, int64)."""
        new, self.new = self.new, []
        if len(global_index) != sum(w.shape[1] for w in new):
            raise ValueError("adopt: one global index per new state")
        self.level = Cutter(new, self.chunk, release=True)
        self.early, self.ahead = self.ahead, None
        self.at = global_index.astype(np.int64, copy=False)
        self.gen = np.zeros(len(self.at), np.int64)

    def expand(self, upto: int | None = None) -> LevelExpansion:
        """Expand the current level's states not expanded yet whose global index is below
        `upto` (None: all), chunk by chunk, and route the successors."""
        vm, k, parts = self.vm, len(self.vm.instances), self.parts
        lo = self.level.c0
        hi = len(self.at) if upto is None else int(np.searchsorted(self.at, upto))
        error = deadlock = None
        pieces: list[list[Outgoing]] = [[] for _ in range(parts)]
        early, self.early = self.early, None
        while self.level.c0 < hi:
            c0, ex = self._next_chunk(hi, early)
            early = None
            self.gen[c0 : c0 + ex.n] = ex.gen
            if error is None and ex.err_row < ex.n:
                error = int(self.at[c0 + ex.err_row])
            if deadlock is None and ex.dl_row < ex.n:
                deadlock = int(self.at[c0 + ex.dl_row])
            # ex.order is row * k + edge, increasing: keys stay in order
            if parts == 1:
                keys = self.at[c0 + ex.order // k] * k + ex.order % k
                pieces[0].append(Outgoing(keys, ex.fps, ex.words))
                continue
            at = self.at[c0 : c0 + ex.n]
            starts, keys, fps, words = route(at, ex.order, k, ex.fps, ex.words, parts, OWNER_SHIFT)
            for j, (a, b) in enumerate(itertools.pairwise(starts)):
                pieces[j].append(Outgoing(keys[a:b], fps[a:b], words[:, a:b]))
        return LevelExpansion(
            [_join(p, vm.layout.nwords) for p in pieces],
            error,
            deadlock,
            int(self.gen[lo:hi].sum()),
            max(hi - lo, 0),
        )

    def _next_chunk(self, hi: int, early: Expanded | None) -> tuple[int, Expanded]:
        """The next chunk of the current level before its state `hi` (this owner's
        index), expanded: the one expanded ahead (`early`, the level's first chunk)
        where it is that chunk. Where the level's first slice ends inside that chunk
        (slices shorter than the owners' first chunks together: tests, or more owners
        than SLICE / CHUNK) it is dropped and its states expanded again as they come:
        work lost, never a state."""
        if early is not None and self.level.c0 == 0 and early.n <= hi:
            job = self.level.take(True, early.n)
            assert job is not None and job[1].shape[1] == early.n
            return 0, early
        job = self.level.take(True, hi - self.level.c0)
        assert job is not None  # states below hi are left
        return job[0], self.vm.expand(job[1], self.deadlock, self.keep_words)

    def prefetch(self) -> None:
        """Expand the first chunk of the next level as received so far, unless done: the
        first `expand` after `adopt` takes it. A worker does this while the coordinator
        merges the owners' keys and before it sends their global indices, which only
        the keys of the successors need. Out of memory, it is left to `expand`."""
        if self.ahead is not None:
            return
        job = Cutter(self.new, self.chunk).take(True)
        if job is None:
            return
        with contextlib.suppress(MemoryError):
            self.ahead = self.vm.expand(job[1], self.deadlock, self.keep_words)

    def generated_before(self, index: int) -> int:
        """Successors generated by this owner's states of the current level whose global
        index is below `index` (of those expanded so far)."""
        return int(self.gen[: np.searchsorted(self.at, index)].sum())

    def receive(self, blocks: Sequence[Outgoing], covers: Sequence[int] = ()) -> NewStates:
        """Take in every successor sent to this owner for the level (from all owners,
        each block in key order, the blocks in any order): each state with its smallest
        key, those not visited stored, in key order, and checked; `covers`: the covers
        to evaluate on them."""
        keep = self.keep_words
        fresh = []
        for b in blocks:  # the visited ones dropped first: most successors are
            new = np.flatnonzero(~self.visited.contains_block(b.fps, b.words if keep else None))
            fresh.append(Outgoing(b.keys[new], b.fps[new], np.take(b.words, new, axis=1)))
        got = _join(fresh, self.vm.layout.nwords)
        del fresh
        # sorted runs, one a block: a stable sort merges them in about linear time
        by_key = np.argsort(got.keys, kind="stable")
        keys, fps = got.keys[by_key], got.fps[by_key]
        words = np.take(got.words, by_key, axis=1)
        del got, by_key
        # in key order, a state's first column holds its smallest key, and the first
        # columns come in key order
        firsts, _ = first_of_each(fps, keys, words if keep else None)
        keys, fps, words = keys[firsts], fps[firsts], np.take(words, firsts, axis=1)
        self.visited.insert(fps, words if keep else None)
        self.new.append(words)
        out = NewStates(keys)
        if len(keys) and (self.vm.invariants or self.vm.constraints):
            bad = np.flatnonzero(self.vm.bad_invariant(words))
            if len(bad):
                out.bad = int(keys[bad[0]])
        for j in covers:
            at = self.vm.first_covered(j, words) if len(keys) else None
            if at is not None:
                out.covered[j] = int(keys[at])
        return out


def _join(blocks: list[Outgoing], nwords: int) -> Outgoing:
    if len(blocks) == 1:
        return blocks[0]
    if not blocks:
        return Outgoing(
            np.empty(0, np.int64), np.empty(0, np.uint64), np.empty((nwords, 0), np.uint64)
        )
    return Outgoing(
        np.concatenate([b.keys for b in blocks]),
        np.concatenate([b.fps for b in blocks]),
        np.concatenate([b.words for b in blocks], axis=1),
    )


def merge(keys: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The owners' sorted, pairwise disjoint key arrays merged into one sorted int64
    array (the level in global order: its parent links), and for each owner the global
    indices (int64) of its keys in it."""
    sizes = [len(k) for k in keys]
    if not sizes:
        return np.empty(0, np.int64), []
    allkeys = np.concatenate([np.asarray(k, np.int64) for k in keys])
    order = np.argsort(allkeys, kind="stable")
    merged = allkeys[order]
    where = np.empty(len(order), np.int64)
    where[order] = np.arange(len(order), dtype=np.int64)
    return merged, np.split(where, np.cumsum(sizes)[:-1])


class Owners(Protocol):
    """A transport: `parts` owners, each a Partition, in processes or actors (see the
    module docstring for what it must do). Reports come back in owner order."""

    parts: int

    def seed(self, blocks: list[Outgoing], covers: Sequence[int]) -> list[NewStates]:
        """Owner j receives blocks[j] (initial states, keyed by their index among the
        initial states) as its first level's successors (`receive`)."""
        ...

    def expand(self, adopt: list[np.ndarray] | None, upto: int | None) -> list[LevelExpansion]:
        """Owner j adopts the global indices adopt[j] (unless None: the level's next
        slice), expands its states not expanded yet below global index `upto` (None:
        all), and its successors are moved to their owners; the reports keep no
        successors (outgoing empty)."""
        ...

    def receive(self, covers: Sequence[int]) -> list[NewStates]:
        """Every owner takes in the successors moved to it by the last `expand`."""
        ...

    def generated_before(self, index: int) -> int:
        """The successors generated by states of the current level below `index`, over
        all owners."""
        ...

    def stored(self) -> list[int]:
        """The states each owner stores."""
        ...

    def close(self) -> None: ...
