"""Parent links (explorer.vector.level.Levels) at the widths of a search of 10^9 states:
a level of 10^8 states with 40 edges has links past 2^32, kept in 5 bytes a state. The
widths are reached with few states by taking many edges."""

from __future__ import annotations

import numpy as np
import pytest

from mmcheck.explorer.vector.level import Levels


@pytest.mark.parametrize(
    "edges, width", [(40, 4), (1 << 31, 5), (1 << 37, 5), (1 << 39, 8), (1 << 41, 8)]
)
def test_links_past_32_bits_give_back_their_paths(edges, width):
    levels = Levels(edges)
    levels.start()
    levels.add(np.array([2, 0, 1], np.int64))  # the roots: index of their initial state
    paths = {(0, 0): [], (0, 1): [], (0, 2): []}  # (depth, index) -> edges from the root
    roots = {0: 2, 1: 0, 2: 1}
    widest = 0  # bytes a link, in the widest piece
    for depth, pieces in ((1, [[(0, 5), (2, edges - 1)], [(1, 0)]]), (2, [[(2, 3), (0, 9)]])):
        levels.start()
        index = 0
        for piece in pieces:
            links = np.array([p * edges + e for p, e in piece], np.int64)
            levels.add(links)
            low, high = levels.links[depth][-1]
            widest = max(widest, (low.nbytes + (0 if high is None else high.nbytes)) // len(links))
            for p, e in piece:
                paths[(depth, index)] = [*paths[(depth - 1, p)], e]
                roots[(depth, index)] = roots[p] if depth == 1 else roots[(depth - 1, p)]
                index += 1
    assert widest == width
    for (depth, index), path in paths.items():
        root = roots[index] if depth == 0 else roots[(depth, index)]
        assert levels.path(depth, index) == (root, path)


def test_links_at_the_edges_of_each_width():
    levels = Levels(1)
    levels.start()
    for top in (0, (1 << 32) - 1, 1 << 32, (1 << 40) - 1, 1 << 40, (1 << 62) + 3):
        levels.add(np.array([top, 1, top], np.int64))
    stored = [
        int(low[0]) | (0 if high is None else int(high[0]) << 32) for low, high in levels.links[0]
    ]
    assert stored == [0, (1 << 32) - 1, 1 << 32, (1 << 40) - 1, 1 << 40, (1 << 62) + 3]
    widths = [
        low.itemsize + (0 if high is None else high.itemsize) for low, high in levels.links[0]
    ]
    assert widths == [4, 4, 5, 5, 8, 8]
    levels.add(np.empty(0, np.int64))
    assert levels.path(0, 11) == ((1 << 40) - 1, [])
    assert levels.path(0, 16) == (1, [])
    assert levels.path(0, 17) == ((1 << 62) + 3, [])
    with pytest.raises(IndexError):
        levels.path(0, 18)
