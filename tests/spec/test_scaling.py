"""The front end's cost grows linearly with the number of declarations."""

from __future__ import annotations

import time

from mmcheck import spec


def load_seconds(n: int) -> float:
    """CPU time (not wall time: the machine may be shared) to load n variables."""
    text = "".join(f"var v{k} : 0..3 = 0\n" for k in range(n))
    text += "action Step\n  when v0 < 3\n  v0' = v0 + 1\ninvariant A: v0 + v1 <= 6\n"
    start = time.process_time()
    assert len(spec.load(text).vars) == n
    return time.process_time() - start


def test_loading_is_linear_in_the_number_of_variables():
    small, big = load_seconds(2_000), load_seconds(20_000)
    # linear: about 10x (8 s for 20,000); a lookup per variable that scans all of them
    # made it 48x (35 s), and minutes at 40,000
    assert big < 60
    assert big < 20 * small, (small, big)
