"""The visited set partitioned among owners: each of `parts` owners (forked workers,
explorer.vector.workers; Ray actors) owns the states whose fingerprints `owner_of` maps
to it, stores them and checks them, and expands a share of each level. This module is
the part of it that does not depend on how owners talk: the partition functions, one
owner's steps (`Partition`), the merge of their sorted keys into the level's global
order (`merge`), and the protocol a transport implements (`Owners`), which the engine
drives (explorer.vector.engine.VectorBFS.run_owners).

A level is searched in synchronous rounds, one per slice of the level (its states with
global indices in [lo, hi), in order: the engine's slices bound the successors in flight,
which are about seven times as many as the states expanded):
  0. at the first slice, every owner finds the global index of each of its states of
     the level, its rank among every owner's keys of the level (`ranks`: the transport
     has moved the other owners' keys to it), and hands each, with its global index, to
     the owner that expands it (`Partition.hand_off`, a `Handed` per destination):
     `expander_of` cuts every slice in `parts` ranges of consecutive states, one an
     owner. Each owner merges those handed to it into level order (`Partition.adopt`).
     Neighbours in a level share successors far more often than states drawn by
     fingerprint: expanded together, a chunk deduplicates them among themselves (on
     migrate_page PTES=2 GUPS=2 ZAPS=2, 3.9 million successors leave the chunks of
     consecutive states against 5.9 million of states drawn by owner);
  1. every owner expands its states of the slice (`Partition.expand`): each successor,
     with its key = parent's global index * edges + edge, fingerprint and packed words,
     goes to its owner (an `Outgoing` per destination); the owner reports its first
     state whose expansion raises, its first deadlock, and the successors it generated;
  2. every owner takes in all the blocks sent to it (`Partition.receive`): it keeps for
     each state the SMALLEST key it was discovered with (its first discovery in the
     single-process order: parent, then edge), drops those in its visited set, stores the
     others, checks their invariants, and reports their keys, sorted, with the key of
     the first whose check fails and, per cover asked for, the first key where it holds;
  3. the coordinator merges the sorted keys (`merge`): the merged array is the slice's
     part of the next level in the order one process finds it, and its parent links.
     Where nothing cuts the slice it does so while the owners go on to the next round
     (the engine's `meanwhile`): the owners need only the counts to go on, as they find
     their global indices themselves. A state found again in a later slice of the level
     is visited by then, and its key there is larger: it keeps the first slice's, its
     smallest; so a level's keys, slice after slice, are in order.

Contract:
  - ordering: everything an owner reports is in key order, and keys are distinct
    across owners (a (parent, edge) pair has one successor), so the merge restores the
    single process's discovery order exactly, and an owner's rank of a key among every
    owner's is its state's global index: counts, verdicts and traces are the same
    as explorer.vector.engine's with one process, however the levels are sliced. The
    coordinator decides where a level is cut (the first state that raises or is a
    deadlock, a violation, --max-states) from the owners' reports alone: an owner
    stores states past such a cut, which is harmless because the search ends with that
    level (its count is the coordinator's);
  - cost per state: an owner keeps its visited set (explorer.vector.visited), the words
    of the states it owns of the next level and of those it expands of the current one
    not expanded yet (8 bytes a word; the current level's in a piece a slice, each let
    go once expanded; while it adopts them, those handed to it are held twice: as
    handed and merged), 16 bytes a state it expands (its global index, the successors
    it generated), and the successors of a slice; a state of a level crosses at most once
    to the owner expanding it, as 8 x (words + 1) bytes, and a successor at most once,
    from the owner expanding it to the owner of its fingerprint, as 8 x (words + 2)
    bytes; the coordinator gets 8 bytes (a key) per new state, and so does every other
    owner, which keeps them until the hand-off (8 bytes a state of the next level);
  - safety: a Partition belongs to one thread; owners share nothing but the blocks a
    transport moves between them.

What a transport (an `Owners`) must do: keep one Partition per owner, built after the
VectorModel is compiled (a forked worker has its copy; an actor builds its own); move
each owner's `Handed` and `Outgoing` for j to owner j unchanged (its own too), and hand
owner j the blocks from every owner, in any order, in one `adopt` call per level and
one `receive` call per slice; move the keys each owner reports (`seed`, `receive`) to
every other owner, for its `hand_off` (the other owners' keys of the level, each
owner's in order); run the coordinator's `meanwhile` while the owners expand; return
the reports in owner order; end every owner's process or actor on `close`, however the
run ends, and turn an owner's death into explorer.core.limits.Fault ("worker N died
...", N from 1) and its MemoryError into MemoryError.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Protocol, TypeVar

import numpy as np

from mmcheck.explorer.vector.level import Cutter
from mmcheck.explorer.vector.model import VectorModel
from mmcheck.explorer.vector.visited import VisitedSet, add_below, first_of_each, route

# The owner of a fingerprint is read from its bits from OWNER_SHIFT up. The visited set
# indexes its directory with the top bits (at most 31 below 2^36 states an owner) and its
# hash tables, like the dedup of a batch, with the low bits (tables below 2^32 entries):
# an owner's fingerprints are spread as evenly over both as the whole set's.
OWNER_SHIFT = np.uint64(32)


def owner_of(fps: np.ndarray, parts: int) -> np.ndarray:
    """The owner (0 to parts - 1, int64) of each fingerprint (uint64)."""
    return ((fps >> OWNER_SHIFT) % np.uint64(parts)).astype(np.int64)


def expander_of(index: np.ndarray, size: int, slice_: int, parts: int) -> np.ndarray:
    """The owner (int64) that expands each state (by global index, int64) of a level of
    `size` states cut in slices of `slice_`: each slice is cut in `parts` ranges of
    consecutive states, owner j's the j-th, so that a chunk holds neighbours in the
    level, whose successors it deduplicates among themselves far more often than those
    of states drawn by fingerprint (and every owner has a share of every slice)."""
    lo = index // slice_ * slice_
    return (index - lo) * parts // (np.minimum(lo + slice_, size) - lo)


def ranks(keys: np.ndarray, others: Sequence[np.ndarray]) -> np.ndarray:
    """The global indices (int64) of an owner's states of a level, from their keys
    (sorted) and the other owners' keys of the level (`others`: sorted pieces, in any
    number and order, disjoint from them): each key's rank among all."""
    at = np.arange(len(keys), dtype=np.int64)
    for other in others:
        add_below(at, keys, other)
    return at


