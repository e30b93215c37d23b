"""The bound printed in fingerprint mode (explorer.tuple.store.collision_probability)."""

from __future__ import annotations

import pytest

from mmcheck.explorer.tuple.store import collision_probability


def test_collision_bound_is_over_the_states_stored_alone():
    assert collision_probability(0) == 0.0
    assert collision_probability(1) == 2 / 2**65
    assert collision_probability(93) == pytest.approx(2.37e-16, rel=1e-3)
    # a billion states: the birthday bound, 2.7%, not TLC's n * (g - n) / 2^64 (38% at the
    # 8.1 successors a state of migrate_page at 5 x 10^7 states)
    assert collision_probability(10**9) == pytest.approx(0.0271, rel=1e-3)
    assert collision_probability(6 * 10**9) < 1.0
    assert collision_probability(10**10) == 1.0
