"""What tests compare of a check's Result (explorer.core.result): its verdict, or all it
reports. A helper module beside the tests (import it with tests/ on sys.path)."""

from __future__ import annotations

from mmcheck.explorer.core.result import Result


def verdict(r: Result) -> tuple:
    """The verdict and, if violated, the violation's kind, name and trace length: what
    runs that explore differently (another back end, bmc, a reduction) agree on."""
    v = r.violation
    return (r.verdict, v.kind, v.name, v.length) if v else (r.verdict,)


def steps(r: Result) -> list[tuple[str | None, str | None]]:
    """The violation's trace as (process instance, label) per step, its initial state left
    out: the interleaving a race page's CPU diagram shows."""
    return [(s.instance, s.label) for s in r.trace[1:]]


def everything(r: Result) -> tuple:
    """All a run reports but its timings and final queue: the verdict and its reason, the
    state counts and depth, the violation with its trace step by step, and every cover
    with its witness. Runs that must be identical (the same search split otherwise)
    agree on it."""
    v = r.violation
    return (
        r.verdict,
        r.reason,
        r.stats.distinct,
        r.stats.generated,
        r.stats.depth,
        None if v is None else (v.kind, v.name, v.loc, v.message, v.length, v.failed, v.trace),
        [(c.name, c.reached, c.trace) for c in r.covers],
    )


def identical(r: Result) -> tuple:
    """`everything` and the final queue: what runs of one and the same search (another
    process, another hash seed, auto and the back end it picks) agree on."""
    return (*everything(r), r.stats.queue)
