"""The visited-set protocol: the set of states a search has seen, asked and grown a block
of keys at a time, as TLC's FPSet (putBlock, containsBlock).

A key stands for a state: the state itself (exact) or its 64-bit fingerprint; under
fingerprints two states with the same one count as one, so a new state may be taken for
seen (the chance is estimated by explorer.tuple.store.collision_probability).

The contract of every implementation (explorer.tuple.store.Store,
explorer.vector.visited.VisitedSet):
  Ordering: a block is taken in order, so a key repeated inside a block is new at its
      first place only; the answers are in block order. Nothing else is ordered: the
      set offers no iteration (a store that numbers states numbers the new ones of a
      block in block order).
  Cost: amortised constant time per key; the memory per state is the implementation's
      (each module states it).
  Safety: none, neither between threads nor between processes: one search owns its set
      and calls it from one thread (the vector back end's workers never see the set: the
      main process takes their successors back and asks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

Keys = TypeVar("Keys", contravariant=True)  # a block of keys, as the implementation holds them


class Visited(Protocol[Keys]):
    def put_block(self, keys: Keys) -> Sequence[bool]:
        """Add the block's keys to the set; for each, whether it was new (absent before,
        and not earlier in the block)."""
        ...

    def contains_block(self, keys: Keys) -> Sequence[bool]:
        """For each of the block's keys, whether it is in the set (which is unchanged)."""
        ...

    def __len__(self) -> int:
        """How many distinct keys the set holds."""
        ...
