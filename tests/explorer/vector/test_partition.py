"""The partitioned visited set (explorer.vector.partition): the partition function and
the merge of the owners' keys into the level's global order."""

from __future__ import annotations

import numpy as np

from mmcheck.explorer.vector.partition import merge, owner_of


def test_owner_reads_bits_the_visited_set_does_not_index_with():
    rng = np.random.default_rng(1)
    fps = rng.integers(0, 1 << 63, 200_000, dtype=np.int64).astype(np.uint64) * np.uint64(2)
    for parts in (2, 3, 4):
        owner = owner_of(fps, parts)
        counts = np.bincount(owner, minlength=parts)
        assert counts.sum() == len(fps) and counts.min() > 0.97 * len(fps) / parts
        for j in range(parts):
            mine = fps[owner == j]
            # each owner's fingerprints cover the low bits (hash tables) and the top
            # bits (directory) evenly
            low = np.bincount((mine & np.uint64(15)).astype(np.int64), minlength=16)
            top = np.bincount((mine >> np.uint64(60)).astype(np.int64), minlength=16)
            assert low[1::2].sum() == 0  # the even fingerprints of this sample
            assert low[::2].min() > 0.9 * len(mine) / 8
            assert top.min() > 0.9 * len(mine) / 16


def test_merge_restores_global_order_beyond_32_bits():
    big = 1 << 33
    keys = [
        np.array([0, 7, big + 1, 3 * big], np.int64),
        np.array([], np.int64),
        np.array([5, big, big + 2], np.int64),
    ]
    merged, where = merge(keys)
    assert merged.dtype == np.int64
    assert merged.tolist() == [0, 5, 7, big, big + 1, big + 2, 3 * big]
    assert [w.tolist() for w in where] == [[0, 2, 4, 6], [], [1, 3, 5]]
    for k, w in zip(keys, where):
        assert (merged[w] == k).all()


def test_merge_of_random_disjoint_keys():
    rng = np.random.default_rng(2)
    allkeys = rng.choice(1 << 40, 30_000, replace=False).astype(np.int64)
    owner = rng.integers(0, 3, len(allkeys))
    keys = [np.sort(allkeys[owner == j]) for j in range(3)]
    merged, where = merge(keys)
    assert (merged == np.sort(allkeys)).all()
    for k, w in zip(keys, where):
        assert (merged[w] == k).all() and (np.diff(w) > 0).all()