@dataclass
class Handed:
    """States of a level bound for the owner that expands them: their global indices
    (int64, increasing) and packed words ((nwords, m) uint64)."""

    at: np.ndarray
    words: np.ndarray

    def __len__(self) -> int:
        return len(self.at)

    @staticmethod
    def empty(nwords: int) -> Handed:
        return Handed(np.empty(0, np.int64), np.empty((nwords, 0), np.uint64))


@dataclass
class Outgoing:
    """Successors bound for one owner, in key order: keys (int64, parent's global index *
    edges + edge), fingerprints (uint64) and packed words ((nwords, m) uint64)."""

    keys: np.ndarray
    fps: np.ndarray
    words: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)

    @staticmethod
    def empty(nwords: int) -> Outgoing:
        return Outgoing(
            np.empty(0, np.int64), np.empty(0, np.uint64), np.empty((nwords, 0), np.uint64)
        )


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
    """One owner: its visited set; the states of the next level it owns (their words
    and keys, in key order, until handed off); and the states of the current level it
    expands (packed words and global indices, in level order)."""

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
        self.keys: list[np.ndarray] = []  # and their keys

    def __len__(self) -> int:
        """States stored (past a level's cut too)."""
        return len(self.visited)

    def hand_off(self, others: Sequence[np.ndarray], slice_: int) -> list[Handed]:
        """The new states of the `receive`s since the last hand-off, at their global
        indices among the other owners' (`others`: their keys of the level, see `ranks`)
        in a level cut in slices of `slice_`: each, with its global index, for the owner
        that expands it (`expander_of`), in order."""
        new, self.new = self.new, []
        keys, self.keys = self.keys, []
        global_index = ranks(np.concatenate(keys) if keys else np.empty(0, np.int64), others)
        size = len(global_index) + sum(len(k) for k in others)
        dest = expander_of(global_index, size, slice_, self.parts)
        out: list[list[Handed]] = [[] for _ in range(self.parts)]
        c0 = 0
        for words in new:  # piece by piece: no copy of the whole is made
            at, d = global_index[c0 : c0 + words.shape[1]], dest[c0 : c0 + words.shape[1]]
            c0 += words.shape[1]
            for j in range(self.parts):
                mine = np.flatnonzero(d == j)
                out[j].append(Handed(at[mine], np.take(words, mine, axis=1)))
        nwords = self.vm.layout.nwords
        return [_join(h, Handed.empty(nwords)) for h in out]

    def adopt(self, blocks: Sequence[Handed], slice_: int) -> None:
        """The states handed to this owner by every owner (each block in global order,
        the blocks in any order) make up the current level it expands: merged into
        global order a slice (of `slice_` states) at a time, a piece each."""
        nwords = self.vm.layout.nwords
        ats = [b.at for b in blocks]
        pos = [0] * len(blocks)
        pieces, at = [], []
        while heads := [int(a[p]) for a, p in zip(ats, pos) if p < len(a)]:
            hi = (min(heads) // slice_ + 1) * slice_  # the end of the first slice left
            ends = [int(np.searchsorted(a, hi)) for a in ats]
            got = _join(
                [Handed(b.at[x:y], b.words[:, x:y]) for b, x, y in zip(blocks, pos, ends)],
                Handed.empty(nwords),
            )
            pos = ends
            by_index = np.argsort(got.at, kind="stable")  # sorted runs: about linear time
            at.append(got.at[by_index])
            pieces.append(np.take(got.words, by_index, axis=1))
        self.level = Cutter(pieces or [np.empty((nwords, 0), np.uint64)], self.chunk, True)
        self.at = np.concatenate(at) if at else np.empty(0, np.int64)
        self.gen = np.zeros(len(self.at), np.int64)

    def expand(self, upto: int | None = None) -> LevelExpansion:
        """Expand the current level's states not expanded yet whose global index is below
        `upto` (None: all), chunk by chunk, and route the successors."""
        vm, k, parts = self.vm, len(self.vm.instances), self.parts
        lo = self.level.c0
        hi = len(self.at) if upto is None else int(np.searchsorted(self.at, upto))
        error = deadlock = None
        pieces: list[list[Outgoing]] = [[] for _ in range(parts)]
        while self.level.c0 < hi:
            job = self.level.take(True, hi - self.level.c0)
            assert job is not None  # states below hi are left
            c0, ex = job[0], vm.expand(job[1], self.deadlock, self.keep_words)
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
            [_join(p, Outgoing.empty(vm.layout.nwords)) for p in pieces],
            error,
            deadlock,
            int(self.gen[lo:hi].sum()),
            max(hi - lo, 0),
        )

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
        got = _join(fresh, Outgoing.empty(self.vm.layout.nwords))
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
        self.keys.append(keys)
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


