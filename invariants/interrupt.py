"""SIGINT and SIGTERM during z3 queries: the whole run stops, with the answers so far.

z3 handles SIGINT itself while it runs a query: the query ends "interrupted from
keyboard" and the run goes on to the next, and SIGTERM, which z3 leaves alone, is
delivered to Python only once the query returns, possibly after its whole timeout. So
each query runs in a thread with z3's own handler off, while the main thread waits
with `Limits`' handlers (those of `check`) installed; a signal interrupts the query's
z3 context and `check` raises `Interrupted`. A thread start costs about 0.1 ms, little
beside a query.
"""

from __future__ import annotations

import threading

import z3

from mmcheck.explorer.core.limits import Limits

_POLL_S = 0.05  # how soon a signal interrupts the query in progress


class Interrupted(Exception):
    """A signal stopped the run; `reason` is "interrupted (SIGINT)" or "(SIGTERM)"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def poll(limits: Limits) -> None:
    """Interrupted if `limits` has caught a signal: where Python, not z3, does the work
    (encoding a step can take minutes), the run stops at the next poll."""
    if limits.signal:
        raise Interrupted(f"interrupted ({limits.signal})")


def check(
    solver: z3.Solver, limits: Limits, assumptions: tuple[z3.BoolRef, ...] = ()
) -> z3.CheckSatResult:
    """solver.check(*assumptions), stopped by a signal `limits` catches (see
    Limits.catching_signals)."""
    poll(limits)
    solver.set("ctrl_c", False)
    answer: list[z3.CheckSatResult | BaseException] = []

    def run() -> None:
        try:
            answer.append(solver.check(*assumptions))
        except BaseException as e:  # handed to the caller's thread below
            answer.append(e)

    worker = threading.Thread(target=run, name="z3-query", daemon=True)
    worker.start()
    interrupted = False
    while worker.is_alive():
        worker.join(_POLL_S)
        if limits.signal and not interrupted:
            solver.ctx.interrupt()
            interrupted = True
    poll(limits)
    (result,) = answer
    if isinstance(result, BaseException):
        raise result
    return result
