"""The storage of the vector back end's search: BFS levels of packed states, expanded
chunks, and parent links.

A Level holds packed states, (words, n) uint64 arrays, as the pieces they were stored
in; an Expanded is what expanding one chunk of a level gives (its distinct successors
and where each was first discovered); `dedup` makes one from a batch of successors;
a Cutter cuts a level into chunks, possibly while the level still grows; Levels keeps
the parent links of every level, to rebuild traces.

Contract:
  - order: a Level keeps its states in the order they were appended, and a Cutter hands
    them out in that order, chunk after chunk; `dedup` keeps each distinct state once,
    ordered by its first discovery (smallest order: parent row, then edge);
  - cost per state: a Level 8 bytes a word of the packed state (the current level and
    the next one are held); Levels 4 bytes (5 in a level whose links exceed 32 bits, 8
    past 40), kept for the whole search; an Expanded 8 x (words + 2) bytes a distinct successor,
    and 8 bytes a state of its chunk;
  - safety: none of these is thread-safe or shared between processes; they live in the
    main process (worker processes get copies of chunks, explorer.vector.workers).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from mmcheck.explorer.vector.pack import Layout
from mmcheck.explorer.vector.visited import first_of_each


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
    # with coverage recorded: the chunk's states, and every successor's discovery
    # (row * edges + edge) before constraints cut and dedup remove any, in that order
    parents: np.ndarray | None = None
    edges: np.ndarray | None = None


def dedup(
    layout: Layout, words: np.ndarray, order: np.ndarray, keep_words: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    of the whole level is made); pieces are appended while the level is being found."""

    def __init__(self, pieces: list[np.ndarray] | None = None) -> None:
        self.pieces = [] if pieces is None else pieces
        self.size = sum(p.shape[1] for p in self.pieces)

    def append(self, piece: np.ndarray) -> None:
        self.pieces.append(piece)
        self.size += piece.shape[1]

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

    def take(self, complete: bool, most: int | None = None) -> tuple[int, np.ndarray] | None:
        """(index of its first state, packed states) of the next chunk (of at most `most`
        states), or None."""
        have = self.available()
        if have == 0 or (have < self.size and not complete):
            return None
        want = min(self.size, have, self.size if most is None else most)
        parts: list[np.ndarray] = []
        p, off = self.at
        while want:
            piece = self.pieces[p]
            take = min(want, piece.shape[1] - off)
            parts.append(piece[:, off : off + take])
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


@dataclass
class Levels:
    """Parent links, level by level, one number per state: for a state of level d > 0,
    the index of its parent in level d-1 times `edges` plus the edge taken; for level 0
    the index of its initial state. A piece of links is kept in 4 bytes a state where
    its numbers fit in 32 bits, in 5 (a uint32 of the low bits and a uint8 of the high)
    where they fit in 40, else in 8: a level of 10^8 states with 40 edges has numbers
    past 2^32, and 10^9 states are 4 to 5 GB of links, not 8."""

    edges: int
    links: list[list[tuple[np.ndarray, np.ndarray | None]]] = field(default_factory=list)

    def start(self) -> None:
        self.links.append([])

    def add(self, link: np.ndarray, depth: int = -1) -> None:
        """Append a piece of links to level `depth` (the last started)."""
        top = int(link.max()) if len(link) else 0
        if top < 1 << 32:
            piece = (link.astype(np.uint32), None)
        elif top < 1 << 40:
            link = link.astype(np.int64, copy=False)
            piece = ((link & 0xFFFFFFFF).astype(np.uint32), (link >> 32).astype(np.uint8))
        else:
            piece = (link.astype(np.int64), None)
        self.links[depth].append(piece)

    def path(self, depth: int, index: int) -> tuple[int, list[int]]:
        edges = []
        for d in range(depth, 0, -1):
            index, e = divmod(_at(self.links[d], index), self.edges)
            edges.append(e)
        edges.reverse()
        return _at(self.links[0], index), edges


def _at(pieces: list[tuple[np.ndarray, np.ndarray | None]], i: int) -> int:
    for low, high in pieces:
        if i < len(low):
            return int(low[i]) if high is None else int(high[i]) << 32 | int(low[i])
        i -= len(low)
    raise IndexError(i)