Block = TypeVar("Block", Outgoing, Handed)


def _join(blocks: list[Block], empty: Block) -> Block:
    """The blocks as one (`empty` where there are none): each array concatenated, the
    packed words along their columns."""
    if len(blocks) == 1:
        return blocks[0]
    if not blocks:
        return empty
    arrays = [getattr(empty, f.name) for f in fields(empty)]
    return type(empty)(
        *(
            np.concatenate([getattr(b, f.name) for b in blocks], axis=x.ndim - 1)
            for f, x in zip(fields(empty), arrays)
        )
    )


def merge(keys: Sequence[np.ndarray]) -> np.ndarray:
    """The owners' sorted, pairwise disjoint key arrays merged into one sorted int64
    array: the level (or a slice's part of it) in global order, its parent links."""
    if not keys:
        return np.empty(0, np.int64)
    # sorted runs, one an owner: a stable sort merges them in about linear time
    return np.sort(np.concatenate([np.asarray(k, np.int64) for k in keys]), kind="stable")


class Owners(Protocol):
    """A transport: `parts` owners, each a Partition, in processes or actors (see the
    module docstring for what it must do). Reports come back in owner order."""

    parts: int

    def seed(self, blocks: list[Outgoing], covers: Sequence[int]) -> list[NewStates]:
        """Owner j receives blocks[j] (initial states, keyed by their index among the
        initial states) as its first level's successors (`receive`)."""
        ...

    def expand(self, first: bool, upto: int, meanwhile: Callable[[], None]) -> list[LevelExpansion]:
        """At a level's first slice (`first`), every owner hands off its new states of
        the level (`hand_off`, with the other owners' keys of the level; every slice is
        as long as the first, which ends at `upto`) and adopts those handed to it. Then
        every owner expands its states not expanded yet below global index `upto`, and
        its successors are moved to their owners; the reports keep no successors
        (outgoing empty). `meanwhile` is the coordinator's own work, run once while the
        owners expand (it does not call them)."""
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
