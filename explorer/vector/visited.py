"""Hash tables of the vector back end, in compiled code (numba): deduplicating a chunk's
successors, and the visited set.

Fingerprints are murmur3-mixed (explorer.vector_pack), so their low bits index the
open-addressing tables and their top bits the directory of the visited set.

The visited set keeps about 9 bytes per state: one sorted uint64 array of fingerprints
with a directory (for every value of the top k bits, where its fingerprints start; 16 to
32 fingerprints a 4-byte entry), so a lookup reads one directory entry and scans a few
cache lines. New fingerprints go into a small delta hash table; when it holds a
sixteenth of the whole it is sorted and merged into the array in place, from the back,
after growing the array with realloc (no second copy of the array exists at any time).

Exact mode with states of more than one word keeps each state's words beside its
fingerprint (a row per state) and compares them on a fingerprint match, so distinct
states with equal fingerprints (a real 64-bit collision) are told apart.

`VisitedSet` implements the protocol explorer.core.visited.Visited, a block being the
fingerprints (with the words (nwords, m) beside them when words are kept):
  Ordering: answers in block order; a state repeated in a block is new at its first
      place. The set keeps fingerprints sorted (array) or hashed (delta), never in the
      order they came.
  Cost per state: the 9 bytes above (plus 8 a word when words are kept); a lookup is
      a directory entry and a few cache lines; an insertion is amortised constant
      time, as the delta is merged when it holds a sixteenth of the whole (each state
      pays for about sixteen moves in the array).
  Safety: none. The compiled functions release the GIL (nogil) but share the tables:
      one thread of the main process owns the set; workers never see it.
The vector engine uses the steps apart: `first_of_each` deduplicates a chunk (keeping
each state's first parent), `contains_block` looks the distinct ones up, `insert` adds
the new. Owners of a partitioned visited set (explorer.vector.partition) also have
each chunk's successors keyed and grouped by owner here (`route`), in one pass where
numpy takes several, and count the keys of the other owners below each of theirs
(`add_below`) in one linear pass where a binary search per key takes twice as long.
"""

from __future__ import annotations

import numba
import numpy as np

_JIT = {"nogil": True, "cache": True}
_MIN_DELTA = 1 << 18  # fingerprints the delta holds before a merge, at least (4 MiB)
_PER_ENTRY = 32  # fingerprints per directory entry, 16 to 32
_NO_WORDS = np.zeros((0, 0), np.uint64)


@numba.njit(**_JIT)
def _pow2_at_least(n: int) -> int:
    cap = 16
    while cap < n:
        cap <<= 1
    return cap


@numba.njit(**_JIT)
def _first_of_each(
    fps: np.ndarray, order: np.ndarray, words: np.ndarray, keep: bool
) -> tuple[np.ndarray, np.ndarray]:
    """For each distinct state among the columns (fingerprint, and words when `keep`):
    one column holding it and the smallest `order` it appears with."""
    n = len(fps)
    cap = _pow2_at_least(2 * n)  # open addressing at load <= 1/2
    mask = np.uint64(cap - 1)
    table = np.zeros(cap, np.int32)  # 1 + index into reps, 0 when free
    reps = np.empty(n, np.int64)
    least = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        f = fps[i]
        h = f & mask
        while True:
            t = table[h]
            if t == 0:
                table[h] = m + 1
                reps[m] = i
                least[m] = order[i]
                m += 1
                break
            r = reps[t - 1]
            if fps[r] == f and (not keep or _same(words, r, words, i)):
                if order[i] < least[t - 1]:
                    least[t - 1] = order[i]
                break
            h = (h + np.uint64(1)) & mask
    return reps[:m].copy(), least[:m].copy()


@numba.njit(**_JIT)
def _same(a: np.ndarray, i: int, b: np.ndarray, j: int) -> bool:
    """Column i of a equals column j of b (words kept as rows are passed transposed)."""
    for w in range(a.shape[0]):  # noqa: SIM110 (numba compiles no generator here)
        if a[w, i] != b[w, j]:
            return False
    return True


