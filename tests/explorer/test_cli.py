"""The explorer's verbs and reports: statistics, verdict lines, coverage, progress, flags."""

import io

import pytest

from explorer.cli import main
from explorer.progress import Progress, progress_line
from explorer.result import (
    HOLDS,
    INCOMPLETE,
    VIOLATED,
    CoverageEntry,
    Result,
    Stats,
    Step,
    Violation,
)
from explorer.stats_report import format_coverage, format_stats, verdict_line

STATS = Stats(generated=12_345, distinct=6_789, queue=0, depth=14, elapsed=2.0,
              bytes_per_state=96.4, collision_probability=3.2e-12)


def test_statistics_in_tlc_vocabulary():
    text = format_stats(STATS)
    assert text.splitlines() == [
        "12,345 states generated, 6,789 distinct states found, 0 states left on queue.",
        "The depth of the state graph search is 14.",
        "2.00 s, 3,394 distinct states/s (tuple back end, 1 worker).",
        "96 bytes per distinct state.",
        "Fingerprint mode: probability that a collision occurred (optimistic): 3.2e-12.",
    ]
    assert "bytes" not in format_stats(Stats(distinct=1, elapsed=1.0))


def test_verdict_lines():
    assert verdict_line(Result(HOLDS, STATS)) == (
        "HOLDS: no violation in the complete state space (6,789 distinct states).")
    incomplete = verdict_line(Result(INCOMPLETE, STATS, reason="time limit of 5 s reached"))
    assert incomplete.startswith("INCOMPLETE: time limit of 5 s reached; no violation in the 6,789")
    trace = (Step(None, (), (0,)), Step("a", (), (1,)), Step("a", (), (2,)))
    v = Violation("invariant", "Mutex", "", None, trace)
    assert verdict_line(Result(VIOLATED, STATS, v)) == (
        "VIOLATED: invariant Mutex is violated (trace of 2 steps).")


def test_coverage_lists_never_taken_first():
    entries = [
        CoverageEntry("p.a", "p", "a", enabled=10, taken=10),
        CoverageEntry("p.b", "p", "b", enabled=0, taken=0),
        CoverageEntry("tick", None, None, enabled=5, taken=3),
        CoverageEntry("p.c", "p", "c", enabled=2, taken=0),
    ]
    lines = format_coverage(entries).splitlines()
    assert [line.split()[:2] for line in lines[2:6]] == [
        ["!", "p.b"], ["!", "p.c"], ["p.a", "10"], ["tick", "5"]]
    assert lines[2].endswith("<- never taken")
    assert lines[-1] == "2 of 4 actions never taken."


def test_progress_lines_are_throttled(monkeypatch):
    clock = iter([0.0, 1.0, 10.5, 12.0])
    monkeypatch.setattr("explorer.progress.time.monotonic", lambda: next(clock))
    out = io.StringIO()
    with Progress(out, live=False) as progress:  # created at t=0
        progress(Stats(generated=100, distinct=50, queue=7, depth=3))  # t=1: too early
        progress(Stats(generated=2200, distinct=900, queue=40, depth=5))  # t=10.5
        progress(Stats(generated=2300, distinct=950, queue=41, depth=5))  # t=12: too early
    assert out.getvalue().splitlines() == [
        "Progress(5): 2,200 states generated (12,571 s/min), 900 distinct states found, "
        "40 states left on queue"]
    assert progress_line(Stats(depth=1), 0).startswith("Progress(1): 0 states generated")


@pytest.mark.parametrize("argv, message", [
    (["check", "x.mms", "--seed", "3"], "--seed and --depth go with --simulate"),
    (["check", "x.mms", "--simulate", "5", "--max-depth", "3"], "--max-depth is for BFS"),
    (["test", "no/such/dir"], "no/such/dir: no such file or directory"),
])
def test_usage_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["check", "x.mms", "--workers", "0"],
    ["check", "x.mms", "--trace", "svg"],
    ["check", "x.mms", "--time-limit", "-1"],
    ["check", "x.mms", "--max-depth", "many"],
    ["graph", "x.mms"],
])
def test_bad_flags_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
