"""The `expect` declarations of a spec: which apply to a run, whether a result meets
them, and the runner behind `mmcheck test` (every expectation of every spec found).

An expectation names some constants; the others are as the spec defines them (a
constant defined from another follows it). It applies to a check whose constants are
exactly those of that run.
"""

from __future__ import annotations

import os
import shlex
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from mmcheck import explorer, spec
from mmcheck.explorer.core import registry
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, Result
from mmcheck.spec import ir
from mmcheck.spec.errors import SpecErrors

SPEC_SUFFIX = ".mms"
INTERRUPTED = "interrupted"  # how explorer.limits begins the reason of a signalled stop


def show_const(program: ir.Program, name: str, value: int) -> str:
    try:
        decl = next(c for c in program.consts if c.name == name)
    except StopIteration:
        return str(value)
    return decl.type.show(value)


def describe_consts(program: ir.Program, consts: Iterable[tuple[str, int]]) -> str:
    text = ", ".join(f"{n}={show_const(program, n, v)}" for n, v in consts)
    return text or "defaults"


def in_steps(n: int) -> str:
    return f" in {n} step{'s' if n != 1 else ''}"


def describe_expect(expect: ir.Expect) -> str:
    """`holds`, `violates NoLeak in 9 steps`, `fails assert`, `deadlock with 40 states`."""
    if expect.verdict == "holds":
        text = "holds"
    elif expect.verdict == "invariant":
        text = f"violates {expect.prop}" if expect.prop else "violates an invariant"
    elif expect.verdict == "deadlock":
        text = "deadlock"
    else:
        text = f"fails {expect.verdict}"
    if expect.steps is not None:
        text += in_steps(expect.steps)
    if expect.states is not None:
        text += f" with {expect.states} states"
    if expect.covers:
        text += f", covers {', '.join(expect.covers)}"
    if expect.checks is not None:
        text += f" (invariants {', '.join(expect.checks)})"
    return text


def describe_result(result: Result, states: bool = False, covers: tuple[str, ...] = ()) -> str:
    """The outcome in the words of `describe_expect`, so the two can be compared by eye
    (with the distinct-state count if `states`, and which of `covers` were reached)."""
    count = f" with {result.stats.distinct} states" if states else ""
    if result.verdict == HOLDS:
        return "holds" + count + describe_covers(result, covers)
    if result.verdict == INCOMPLETE:
        return f"incomplete ({result.reason or 'stopped early'})"
    v = result.violation
    assert v is not None  # a violated result carries its violation
    if v.kind == "invariant":
        text = f"violates {v.name}"
    elif v.kind == "deadlock":
        text = "deadlock"
    else:
        text = f"fails {v.kind}"
    return f"{text}{in_steps(v.length)}{count}{describe_covers(result, covers)}"


def describe_covers(result: Result, names: tuple[str, ...]) -> str:
    """`, covers A (B not reached)`: which of the covers `names` the run reached."""
    reached = {c.name for c in result.covers if c.reached}
    hit = [n for n in names if n in reached]
    missed = [n for n in names if n not in reached]
    text = f", covers {', '.join(hit)}" if hit else ""
    if missed:
        text += f" ({', '.join(missed)} not reached)"
    return text


def matches(expect: ir.Expect, result: Result, count_states: bool = True) -> bool:
    """Does `result` meet `expect`? The state count is compared only if `count_states`
    (a run without symmetry reduction counts more states than the spec pins)."""
    if count_states and expect.states is not None and result.stats.distinct != expect.states:
        return False
    reached = {c.name for c in result.covers if c.reached}
    if not reached.issuperset(expect.covers):
        return False
    if expect.verdict == "holds":
        return result.verdict == HOLDS
    v = result.violation
    if v is None or v.kind != expect.verdict:
        return False
    if expect.prop is not None and v.name != expect.prop:
        return False
    return expect.steps is None or v.length == expect.steps


def const_values(program: ir.Program) -> dict[str, int | None]:
    return {c.name: c.value for c in program.consts}