def first_of_each(
    fps: np.ndarray, order: np.ndarray, words: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct states of a batch: for each, the index of a column holding it and
    the smallest `order` it appears with. Without `words` two states are equal when
    their fingerprints are; with them ((nwords, n)) the words are compared too."""
    keep = words is not None
    return _first_of_each(
        fps, order.astype(np.int64, copy=False), words if keep else _NO_WORDS, keep
    )


@numba.njit(**_JIT)
def _seen(
    main: np.ndarray,
    directory: np.ndarray,
    shift: np.uint64,
    mwords: np.ndarray,
    dtab: np.ndarray,
    dfps: np.ndarray,
    dwords: np.ndarray,
    keep: bool,
    q: np.ndarray,
    qw: np.ndarray,
    out: np.ndarray,
) -> None:
    dmask = np.uint64(len(dtab) - 1)
    for i in range(len(q)):
        f = q[i]
        b = f >> shift
        found = False
        j = directory[b]
        end = directory[b + 1]
        while j < end and main[j] <= f:
            if main[j] == f and (not keep or _same(mwords.T, j, qw, i)):
                found = True
                break
            j += 1
        if not found:
            h = f & dmask
            while dtab[h] != 0:
                t = dtab[h] - 1
                if dfps[t] == f and (not keep or _same(dwords.T, t, qw, i)):
                    found = True
                    break
                h = (h + np.uint64(1)) & dmask
        out[i] = found


@numba.njit(**_JIT)
def _add(
    dtab: np.ndarray,
    dfps: np.ndarray,
    dwords: np.ndarray,
    dn: int,
    keep: bool,
    q: np.ndarray,
    qw: np.ndarray,
) -> int:
    dmask = np.uint64(len(dtab) - 1)
    for i in range(len(q)):
        f = q[i]
        h = f & dmask
        while dtab[h] != 0:
            h = (h + np.uint64(1)) & dmask
        dtab[h] = dn + 1
        dfps[dn] = f
        if keep:
            for w in range(qw.shape[0]):
                dwords[dn, w] = qw[w, i]
        dn += 1
    return dn


@numba.njit(**_JIT)
def _merge_back(
    main: np.ndarray, n: int, d: np.ndarray, mwords: np.ndarray, dwords: np.ndarray, keep: bool
) -> None:
    """main[:n] and d sorted; main has room for both: merge from the back, in place."""
    i, j, k = n - 1, len(d) - 1, n + len(d) - 1
    while j >= 0:
        if i >= 0 and main[i] > d[j]:
            main[k] = main[i]
            if keep:
                mwords[k, :] = mwords[i, :]
            i -= 1
        else:
            main[k] = d[j]
            if keep:
                mwords[k, :] = dwords[j, :]
            j -= 1
        k -= 1


@numba.njit(**_JIT)
def _directory(main: np.ndarray, bits: int, out: np.ndarray) -> None:
    """For every value b of the top `bits` bits: the first index whose fingerprint's top
    bits are >= b (and one more entry: the length)."""
    size = 1 << bits
    shift = np.uint64(64 - bits)
    b = 0
    for j in range(len(main)):
        top = np.int64(main[j] >> shift)
        while b <= top:
            out[b] = j
            b += 1
    while b <= size:
        out[b] = len(main)
        b += 1


class VisitedSet:
    def __init__(self, nwords: int, keep_words: bool, min_delta: int = _MIN_DELTA) -> None:
        self.nwords = nwords
        self.keep_words = keep_words
        self.min_delta = min_delta
        self.main = np.empty(0, np.uint64)
        self.mwords = np.empty((0, nwords if keep_words else 0), np.uint64)
        self._index()
        self._new_delta(min_delta)

    def __len__(self) -> int:
        return len(self.main) + self.dn

    def _index(self) -> None:
        n = len(self.main)
        bits = max(1, min(40, (n // _PER_ENTRY).bit_length()))
        self.shift = np.uint64(64 - bits)
        self.directory = np.empty((1 << bits) + 1, np.uint32 if n < 1 << 32 else np.int64)
        _directory(self.main, bits, self.directory)

    def _new_delta(self, cap: int) -> None:
        self.dtab = np.zeros(_pow2_at_least(cap + cap // 3), np.int32)  # load <= 3/4
        self.dfps = np.empty(cap, np.uint64)
        self.dwords = np.empty((cap if self.keep_words else 0, self.nwords), np.uint64)
        self.dn = 0

    def contains_block(self, fps: np.ndarray, words: np.ndarray | None = None) -> np.ndarray:
        """Which of the states (fingerprints; words (nwords, m) when words are kept) are
        in the set."""
        out = np.empty(len(fps), dtype=bool)
        _seen(
            self.main,
            self.directory,
            self.shift,
            self.mwords,
            self.dtab,
            self.dfps,
            self.dwords,
            self.keep_words,
            fps,
            _NO_WORDS if words is None else words,
            out,
        )
        return out

    def put_block(self, fps: np.ndarray, words: np.ndarray | None = None) -> np.ndarray:
        """Add the states of the block; which of them were new (absent before, and not
        earlier in the block)."""
        firsts, _ = first_of_each(fps, np.arange(len(fps)), words)  # in block order
        fw = None if words is None else np.take(words, firsts, axis=1)
        new = firsts[~self.contains_block(fps[firsts], fw)]
        self.insert(fps[new], None if words is None else np.take(words, new, axis=1))
        out = np.zeros(len(fps), dtype=bool)
        out[new] = True
        return out

    def insert(self, fps: np.ndarray, words: np.ndarray | None) -> None:
        """Add states not in the set, pairwise distinct."""
        if self.dn + len(fps) > len(self.dfps):
            self._merge(max(len(fps), self.min_delta, len(self) // 16))
        self.dn = _add(
            self.dtab,
            self.dfps,
            self.dwords,
            self.dn,
            self.keep_words,
            fps,
            _NO_WORDS if words is None else words,
        )
        if self.dn > max(self.min_delta, len(self.main) // 16):
            self._merge(max(self.min_delta, len(self) // 16))

    def _merge(self, cap: int) -> None:
        """Move the delta into the sorted array; the next delta holds `cap`."""
        m, n = self.dn, len(self.main)
        if m:
            if self.keep_words:
                perm = np.argsort(self.dfps[:m])
                d, dw = self.dfps[perm], self.dwords[perm]
                del perm
            else:
                d, dw = np.sort(self.dfps[:m]), self.dwords
            self._new_delta(0)  # drop the old delta's tables before the array grows
            self.main.resize(n + m, refcheck=False)  # realloc: grows in place
            if self.keep_words:
                self.mwords.resize((n + m, self.nwords), refcheck=False)
            _merge_back(self.main, n, d, self.mwords, dw, self.keep_words)
            del d, dw
            self._index()
        self._new_delta(cap)


@numba.njit(**_JIT)
def _route(
    at: np.ndarray,
    order: np.ndarray,
    k: int,
    fps: np.ndarray,
    words: np.ndarray,
    parts: np.uint64,
    shift: np.uint64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    m = len(order)
    dest = np.empty(m, np.int64)
    starts = np.zeros(int(parts) + 1, np.int64)
    for i in range(m):
        d = np.int64((fps[i] >> shift) % parts)
        dest[i] = d
        starts[d + 1] += 1
    starts = np.cumsum(starts)
    put = starts[:-1].copy()
    keys = np.empty(m, np.int64)
    ofps = np.empty(m, np.uint64)
    owords = np.empty((words.shape[0], m), np.uint64)
    for i in range(m):
        p = put[dest[i]]
        put[dest[i]] += 1
        keys[p] = at[order[i] // k] * k + order[i] % k
        ofps[p] = fps[i]
        for w in range(words.shape[0]):
            owords[w, p] = words[w, i]
    return starts, keys, ofps, owords


def route(
    at: np.ndarray,
    order: np.ndarray,
    k: int,
    fps: np.ndarray,
    words: np.ndarray,
    parts: int,
    shift: np.uint64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A chunk's successors (discovered as `order` = row * k + edge, increasing; row r's
    global index at[r]) grouped by owner, (fps >> shift) % parts, keeping their order:
    the group starts (parts + 1), and their keys (at[row] * k + edge), fingerprints and
    words in that order."""
    return _route(
        at.astype(np.int64, copy=False),
        order.astype(np.int64, copy=False),
        k,
        fps,
        words,
        np.uint64(parts),
        np.uint64(shift),
    )


@numba.njit(**_JIT)
def _add_below(at: np.ndarray, keys: np.ndarray, other: np.ndarray) -> None:
    j = 0
    for i in range(len(keys)):
        while j < len(other) and other[j] < keys[i]:
            j += 1
        at[i] += j


def add_below(at: np.ndarray, keys: np.ndarray, other: np.ndarray) -> None:
    """Add to at[i] (int64) the number of `other` below keys[i] (both sorted, int64)."""
    _add_below(at, keys.astype(np.int64, copy=False), other.astype(np.int64, copy=False))


def warm_up() -> None:
    """Load the compiled functions (from numba's cache, or compile them: seconds, once
    per installation) on tiny inputs, so that no search pays for it."""
    fps = np.arange(3, dtype=np.uint64)
    first_of_each(fps, np.arange(3), None)
    first_of_each(fps, np.arange(3), np.zeros((2, 3), np.uint64))
    for nwords, keep in ((1, False), (2, True)):
        v = VisitedSet(nwords, keep, min_delta=16)
        words = np.zeros((nwords, 3), np.uint64) if keep else None
        v.insert(fps, words)
        v.contains_block(fps, words)
        v._merge(16)
    route(fps, fps, 2, fps, np.zeros((2, 3), np.uint64), 2, np.uint64(32))
    add_below(np.zeros(3, np.int64), np.arange(3), np.arange(3))
