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
collision probability is estimated as TLC does (see `collision_probability`). A lookup
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


def collision_probability(distinct: int, generated: int) -> float:
    """TLC's optimistic estimate of the chance that two of the `distinct` states share a
    64-bit fingerprint: each of the generated-but-already-seen lookups may have hit a
    different state with the same fingerprint, n * (g - n) / 2^64."""
    return distinct * max(generated - distinct, 0) / 2.0**64
