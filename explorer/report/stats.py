"""What a check prints at the end: the statistics in TLC's vocabulary, the coverage
table and the verdict line (with the reason when the result is incomplete)."""

from __future__ import annotations

from mmcheck.explorer.core.result import (
    HOLDS,
    INCOMPLETE,
    BranchEntry,
    CoverageEntry,
    Result,
    Stats,
)
from mmcheck.explorer.report.view import headline
from mmcheck.spec import ir


def search_time(stats: Stats) -> str:
    """The search's seconds, and the whole check's where known (what is not search is
    start-up: loading the spec, compiling kernels)."""
    if not stats.wall:
        return f"{stats.elapsed:.2f} s"
    return f"{stats.elapsed:.2f} s search ({stats.wall:.2f} s in all)"


def counted(n: int, what: str) -> str:
    """`1 step`, `2,048 steps`."""
    return f"{n:,} {what}{'s' if n != 1 else ''}"


def search_lines(stats: Stats) -> list[str]:
    """What was explored: in TLC's words for a search, in a simulation's for --simulate
    (walks and steps; no queue, no complete state graph)."""
    if stats.walks is None:
        return [
            f"{stats.generated:,} states generated, {stats.distinct:,} distinct states found, "
            f"{stats.queue:,} states left on queue.",
            f"The depth of the state graph search is {stats.depth}.",
        ]
    return [
        f"{counted(stats.walks, 'random trace')} walked, {counted(stats.steps, 'step')} in all, "
        f"{stats.distinct:,} distinct states seen.",
        f"The longest trace walked has {counted(stats.depth, 'step')}.",
    ]


def format_stats(stats: Stats) -> str:
    auto = f"; auto: {stats.auto}" if stats.auto else ""  # --backend auto: how it chose
    lines = [
        *search_lines(stats),
        f"{search_time(stats)}, {stats.states_per_second:,.0f} distinct states/s "
        f"({stats.backend} back end, {counted(stats.workers, 'worker')}{auto}).",
    ]
    if stats.bytes_per_state is not None:  # only where it means something (limits.py)
        lines.append(f"{stats.bytes_per_state:,.0f} bytes per distinct state.")
    if stats.collision_probability is not None:
        lines.append(
            "Fingerprint mode: probability that a collision hid a state, at most "
            f"(for uniform fingerprints): {stats.collision_probability:.1e}."
        )
    if stats.por_reduced is not None:
        lines.append(
            f"Partial-order reduction: {stats.por_reduced:,} states expanded through a "
            f"stubborn subset of their steps, {stats.por_full or 0:,} fully "
            f"({stats.por_proviso or 0:,} by the cycle proviso)."
        )
    if stats.sccs is not None:
        lines.append(f"Liveness: {counted(stats.sccs, 'strongly connected component')} examined.")
    if stats.por_rerun is not None:
        lines.append(
            "The trace is a shortest one: from a search without reduction to its depth "
            f"({stats.por_rerun:,} distinct states)."
        )
    return "\n".join(lines)


def verdict_line(result: Result, program: ir.Program | None = None) -> str:
    """HOLDS / VIOLATED / INCOMPLETE, in one line that says what it covers."""
    n = result.stats.distinct
    if result.verdict == HOLDS:
        return f"HOLDS: no violation in the complete state space ({n:,} distinct states)."
    if result.verdict == INCOMPLETE and result.stats.walks is not None:
        return (
            f"INCOMPLETE: {result.reason or 'stopped early'}; no violation in "
            f"{counted(result.stats.walks, 'random trace')} ({n:,} distinct states seen), "
            "which proves nothing about the states not seen."
        )
    if result.verdict == INCOMPLETE:
        return (
            f"INCOMPLETE: {result.reason or 'stopped early'}; no violation in the {n:,} "
            "distinct states explored, which proves nothing about the rest."
        )
    v = result.violation
    if v is None:
        return "VIOLATED."
    if not v.trace:
        return f"VIOLATED: {headline(v, program)} (computing the initial states)."
    steps = counted(v.length, "step")
    if v.loop is not None:
        lasso = f"{counted(v.loop, 'step')} to a cycle of {counted(v.cycle or 0, 'step')}"
        return f"VIOLATED: {headline(v, program)} (a lasso: {lasso})."
    return f"VIOLATED: {headline(v, program)} (trace of {steps})."


def cover_lines(result: Result) -> list[str]:
    """One line per cover: reached in how many steps, or not; NOT REACHED only where the
    search was complete (then the spec may be vacuous)."""
    out = []
    for c in result.covers:
        if c.reached:
            what = f"reached in {c.length} step{'s' if c.length != 1 else ''}"
        elif result.verdict == HOLDS:
            what = "NOT REACHED (the spec may be vacuous)"
        elif result.stats.walks is not None:
            what = "not reached by the random traces"
        else:
            what = "not reached before the search stopped"
        out.append(f"cover {c.name}: {what}")
    return out


def format_coverage(entries: list[CoverageEntry]) -> str:
    """One row per action (or process label): enabled and taken counts; actions never
    taken come first and are flagged, since they usually mean a bug in the spec."""
    rows = sorted(entries, key=lambda e: e.taken > 0)  # stable: spec order otherwise
    width = max([len(e.action) for e in rows] + [len("action")])
    out = [
        "Coverage (actions never taken first):",
        f"  {'action':<{width}}  {'enabled':>10}  {'taken':>10}",
    ]
    for e in rows:
        flag = "  <- never taken" if e.taken == 0 else ""
        mark = "!" if e.taken == 0 else " "
        out.append(f"{mark} {e.action:<{width}}  {e.enabled:>10,}  {e.taken:>10,}{flag}")
    never = sum(1 for e in rows if e.taken == 0)
    out.append(f"{never} of {len(rows)} actions never taken.")
    return "\n".join(out)


def format_branches(entries: list[BranchEntry]) -> str:
    """One row per `if` arm and `either` branch of a step, with its place and how many
    successors took it; the never-taken first, flagged (SPIN's "unreached in proctype")."""
    rows = sorted(entries, key=lambda e: e.taken > 0)  # stable: spec order otherwise
    places = [str(e.loc) for e in rows]
    width = max([len(p) for p in places] + [len("place")])
    action = max([len(e.action) for e in rows] + [len("action")])
    kind = max([len(e.kind) for e in rows] + [len("branch")])
    out = [
        "Branch coverage (branches never taken first):",
        f"  {'place':<{width}}  {'action':<{action}}  {'branch':<{kind}}  {'taken':>10}",
    ]
    for e, place in zip(rows, places):
        flag, mark = ("  <- never taken", "!") if e.taken == 0 else ("", " ")
        out.append(
            f"{mark} {place:<{width}}  {e.action:<{action}}  {e.kind:<{kind}}  {e.taken:>10,}{flag}"
        )
    never = sum(1 for e in rows if e.taken == 0)
    out.append(f"{never} of {len(rows)} branches never taken.")
    return "\n".join(out)
