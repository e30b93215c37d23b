"""The visited-set protocol (explorer.core.visited): the tuple back end's Store and the
vector back end's VisitedSet give the same answers on the same blocks."""

import random

import numpy as np
import pytest

from mmcheck.explorer.tuple.store import Store
from mmcheck.explorer.vector.visited import VisitedSet

MASK = (1 << 64) - 1


def mixed(state: tuple[int, ...]) -> int:
    """A 64-bit fingerprint whose top bits vary (the visited set's directory uses them)."""
    return (hash(state) * 0x9E3779B97F4A7C15) & MASK


def colliding(state: tuple[int, ...]) -> int:
    """A fingerprint shared by many states: exact mode must tell them apart by words."""
    return (state[0] % 3) << 62


def blocks() -> list[list[tuple[int, int]]]:
    """Blocks of two-slot states with repeats inside a block and across blocks."""
    rng = random.Random(7)
    return [
        [(rng.randrange(40), rng.randrange(40)) for _ in range(n)]
        for n in (0, 1, 50, 300, 300, 800, 50)
    ]


@pytest.mark.parametrize("exact", [True, False])
def test_store_and_visited_set_agree(exact):
    store = Store(None if exact else mixed)
    fp = colliding if exact else mixed
    vs = VisitedSet(2, keep_words=exact, min_delta=16)  # small: the blocks force merges
    seen: set[tuple[int, int]] = set()
    for block in blocks():
        fps = np.array([fp(s) for s in block], dtype=np.uint64)
        words = np.array(block, dtype=np.uint64).reshape(-1, 2).T.copy() if exact else None
        probe = [(a + 1, b) for a, b in block]  # half of them seen, some not
        pfps = np.array([fp(s) for s in probe], dtype=np.uint64)
        pwords = np.array(probe, dtype=np.uint64).reshape(-1, 2).T.copy() if exact else None
        assert store.contains_block(probe) == vs.contains_block(pfps, pwords).tolist()

        expected = []
        for s in block:
            expected.append(s not in seen)
            seen.add(s)
        assert store.put_block(block) == expected
        assert vs.put_block(fps, words).tolist() == expected
        assert len(store) == len(vs) == len(seen)
        assert store.contains_block(block) == vs.contains_block(fps, words).tolist()
        assert all(store.contains_block(block))


def test_store_numbers_new_states_in_block_order():
    store = Store()
    assert store.put_block([(1,), (2,), (1,)]) == [True, True, False]  # roots 0 and 1
    assert store.put_block([(3,), (2,), (4,)], parent=1, edges=[5, 6, 7]) == [True, False, True]
    assert store.path(3) == (1, [7]) and store.path(0) == (0, [])