ConstsOf = Callable[[ir.Expect], dict[str, int | None] | None]


def applicable(program: ir.Program, consts_of: ConstsOf) -> list[ir.Expect]:
    """The expectations of `program` that `mmcheck test` checks with exactly the
    constants `program` has: `consts_of(e)` gives those of its run for `e` (None where
    the spec does not load so), in which a constant defined from another follows it."""
    actual = const_values(program)
    return [
        e
        for e in program.expects
        # a constant the expectation sets differs: no need to load the spec for it
        if all(actual.get(n) == v for n, v in e.consts) and consts_of(e) == actual
    ]


def load_case(path: Path, base: ir.Program, e: ir.Expect) -> ir.Program:
    """The spec at `path` as `mmcheck test` checks `e`: loaded with e's constants, the
    others as the spec defines them (`base`: the spec loaded once, for their types)."""
    return spec.load(path, expect_consts(base, e))


def case_consts(path: Path, base: ir.Program) -> ConstsOf:
    """`consts_of` for `applicable`: the constants of the spec at `path` loaded as
    `mmcheck test` checks an expectation, each set of them loaded once."""
    loaded: dict[tuple[tuple[str, int], ...], dict[str, int | None] | None] = {}

    def consts_of(e: ir.Expect) -> dict[str, int | None] | None:
        if e.consts not in loaded:
            try:
                loaded[e.consts] = const_values(load_case(path, base, e))
            except SpecErrors:
                loaded[e.consts] = None
        return loaded[e.consts]

    return consts_of


def load_defaults(path: Path) -> ir.Program:
    """The spec with its default constants (symbolic where a constant has none)."""
    try:
        return spec.load(path)
    except SpecErrors:
        return spec.load(path, symbolic=True)


def expect_consts(program: ir.Program, expect: ir.Expect) -> dict[str, int | bool]:
    """The expectation's constants as `spec.load` takes them (bools as bools)."""
    kinds = {c.name: c.type.is_bool for c in program.consts}
    return {n: bool(v) if kinds.get(n) else v for n, v in expect.consts}


@dataclass(frozen=True)
class Comparison:
    """One applicable expectation and how the result compares with it."""

    expect: ir.Expect
    expected: str
    got: str
    met: bool
    note: str | None = None  # what was left out of the comparison

    def to_json(self) -> dict[str, object]:
        return {
            "loc": str(self.expect.loc),
            "expected": self.expected,
            "got": self.got,
            "met": self.met,
            "note": self.note,
            "invariants": list(self.expect.checks) if self.expect.checks is not None else None,
            "covers": list(self.expect.covers),
        }


def reduced(program: ir.Program, options: CheckOptions) -> bool:
    """Whether a check of `program` with `options` reduces by symmetry, so that its state
    count is the one an expectation pins: not with --no-symmetry, nor on a back end that
    does no symmetry reduction where the spec has some, nor with --por (it counts the
    states of the reduced graph)."""
    if options.por:
        return False
    return options.symmetry and (registry.get(options.backend).symmetry or not program.symmetric)


def options_for(expect: ir.Expect, options: CheckOptions) -> CheckOptions:
    """The options of the run that checks `expect`: the invariants (and lemmas) its
    clause names, as --inv would; without one, every invariant and no lemma."""
    return replace(options, invariants=expect.checks, lemmas=False)


def checked(program: ir.Program, options: CheckOptions) -> set[str]:
    """The invariants and lemmas a check of `program` with `options` looks at."""
    return {i.name for i in program.invariants if i.checked(options.invariants, options.lemmas)}


def compare(
    program: ir.Program, result: Result, path: Path, options: CheckOptions
) -> tuple[list[Comparison], list[ir.Expect]]:
    """The expectations of the spec at `path` that apply to `program`'s constants and
    check what the run with `options` checked, each compared with `result`; and those
    that apply but check other invariants (not compared)."""
    count_states = reduced(program, options)
    run = checked(program, options)
    found = applicable(program, case_consts(path, program))
    same = [e for e in found if checked(program, options_for(e, options)) == run]
    return [
        Comparison(
            e,
            describe_expect(e),
            describe_result(result, count_states and e.states is not None, e.covers),
            matches(e, result, count_states),
            None
            if count_states or e.states is None
            else "state count not compared "
            + ("with --por" if options.por else "without symmetry reduction"),
        )
        for e in same
    ], [e for e in found if e not in same]


