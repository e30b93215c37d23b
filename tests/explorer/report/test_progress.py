"""The progress line: where a search stands against its bounds (an estimate of the time
left only where one means something), and real statistics from the vector back end
once --backend auto has switched to it."""

from __future__ import annotations

import io
from pathlib import Path

from mmcheck import explorer
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import Stats
from mmcheck.explorer.report.progress import Progress, bound_text, duration

LOCAL_WORK = Path(__file__).resolve().parents[2] / "specs" / "local_work.mms"


def test_durations():
    assert [duration(s) for s in (0, 44.6, 60, 725, 12_000, -3)] == [
        "0 s",
        "45 s",
        "1 min 0 s",
        "12 min 5 s",
        "3 h 20 min",
        "0 s",
    ]


def test_bound_text_says_what_each_bound_allows():
    stats = Stats(generated=9000, distinct=2500, depth=7, elapsed=12.2)
    assert bound_text(stats, CheckOptions(), 500.0) == ""
    assert bound_text(stats, CheckOptions(max_states=10_000), 500.0) == (
        "25% of --max-states, at most 15 s left at this rate"
    )
    # no rate yet: no time to tell
    assert bound_text(stats, CheckOptions(max_states=10_000), 0.0) == "25% of --max-states"
    assert bound_text(stats, CheckOptions(time_limit=60), 500.0) == "48 s of --time-limit left"
    assert bound_text(stats, CheckOptions(max_depth=20), 500.0) == "depth 7 of --max-depth 20"
    assert bound_text(stats, CheckOptions(max_states=2000, time_limit=10), 10.0) == (
        "125% of --max-states, at most 0 s left at this rate; 0 s of --time-limit left"
    )


def test_the_line_ends_with_the_bounds(monkeypatch):
    clock = iter([0.0, 10.0])
    monkeypatch.setattr("mmcheck.explorer.report.progress.time.monotonic", lambda: next(clock))
    out = io.StringIO()
    options = CheckOptions(max_states=100_000, max_depth=30)
    with Progress(out, live=False, options=options) as progress:  # created at t=0
        progress(Stats(generated=80_000, distinct=20_000, queue=900, depth=9))  # t=10
    assert out.getvalue() == (
        "Progress(9): 80,000 states generated (8,000 states/s), 20,000 distinct states "
        "found, 900 states left on queue; 20% of --max-states, at most 40 s left at this "
        "rate; depth 9 of --max-depth 30\n"
    )


def test_progress_after_the_switch_to_vector_is_real(monkeypatch):
    """The statistics the progress callback is given once the vector back end goes on
    with a search carry its depth, queue and counts (not Progress(0), 0 left)."""
    seen: list[tuple[int, int, int, int]] = []
    poll = Limits.poll

    def recording(self: Limits, stats: Stats) -> str | None:
        seen.append((stats.depth, stats.queue, stats.distinct, stats.generated))
        return poll(self, stats)

    monkeypatch.setattr(Limits, "poll", recording)
    result = explorer.check(LOCAL_WORK, {"N": 5, "K": 4}, switch_at=20)
    assert result.stats.auto == "tuple to depth 3, vector from its level of 35 states"
    after = [s for s in seen if s[0] >= 3]
    assert len(after) >= result.stats.depth - 3  # a poll a level at least
    assert all(q > 0 and n > 0 and g > 0 for _, q, n, g in after)
    assert [s[0] for s in after] == sorted(s[0] for s in after)
    assert after[-1][0] == result.stats.depth == 30
