"""What every search shares: `Search` holds the model, the properties checked, the
bounds and the statistics, and turns what a frontier policy finds into a `Result`.
The policies are the back ends' (explorer.tuple.bfs, explorer.tuple.simulate,
explorer.vector.engine).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from mmcheck.explorer.core.coverage import Coverage
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.model import EvalError, Model, State
from mmcheck.explorer.core.observers import Observer
from mmcheck.explorer.core.result import (
    INCOMPLETE,
    VIOLATED,
    Cover,
    Result,
    Stats,
    Step,
    Violation,
    const_values,
)
from mmcheck.explorer.core.symmetry import real_trace
from mmcheck.spec.ir import Invariant

if TYPE_CHECKING:
    from mmcheck.explorer.liveness.behaviour import BehaviourGraph

POLL_EVERY = 4096  # states expanded between two polls of the limits


class Search:
    """One run: model, properties, bounds, statistics, and the result they give."""

    def __init__(
        self,
        model: Model,
        invariants: list[tuple[Invariant, Callable]],
        deadlock: bool,
        limits: Limits,
        *,
        canon: Callable | None = None,
        coverage: Coverage | None = None,
        backend: str = "tuple",
    ) -> None:
        self.model = model
        self.invariants = invariants
        self.deadlock = deadlock
        self.limits = limits
        self.canon = canon
        self.coverage = coverage
        # told of every expanded state (explorer.core.observers): the coverage, if recorded
        self.observers: list[Observer] = [coverage] if coverage is not None else []
        # the liveness observer (explorer.liveness.behaviour), if properties are checked:
        # the engine also tells it the initial states it stores
        self.behaviour: BehaviourGraph | None = None
        self.stats = Stats(backend=backend)
        self.warnings: list[str] = []
        self.constraints = model.constraints
        # the covers, and per cover the trace to the first state stored where it holds
        # (a shortest one, as a BFS stores states level by level); `unreached`: the
        # indices of those without one yet, empty once every cover is reached
        self.covers = model.covers
        self.witnesses: list[tuple[Step, ...] | None] = [None] * len(self.covers)
        self.unreached = list(range(len(self.covers)))
        invariants_ok = model.all_hold(inv for inv, _ in invariants)
        # s -> the check of a state kept in the state space (see `kept`): the constraints
        # evaluate without error and every chosen invariant holds (may raise EvalError)
        if self.constraints:
            constraints_ok = model.constraints_ok
            self.invariants_ok = lambda s: constraints_ok(s) and invariants_ok(s)
        else:
            self.invariants_ok = invariants_ok

    # --- properties
    def kept(self, state: State) -> bool:
        """Whether `state` is in the state space the constraints leave: none of them is
        false, evaluated in order. A state where one fails to evaluate (the earlier ones
        holding) is kept, so that its check (`state_ok`) reports the error."""
        try:
            return bool(self.model.constraints_ok(state))
        except EvalError:
            return True

    @property
    def checks_states(self) -> bool:
        """Whether a state kept has anything to check (`state_ok` is not always true)."""
        return bool(self.invariants or self.constraints)

    def state_ok(self, state: State) -> bool:
        """The check of a kept state: the constraints evaluate and every chosen invariant
        holds (an evaluation error counts as not)."""
        try:
            return bool(self.invariants_ok(state))
        except EvalError:
            return False

    def state_violation(self, steps: list[Step]) -> Violation:
        """Why the last state of `steps` is not `state_ok`: its first violation."""
        found = next(self.invariant_violations(steps), None)
        if found is None:
            raise RuntimeError("the invariants hold in the rebuilt trace (are they symmetric?)")
        return found

    def invariant_violations(self, steps: list[Step]) -> Iterator[Violation]:
        """The violation of each chosen invariant that is false, or fails to evaluate,
        in the last state of `steps`, in order; first the error of the constraint that
        fails to evaluate there, if one does."""
        state = steps[-1].state
        for con, fn in self.constraints:
            try:
                if fn(state):
                    continue
            except EvalError as e:
                yield Violation(
                    e.kind,
                    con.name,
                    f"{e.message} (evaluating constraint {con.name})",
                    e.loc,
                    tuple(steps),
                )
            break  # the later constraints are not evaluated (nor in `kept`)
        for inv, fn in self.invariants:
            try:
                holds = fn(state)
            except EvalError as e:
                yield Violation(
                    e.kind,
                    inv.name,
                    f"{e.message} (evaluating invariant {inv.name})",
                    e.loc,
                    tuple(steps),
                )
                continue
            if not holds:
                yield Violation(
                    "invariant",
                    inv.name,
                    f"invariant {inv.name} is violated",
                    inv.loc,
                    tuple(steps),
                )

    def covered(self, state: State) -> list[int]:
        """The covers not reached yet that hold in `state`, a state stored (canonical
        under symmetry: covers are symmetric, as invariants). An error evaluating one
        counts as not holding: a cover is a witness sought, not a property checked."""
        hits = []
        for j in self.unreached:
            try:
                if self.covers[j][1](state):
                    hits.append(j)
            except EvalError:
                pass
        return hits

    def reach(self, covers: list[int], steps: list[Step]) -> None:
        """The covers `covers` are reached at the last state of `steps`."""
        for j in covers:
            self.witnesses[j] = tuple(steps)
            self.unreached.remove(j)

    def is_stuck(self, state: State) -> bool:
        """For a state without successors: a deadlock, or an error in deciding it."""
        try:
            return self.deadlock and self.model.is_deadlock(state)
        except EvalError:
            return True

    def stuck_violation(self, steps: list[Step]) -> Violation:
        """The deadlock (or the error deciding it) at the last state of `steps`."""
        try:
            self.model.is_deadlock(steps[-1].state)
        except EvalError as e:
            return Violation(
                e.kind,
                None,
                f"{e.message} (evaluating the terminal condition)",
                e.loc,
                tuple(steps),
            )
        return Violation("deadlock", None, "deadlock: no step is enabled", None, tuple(steps))

    # --- violations, from the real trace that reaches the bad state
    def trace(self, initial: State, edges: list[int]) -> list[Step]:
        if self.canon is None:
            return self.model.replay(initial, edges)
        return real_trace(self.model, self.canon, initial, edges)

    def error_violation(self, steps: list[Step]) -> Violation:
        """The first edge that raises from the trace's last state (re-executed there, so
        that under symmetry it is the real state's edge)."""
        found = self.model.first_error(steps[-1].state)
        if found is None:
            raise RuntimeError("a step error could not be reproduced while rebuilding the trace")
        return self.step_error(steps, *found)

    def step_error(self, steps: list[Step], edge: int, err: EvalError) -> Violation:
        """The error `err` raised by taking `edge` from the last state of `steps`."""
        return Violation(
            err.kind, None, err.message, err.loc, tuple(steps), self.model.failed_step(edge)
        )

    def initial(self, initial: Iterable[State] | None = None) -> Iterator[State | None]:
        """The states to start from: `initial`, or the spec's, generated lazily with
        pauses (None) in which to poll the limits (see explorer.model)."""
        if initial is None:
            return self.model.init_choices()
        return (tuple(s) for s in initial)

    def initial_states(self, initial: Iterable[State] | None = None) -> list[State] | Result:
        """The states to start from, listed while the limits are polled; or the Result
        that ends the search there (a bound, a signal, an error in an initial state)."""
        states: list[State] = []
        polls = POLL_EVERY
        try:
            for s in self.initial(initial):
                polls -= 1
                if s is None or not polls:
                    polls = POLL_EVERY
                    self.stats.generated = self.stats.queue = len(states)
                    reason = self.limits.poll(self.stats)
                    if reason:
                        return self.result(INCOMPLETE, None, reason)
                if s is not None:
                    states.append(s)
        except EvalError as e:
            return self.result(VIOLATED, self.init_error(e))
        self.stats.generated = self.stats.queue = 0
        return states

    def init_error(self, err: EvalError) -> Violation:
        return Violation(err.kind, None, err.message, err.loc, ())

    # --- the result
    def result(
        self, verdict: str, violation: Violation | None = None, reason: str | None = None
    ) -> Result:
        self.limits.finish(self.stats)
        if violation is not None:  # the bad state is found one level below the one expanded
            self.stats.depth = max(self.stats.depth, len(violation.trace) - 1)
        return Result(
            verdict,
            self.stats,
            violation,
            reason,
            self.coverage.entries() if self.coverage else None,
            self.model.program.name,
            const_values(self.model.program),
            list(self.warnings),
            [Cover(c.name, c.loc, w) for (c, _), w in zip(self.covers, self.witnesses)],
            branches=self.coverage.branch_entries() if self.coverage else None,
            program=self.model.program,
        )