# --------------------------------------------------------------------------- the runner


@dataclass(frozen=True)
class Case:
    """One expectation checked, or a spec that could not be loaded (expect is None)."""

    spec: str
    consts: str
    expected: str
    got: str
    ok: bool
    states: int | None
    seconds: float
    error: str | None = None
    interrupted: bool = False  # Ctrl-C or SIGTERM stopped its check: stop the whole run


def find_specs(paths: Iterable[str]) -> list[Path]:
    """The spec files named, and every .mms below the directories named, sorted."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(p.rglob("*" + SPEC_SUFFIX)))
        else:
            found.append(p)
    return found


@dataclass(frozen=True)
class Planned:
    """An expectation to check: the spec, its defaults-loaded program and the `expect`."""

    path: Path
    base: ir.Program
    expect: ir.Expect

    @property
    def consts(self) -> str:
        return describe_consts(self.base, self.expect.consts)

    @property
    def command(self) -> str:
        """The `mmcheck check` command that reproduces this case, with its trace."""
        defines = "".join(f" -D {n}={show_const(self.base, n, v)}" for n, v in self.expect.consts)
        checks = "".join(f" --inv {n}" for n in self.expect.checks or ())
        return f"mmcheck check {shlex.quote(str(self.path))}{defines}{checks}"


def plan(specs: list[Path]) -> tuple[list[Planned], list[Case]]:
    """Every expectation of every spec, and a failed case for each spec that does not load."""
    planned: list[Planned] = []
    broken: list[Case] = []
    for path in specs:
        try:
            base = load_defaults(path)
        except SpecErrors as e:
            broken.append(Case(str(path), "", "", "spec error", False, None, 0.0, e.format()))
            continue
        planned.extend(Planned(path, base, e) for e in base.expects)
    return planned, broken


def run_case(p: Planned, options: CheckOptions) -> Case:
    expected = describe_expect(p.expect)
    start = time.monotonic()
    try:
        program = load_case(p.path, p.base, p.expect)
        result = explorer.check(program, options=options_for(p.expect, options))
    except SpecErrors as err:
        return Case(
            str(p.path),
            p.consts,
            expected,
            "spec error",
            False,
            None,
            time.monotonic() - start,
            err.format(),
        )
    count_states = reduced(program, options)
    return Case(
        str(p.path),
        p.consts,
        expected,
        describe_result(result, count_states and p.expect.states is not None, p.expect.covers),
        matches(p.expect, result, count_states),
        result.stats.distinct,
        time.monotonic() - start,
        interrupted=result.verdict == INCOMPLETE and (result.reason or "").startswith(INTERRUPTED),
    )


@dataclass(frozen=True)
class Widths:
    spec: int
    consts: int
    expected: int

    def line(self, case: Case) -> str:
        status = "ok" if case.ok else ("ERROR" if case.error else "FAIL")
        states = f"{case.states:,} states" if case.states is not None else ""
        return (
            f"{status:<5} {case.spec:<{self.spec}}  {case.consts:<{self.consts}}  "
            f"expected {case.expected:<{self.expected}}  got {case.got:<{self.expected + 4}}"
            f"  {states:>15}  {case.seconds:6.2f} s"
        ).rstrip()


def summary(
    cases: list[Case], n_specs: int, not_run: int = 0, interrupted: str | None = None
) -> str:
    passed = sum(c.ok for c in cases)
    errors = sum(1 for c in cases if c.error)
    failed = len(cases) - passed - errors
    text = (
        f"{len(cases)} case{'s' if len(cases) != 1 else ''} in {n_specs} spec "
        f"file{'s' if n_specs != 1 else ''}: {passed} passed, {failed} failed, {errors} errors."
    )
    return text + (f" Interrupted by {interrupted}: {not_run} not run." if interrupted else "")


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interruption:
    """SIGINT and SIGTERM while a suite runs, as a context manager (main thread only:
    elsewhere signals keep their handlers).

    Between checks a signal raises KeyboardInterrupt at once. Inside a check the
    check's own handler takes it (explorer.core.limits) and the check stops at its next
    poll, but a short check may end first, complete, and the signal would be lost. So
    each signal also leaves its number in a pipe (signal.set_wakeup_fd: the interpreter
    writes it whichever Python handler is installed), which `arrived` reads after
    every case."""

    def __init__(self) -> None:
        self.signal: str | None = None  # the first stop signal that arrived
        self._pipe: tuple[int, int] | None = None
        self._old_fd = -1
        self._old: dict[signal.Signals, Callable[[int, FrameType | None], Any] | int | None] = {}

    def __enter__(self) -> Interruption:
        if threading.current_thread() is not threading.main_thread():
            return self
        self._pipe = os.pipe()
        for fd in self._pipe:
            os.set_blocking(fd, False)  # set_wakeup_fd's requirement; reads never wait
        self._old_fd = signal.set_wakeup_fd(self._pipe[1], warn_on_full_buffer=False)
        self._old = {s: signal.signal(s, self._handler) for s in STOP_SIGNALS}
        return self

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.signal = self.signal or signal.Signals(signum).name
        raise KeyboardInterrupt

    def arrived(self) -> bool:
        """Whether SIGINT or SIGTERM came since the suite began, in a check or not."""
        if self._pipe is not None:
            try:
                numbers = os.read(self._pipe[0], 4096)
            except BlockingIOError:  # nothing written
                numbers = b""
            for n in numbers:
                if n in STOP_SIGNALS and self.signal is None:
                    self.signal = signal.Signals(n).name
        return self.signal is not None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pipe is None:
            return
        for s, handler in self._old.items():
            signal.signal(s, handler)
        signal.set_wakeup_fd(self._old_fd)
        for fd in self._pipe:
            os.close(fd)
        self._pipe = None


@dataclass(frozen=True)
class SuiteRun:
    """What `run_all` did: the cases run, how many were not run, and the signal that
    stopped the suite (None if it ran to the end)."""

    cases: list[Case]
    not_run: int
    interrupted: str | None


def run_all(paths: Iterable[str], emit: Callable[[str], None], options: CheckOptions) -> SuiteRun:
    """Run every expectation of every spec found, emitting one line per case as it
    finishes (a spec error with its message), then the summary. Ctrl-C or SIGTERM stops
    the suite: the case under way as incomplete, or, where its check ended first,
    right after it."""
    specs = find_specs(paths)
    planned, cases = plan(specs)
    widths = Widths(
        max((len(str(p)) for p in specs), default=0),
        max((len(p.consts) for p in planned), default=0),
        max((len(describe_expect(p.expect)) for p in planned), default=0),
    )
    for case in cases:
        emit(widths.line(case))
        emit(case.error or "")
    done = 0
    with Interruption() as stop:
        try:
            for p in planned:
                case = run_case(p, options)
                done += 1
                cases.append(case)
                emit(widths.line(case))
                if case.error:
                    emit(case.error)
                elif not case.ok:
                    emit(f"      to see it: {p.command}")
                if case.interrupted or stop.arrived():
                    break
        except KeyboardInterrupt:  # between two checks, outside their signal handling
            pass
        interrupted = stop.signal if stop.arrived() else None
    not_run = len(planned) - done
    checked = {str(p.path) for p in planned} | {c.spec for c in cases}
    unchecked = [str(p) for p in specs if str(p) not in checked]
    if unchecked:
        emit("No expect lines, not checked: " + ", ".join(unchecked))
    emit(summary(cases, len(specs), not_run, interrupted))
    return SuiteRun(cases, not_run, interrupted)
