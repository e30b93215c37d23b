"""What a check returns: verdict, statistics, the violation and its trace, coverage,
the covers reached.

Shared by every back end (tuple, vector), by the prover's CTIs and BMC traces, and by
every output format, so that all of them print and compare the same objects. A Result
keeps the program checked, and gives it to the steps of its traces: `step.values` is
the state as the spec writes it (explorer.core.values).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.values import state_values
from mmcheck.spec import ir
from mmcheck.spec.errors import Loc

HOLDS, VIOLATED, INCOMPLETE = "holds", "violated", "incomplete"

# The command's exit statuses: ok, violation, spec or usage error, incomplete; and
# SIGPIPE's, as a shell reports a writer killed by it (the output pipe closed early).
EXIT_OK, EXIT_VIOLATION, EXIT_ERROR, EXIT_INCOMPLETE = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 128 + 13
# BMC's "no violation up to depth K": exit 0 as the prover's bounded verb, never "holds"
BOUNDED = "bounded"

# Violation kinds: a named invariant, a state with no step enabled, an error in a step,
# or a temporal property's fair lasso.
VIOLATION_KINDS = ("invariant", "deadlock", "assert", "lock", "range", "domain", "div", "property")

# The action of a stutter step in a lasso (the state stays as it is): not an identifier,
# so no action of a spec can have this name
STUTTER = "(stutter)"


@dataclass(frozen=True)
class Step:
    """One state of a trace and the action that led to it (None for an initial state).

    `params` holds the action's parameter values as raw ints (hidden ones included);
    `instance` names the process instance ("fault[2]") for a process step. `program`
    is the program the state is of, given by the Result the step is in."""

    action: str | None
    params: tuple[tuple[str, int], ...]
    state: tuple[int, ...]
    process: str | None = None
    instance: str | None = None
    label: str | None = None
    loc: Loc | None = None
    program: ir.Program | None = field(default=None, repr=False, compare=False)

    @property
    def values(self) -> dict[str, Any]:
        """The state as the spec writes it: each variable, lock and process -> its value
        in plain Python (explorer.core.values), e.g. `{"page": {"count": 1, ...},
        "pte": {1: "present"}}`."""
        if self.program is None:
            raise ValueError("this step has no program: only the steps of a Result have values")
        return state_values(self.program, self.state)


def with_program(steps: Iterable[Step], program: ir.Program) -> tuple[Step, ...]:
    """The steps, each given the program its state is of."""
    return tuple(s if s.program is program else replace(s, program=program) for s in steps)


@dataclass(frozen=True)
class FailedStep:
    """The step that raised an error: taken from the last state of the trace."""

    action: str
    params: tuple[tuple[str, int], ...]
    process: str | None = None
    instance: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Violation:
    kind: str  # one of VIOLATION_KINDS, or "cover" for a cover's witness (Cover.witness)
    name: str | None  # the invariant's name for kind "invariant"
    message: str
    loc: Loc | None  # the offending construct (invariant, assert, assignment, lock op)
    trace: tuple[Step, ...]  # from an initial state to the bad state
    failed: FailedStep | None = None  # for errors raised while taking a step
    # for a lasso (kind "property"): the index in `trace` of the state its cycle starts
    # at; the trace ends with the step back to it (trace[-1].state == trace[loop].state),
    # so the cycle has len(trace) - 1 - loop steps
    loop: int | None = None

    @property
    def cycle(self) -> int | None:
        """The steps of a lasso's cycle (None for a finite trace)."""
        return None if self.loop is None else len(self.trace) - 1 - self.loop

    @property
    def length(self) -> int:
        """Steps in the trace (an initial-state violation has length 0, and so has an
        error computing the initial states, whose trace is empty); a failed step counts
        as one more step."""
        return max(len(self.trace) - 1, 0) + (1 if self.failed else 0)


@dataclass(frozen=True)
class Cover:
    """A witness property's outcome: `trace` leads to a state where it holds (in a BFS
    the shortest such trace), or is None where no state explored reaches it."""

    name: str
    loc: Loc
    trace: tuple[Step, ...] | None = None

    @property
    def reached(self) -> bool:
        return self.trace is not None

    @property
    def length(self) -> int:
        """Steps to the witness state (0 for an initial state)."""
        return len(self.trace) - 1 if self.trace else 0

    def witness(self) -> Violation:
        """The trace to the witness state, as the trace printers take it: a Violation of
        kind "cover" (what every printer shows as a trace, though nothing is violated)."""
        assert self.trace is not None
        return Violation("cover", self.name, f"cover {self.name} is reached", self.loc, self.trace)


