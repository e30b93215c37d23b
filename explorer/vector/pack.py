"""States packed into uint64 words, and 64-bit fingerprints of packed states.

Each slot takes the bits its declared range needs (value - lo); slots are laid out in
order, a slot never straddles two words. A batch is a (words, n) uint64 array, one
column per state, so packing, unpacking and updating a slot are whole-column operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mmcheck.spec import ir

_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S = np.uint64(33)


def mix64(x: np.ndarray) -> np.ndarray:
    """murmur3's fmix64: a bijection on uint64 that spreads every input bit."""
    x = x ^ (x >> _S)
    x *= _M1
    x ^= x >> _S
    x *= _M2
    x ^= x >> _S
    return x


@dataclass(frozen=True)
class Layout:
    lo: tuple[int, ...]  # per slot
    hi: tuple[int, ...]
    word: tuple[int, ...]  # per slot: the word holding it
    shift: tuple[int, ...]  # per slot: its bit offset in that word
    nwords: int

    @classmethod
    def of(cls, program: ir.Program) -> Layout:
        lo, hi, word, shift = [], [], [], []
        w, used = 0, 0
        for s in program.slots:
            bits = (s.hi - s.lo).bit_length()
            if bits > 64:
                raise ValueError(f"slot {s.name} needs more than 64 bits")
            if used + bits > 64:
                w, used = w + 1, 0
            lo.append(s.lo)
            hi.append(s.hi)
            word.append(w)
            shift.append(used)
            used += bits
        return cls(tuple(lo), tuple(hi), tuple(word), tuple(shift), w + 1)

    def mask(self, slot: int) -> np.uint64:
        return np.uint64((1 << (self.hi[slot] - self.lo[slot]).bit_length()) - 1)

    def pack(self, cols: np.ndarray) -> np.ndarray:
        """(slots, n) int64 values -> (words, n) uint64."""
        words = np.zeros((self.nwords, cols.shape[1]), dtype=np.uint64)
        for s in range(len(self.lo)):
            v = (cols[s] - self.lo[s]).astype(np.uint64)
            words[self.word[s]] |= v << np.uint64(self.shift[s])
        return words

    def unpack(self, words: np.ndarray) -> np.ndarray:
        """(words, n) uint64 -> (slots, n) int64 values."""
        cols = np.empty((len(self.lo), words.shape[1]), dtype=np.int64)
        for s in range(len(self.lo)):
            cols[s] = self.read(words, s)
        return cols

    def read(self, words: np.ndarray, slot: int) -> np.ndarray:
        """The value of `slot` in every state of `words`."""
        v = (words[self.word[slot]] >> np.uint64(self.shift[slot])) & self.mask(slot)
        return v.astype(np.int64) + self.lo[slot]

    def write(self, words: np.ndarray, slot: int, value: np.ndarray | int) -> None:
        """Set `slot` of every state of `words` (in place) to `value` (in range)."""
        w, sh = self.word[slot], np.uint64(self.shift[slot])
        v = np.asarray(value, dtype=np.int64) - self.lo[slot]
        words[w] = (words[w] & ~(self.mask(slot) << sh)) | (v.astype(np.uint64) << sh)

    def fingerprints(self, words: np.ndarray) -> np.ndarray:
        """64-bit fingerprints of packed states. One word: mix64 of it, a bijection, so
        distinct states never collide; more words: chained mix64 (collisions possible)."""
        h = mix64(words[0].copy())
        for w in range(1, self.nwords):
            h = mix64(h ^ words[w])
        return h
