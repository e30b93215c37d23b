"""The visited set and the parent links of a search (the tuple back end's implementation
of the protocol explorer.core.visited.Visited, with states for keys).

States get consecutive ids in discovery order (so a BFS level is a range of ids). For
each id the store keeps its parent id and the edge (explorer.core.model) that led to it;
a root keeps parent -1 and the index of its initial state instead of an edge. Traces are
rebuilt by re-executing those edges from the initial state, never by storing states
twice.

Exact mode keeps the states themselves in a set (a tuple of n small ints: about
56 + 8n bytes plus ~30 bytes of set slot). Fingerprint mode keeps only the 64-bit hash
of each state (Model.fingerprint): a Python int in a set, about 32 bytes for the int
plus ~30 for the slot. Both keep 16 bytes of parent link per state (two int64 arrays). Two distinct
states with the same fingerprint make the search skip one of them silently; the
chance of that is bounded by `collision_probability`. A lookup
or an insertion costs one hash of the state (and one of the fingerprint function), in
amortised constant time.

Not safe to share: one search owns its store, in one thread. `put_block` is `add` for a
block; the BFS of explorer.tuple.bfs inlines `add` in its loop over successors instead
(a method call per successor costs more than the set operation itself).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence


class Store:
    def __init__(self, fingerprint: Callable[[tuple[int, ...]], int] | None = None) -> None:
        """Exact mode, or fingerprint mode with the model's fingerprint function."""
        self.fingerprint = fingerprint
        self.seen: set = set()  # states, or their 64-bit fingerprints
        self.parents = array("q")
        self.edges = array("q")

    def __len__(self) -> int:
        return len(self.parents)

    def add(self, state: tuple[int, ...], parent: int, edge: int) -> int:
        """The new id of `state`, or -1 if it was seen before."""
        k = self.fingerprint(state) if self.fingerprint else state
        if k in self.seen:
            return -1
        self.seen.add(k)
        self.parents.append(parent)
        self.edges.append(edge)
        return len(self.parents) - 1

    def put_block(
        self,
        states: Sequence[tuple[int, ...]],
        parent: int = -1,
        edges: Sequence[int] | None = None,
    ) -> list[bool]:
        """Which of `states` were new. Each new one is stored, in block order, with parent
        `parent` and its edge in `edges` (by default its place in the block: as a root
        keeps the index of its initial state)."""
        links = range(len(states)) if edges is None else edges
        return [self.add(s, parent, e) >= 0 for s, e in zip(states, links)]

    def contains_block(self, states: Sequence[tuple[int, ...]]) -> list[bool]:
        """Which of `states` were seen."""
        seen, fingerprint = self.seen, self.fingerprint
        return [(fingerprint(s) if fingerprint else s) in seen for s in states]

    def path(self, sid: int) -> tuple[int, list[int]]:
        """(index of the initial state, edges from it) that lead to state `sid`."""
        edges = []
        while self.parents[sid] >= 0:
            edges.append(self.edges[sid])
            sid = self.parents[sid]
        edges.reverse()
        return self.edges[sid], edges


def collision_probability(distinct: int) -> float:
    """A bound on the chance that a fingerprint search which stored `distinct` states, n,
    missed a reachable state, were fingerprints independent uniform 64-bit values:
    n * (n + 1) / 2^65, at most 1. The search goes as an exact one until a state's
    fingerprint equals one stored before (the state is then taken as seen); in the
    order an exact search finds states, the i-th does so with probability at most
    (i - 1) / 2^64, and a search that stores n states and missed one did so at one of
    the first n + 1: the sum over those is the bound. (TLC's n * (g - n) / 2^64, for g
    states generated, is not one: a state looked up again when already stored can be no
    miss, and a chain of states, g = n, would get 0. At 10^9 states the bound is 2.7%.)"""
    return min(1.0, distinct * (distinct + 1) / 2.0**65)