@dataclass
class Stats:
    generated: int = 0  # successor states computed (initial states included)
    distinct: int = 0  # distinct states stored
    queue: int = 0  # states left to explore
    depth: int = 0  # deepest BFS level reached (initial states are depth 0)
    elapsed: float = 0.0  # seconds of the search
    wall: float = 0.0  # seconds of the whole check: loading, compiling, searching, traces
    bytes_per_state: float | None = None  # peak RSS growth per state, where meaningful (limits)
    collision_probability: float | None = None  # fingerprint mode only
    workers: int = 1
    backend: str = "tuple"  # the back end that ran the search (under auto: that ended it)
    # --backend auto: how the vector back end came in, or why it could not (None: the
    # tuple back end ran alone, as no level reached the threshold or an option asked so)
    auto: str | None = None
    # --simulate: the walks made (None for an exhaustive search), the steps they took in
    # all, and the random seed (the one given, or the one drawn for the run)
    walks: int | None = None
    steps: int = 0
    seed: int | None = None
    # partial-order reduction (--por): the states expanded through a stubborn subset of
    # their enabled steps, those fully expanded (None without --por), and of these the
    # ones the cycle proviso expanded fully
    por_reduced: int | None = None
    por_full: int | None = None
    por_proviso: int | None = None
    # with --por, a violation's trace comes from a re-run without reduction to its depth:
    # the distinct states of that re-run
    por_rerun: int | None = None
    # the strongly connected components the liveness check examined, summed over the
    # properties checked (None: no property was checked)
    sccs: int | None = None

    @property
    def states_per_second(self) -> float:
        return self.distinct / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class CoverageEntry:
    action: str
    process: str | None
    label: str | None
    enabled: int = 0  # states in which some instance of it was enabled
    taken: int = 0  # successors it produced


@dataclass
class BranchEntry:
    action: str
    kind: str  # "then", "else" or "branch k" (of an either)
    loc: Loc
    taken: int = 0  # successors whose step took it


@dataclass
class Result:
    verdict: str  # HOLDS, VIOLATED, INCOMPLETE, or BOUNDED (bmc)
    stats: Stats
    violation: Violation | None = None
    reason: str | None = None  # for INCOMPLETE: which bound stopped it
    coverage: list[CoverageEntry] | None = None
    spec: str = ""
    consts: tuple[tuple[str, int | bool], ...] = ()  # the program's (const_values)
    warnings: list[str] = field(default_factory=list)
    covers: list[Cover] = field(default_factory=list)  # one per cover, in spec order
    # CheckOptions.strict: a complete search that leaves a cover unreached fails
    strict: bool = False
    branches: list[BranchEntry] | None = None  # with the coverage: per if arm and either branch
    # the program checked, which every step of the traces is given (Step.values)
    program: ir.Program | None = field(default=None, repr=False, compare=False)
    # given by mmcheck.check: its options, and the writer of `check --json`'s document,
    # which sits above the core with the output formats and the expectations
    options: CheckOptions | None = field(default=None, repr=False, compare=False)
    writer: Callable[[Result], dict[str, Any]] | None = field(
        default=None, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.program is None:
            return
        if self.violation is not None:
            self.violation = replace(
                self.violation, trace=with_program(self.violation.trace, self.program)
            )
        self.covers = [
            replace(c, trace=with_program(c.trace, self.program)) if c.trace else c
            for c in self.covers
        ]

    @property
    def exit_code(self) -> int:
        if self.strict and self.verdict == HOLDS and self.unreached:
            return EXIT_VIOLATION
        return {
            HOLDS: EXIT_OK,
            BOUNDED: EXIT_OK,
            VIOLATED: EXIT_VIOLATION,
            INCOMPLETE: EXIT_INCOMPLETE,
        }[self.verdict]

    @property
    def unreached(self) -> list[Cover]:
        return [c for c in self.covers if not c.reached]

    @property
    def trace(self) -> tuple[Step, ...]:
        """The violation's trace, each step with its values (`trace[-1].values`)."""
        if self.violation is None:
            return ()
        if self.program is None:
            return self.violation.trace
        return with_program(self.violation.trace, self.program)

    def to_dict(self) -> dict[str, Any]:
        """The whole result as `mmcheck check --json` prints it (the same document)."""
        if self.writer is None:
            raise ValueError("only a Result of mmcheck.check has a JSON document")
        return self.writer(self)

    def __repr__(self) -> str:
        what = f"{self.verdict}, {self.stats.distinct:,} distinct states"
        if self.violation is not None:
            v = self.violation
            name = f" {v.name}" if v.name else ""
            what += f", {v.kind}{name} in {v.length} step{'s' * (v.length != 1)}"
        elif self.reason:
            what += f" ({self.reason})"
        return f"<Result {self.spec}: {what}>"

    def _repr_html_(self) -> str:
        """A small table for notebooks: the verdict, the counts, and the violation."""
        rows = [
            ("spec", self.spec),
            ("verdict", self.verdict + (f" ({self.reason})" if self.reason else "")),
            ("distinct states", f"{self.stats.distinct:,}"),
            ("states generated", f"{self.stats.generated:,}"),
            ("depth", str(self.stats.depth)),
        ]
        if self.violation is not None:
            v = self.violation
            rows.append(("violation", f"{v.kind}{' ' + v.name if v.name else ''}: {v.message}"))
            last = v.failed.action if v.failed else v.trace[-1].action if v.trace else None
            rows.append(("trace", f"{v.length} steps, the last {last or 'Init'}"))
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(x)}</td></tr>"
            for k, x in rows
        )
        return f"<table>{body}</table>"


def const_values(program: ir.Program) -> tuple[tuple[str, int | bool], ...]:
    """The program's constants that have a value (not those the prover keeps symbolic),
    bools as bools: `Result.consts`."""
    return tuple(
        (c.name, bool(c.value) if c.type.is_bool else c.value)
        for c in program.consts
        if c.value is not None
    )
