"""How the vector engine has a level expanded in its own process: the Expander protocol,
and its implementation (several workers instead own partitions of the visited set and
expand their own states: explorer.vector.partition).

Contract of an Expander:
  - order: `expand(level, nxt)` yields (c0, ex) for consecutive chunks of `level`, in
    level order, with no gap or overlap: ex is VectorModel.expand of the states c0 to
    c0 + ex.n - 1, so the same successors in the same order whichever process computed
    them. Where chunks are cut is the expander's choice and changes nothing the engine
    reports: it takes the chunks in order and keeps each state's first discovery
    (parent, then edge), within a chunk (`dedup`) and across chunks (the visited set).
    So state counts, verdicts and traces do not depend on the chunks;
  - `nxt` is the next level as the engine appends the new states to it: an expander may
    start on its first chunks early, and never changes it;
  - the engine may stop before the end of a level (it closes the generator): what was
    computed ahead is then dropped;
  - cost per state: nothing beyond a chunk's temporaries;
  - safety: an expander is driven by one thread, one `expand` at a time; `close` ends
    it and is called once, however the run ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from mmcheck.explorer.vector.level import Expanded, Level
from mmcheck.explorer.vector.model import VectorModel


class Expander(Protocol):
    def expand(self, level: Level, nxt: Level) -> Iterator[tuple[int, Expanded]]:
        """The expanded chunks of `level`, in order, each with the index of its first
        state in the level."""
        ...

    def close(self) -> None: ...


class LocalExpander:
    """Expands a level chunk by chunk in this process, `chunk` states at a time."""

    def __init__(self, vm: VectorModel, deadlock: bool, keep_words: bool, chunk: int) -> None:
        self.vm = vm
        self.deadlock = deadlock
        self.keep_words = keep_words
        self.chunk = chunk

    def expand(self, level: Level, nxt: Level) -> Iterator[tuple[int, Expanded]]:
        del nxt  # the next level is only expanded once it is complete
        c0 = 0
        for words in level.chunks(self.chunk):
            yield c0, self.vm.expand(words, self.deadlock, self.keep_words)
            c0 += words.shape[1]

    def close(self) -> None:
        pass
