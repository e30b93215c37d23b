"""The visited set of the vector back end: sorted uint64 fingerprints in numpy.

Fingerprints live in 2**BUCKET_BITS sorted arrays, one per value of their top bits, plus
one small sorted delta array that new fingerprints go into. When the delta grows past a
sixteenth of the whole it is merged into the buckets, one bucket at a time, so a merge
never holds more than one bucket twice: memory stays near 8 bytes per state, and each
fingerprint is moved a bounded number of times on average.

Exact mode with states of more than one word also keeps each state's words beside its
fingerprint and compares them on a fingerprint match; distinct states with equal
fingerprints (a real 64-bit collision) are then told apart word by word.
"""

from __future__ import annotations

import numpy as np

BUCKET_BITS = 6
_SHIFT = np.uint64(64 - BUCKET_BITS)
_MIN_DELTA = 1 << 16


class VisitedSet:
    def __init__(self, nwords: int, keep_words: bool) -> None:
        self.nwords = nwords
        self.keep_words = keep_words
        nb = 1 << BUCKET_BITS
        self.fps = [np.empty(0, np.uint64) for _ in range(nb)]
        self.words = [np.empty((nwords, 0), np.uint64) for _ in range(nb)] if keep_words else []
        self.dfp = np.empty(0, np.uint64)
        self.dwords = np.empty((nwords, 0), np.uint64)
        self.size = 0
        self._edges = (np.arange(1, nb, dtype=np.uint64) << _SHIFT).astype(np.uint64)

    def __len__(self) -> int:
        return self.size

    def seen(self, fps: np.ndarray, words: np.ndarray | None) -> np.ndarray:
        """Which of the states (fps sorted; words (nwords, m) when words are kept) are
        in the set."""
        seen = self._lookup(self.dfp, self.dwords, fps, words)
        bounds = np.searchsorted(fps, self._edges)
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [len(fps)]))
        for b in np.flatnonzero(ends > starts):
            if len(self.fps[b]) == 0:
                continue
            s, e = starts[b], ends[b]
            sub = None if words is None else words[:, s:e]
            seen[s:e] |= self._lookup(self.fps[b], self.words[b] if self.keep_words else None,
                                      fps[s:e], sub)
        return seen

    def _lookup(self, table: np.ndarray, twords: np.ndarray | None, q: np.ndarray,
                qwords: np.ndarray | None) -> np.ndarray:
        if len(table) == 0:
            return np.zeros(len(q), dtype=bool)
        pos = np.searchsorted(table, q)
        hit = table[np.minimum(pos, len(table) - 1)] == q
        if not self.keep_words or qwords is None or not hit.any():
            return hit
        at = np.flatnonzero(hit)
        same = (np.take(twords, pos[at], axis=1) == np.take(qwords, at, axis=1)).all(axis=0)
        for i in at[~same]:  # a fingerprint collision: compare with every equal fingerprint
            j = pos[i]
            found = False
            while j < len(table) and table[j] == q[i] and not found:
                found = bool((twords[:, j] == qwords[:, i]).all())
                j += 1
            hit[i] = found
        return hit

    def insert(self, fps: np.ndarray, words: np.ndarray | None) -> None:
        """Add states not in the set, pairwise distinct (fps sorted)."""
        if len(fps) == 0:
            return
        self.size += len(fps)
        pos = np.searchsorted(self.dfp, fps)
        self.dfp = _insert(self.dfp, pos, fps)
        if self.keep_words:
            self.dwords = _insert(self.dwords, pos, words)
        if len(self.dfp) > max(_MIN_DELTA, self.size >> 4):
            self._merge()

    def _merge(self) -> None:
        bounds = np.searchsorted(self.dfp, self._edges)
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [len(self.dfp)]))
        for b in np.flatnonzero(ends > starts):
            s, e = starts[b], ends[b]
            pos = np.searchsorted(self.fps[b], self.dfp[s:e])
            self.fps[b] = _insert(self.fps[b], pos, self.dfp[s:e])
            if self.keep_words:
                self.words[b] = _insert(self.words[b], pos, self.dwords[:, s:e])
        self.dfp = np.empty(0, np.uint64)
        self.dwords = np.empty((self.nwords, 0), np.uint64)


def _insert(a: np.ndarray, pos: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.insert(a, pos, b, axis=-1) for nondecreasing `pos`, without its sort."""
    n = a.shape[-1] + len(pos)
    dest = pos + np.arange(len(pos))
    keep = np.ones(n, dtype=bool)
    keep[dest] = False
    out = np.empty(a.shape[:-1] + (n,), dtype=a.dtype)
    out[..., keep] = a
    out[..., dest] = b
    return out
