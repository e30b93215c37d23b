"""The `expect` declarations of a spec: which apply to a run, whether a result meets
them, and the runner behind `mmcheck test` (every expectation of every spec found).

An expectation names some constants; the others are as the spec defines them (a
constant defined from another follows it). It applies to a check whose constants are
exactly those of that run.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import pickle
import shlex
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from mmcheck import explorer, spec
from mmcheck.explorer import ktap
from mmcheck.explorer.core import registry
from mmcheck.explorer.core.forked import available_cpus, die_with_parent
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, Result
from mmcheck.explorer.report.json import result_json
from mmcheck.explorer.report.schema import TEST
from mmcheck.spec import ir
from mmcheck.spec.errors import SpecErrors, UsageError

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


def of_cycle(n: int | None) -> str:
    """` (cycle of 3 steps)`, a lasso's cycle as an expectation writes it ('' for None)."""
    return "" if n is None else f" (cycle of {n} step{'s' if n != 1 else ''})"


def describe_expect(expect: ir.Expect) -> str:
    """`holds`, `violates NoLeak in 9 steps`, `fails assert`, `deadlock with 40 states`."""
    if expect.verdict == "holds":
        text = "holds"
    elif expect.verdict == "invariant":
        text = f"violates {expect.prop}" if expect.prop else "violates an invariant"
    elif expect.verdict == "deadlock":
        text = "deadlock"
    elif expect.verdict == "property":
        text = f"violates property {expect.prop}" + of_cycle(expect.cycle)
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
    elif v.kind == "property":
        text = f"violates property {v.name}{of_cycle(v.cycle)}"
        return f"{text}{count}{describe_covers(result, covers)}"
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
    if expect.cycle is not None and v.cycle != expect.cycle:
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


def expectations(
    options: CheckOptions, program: ir.Program, result: Result, path: Path
) -> tuple[list[Comparison], str | None]:
    """The expectations that apply to this run and check the invariants it checked,
    each compared with the result; and why others could not be (a partial run, flags
    that change what is checked)."""
    if not program.expects:
        return [], None
    if result.verdict == INCOMPLETE:
        return [], "the run is incomplete"
    changed = [
        flag
        for flag, on in (
            ("--no-deadlock", not options.deadlock),
            ("--simulate", options.simulate),
            # `holds` means every property holds too
            ("--property/--no-properties", program.properties and options.properties is not None),
        )
        if on
    ]
    if changed:
        return [], f"{', '.join(changed)} changes what is checked"
    compared, others = compare(program, result, path, options)
    if not others:
        return compared, None
    wanted = ", ".join(
        f"{e.loc} ({'invariants ' + ', '.join(e.checks) if e.checks else 'every invariant'})"
        for e in others
    )
    return compared, f"the run checks other invariants than {wanted}"


def document(result: Result) -> dict[str, Any]:
    """`Result.to_dict` of a result of explorer.check, which gives it: what `mmcheck
    check --json` prints, the result as JSON and the expectations compared with it."""
    program, options = result.program, result.options
    if program is None or options is None:
        raise ValueError("only a Result of mmcheck.check has a JSON document")
    compared, _ = expectations(options, program, result, Path(program.file))
    doc = result_json(program, result)
    doc["expectations"] = [c.to_json() for c in compared]
    return doc


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

    def to_json(self) -> dict[str, object]:
        """The case as `mmcheck test --json` writes it."""
        return {
            "spec": self.spec,
            "consts": self.consts,
            "expected": self.expected,
            "got": self.got,
            "met": self.ok,
            "states": self.states,
            "seconds": self.seconds,
            "error": self.error,
            "interrupted": self.interrupted,
        }


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


def case_names(planned: list[Planned]) -> list[str]:
    """Names for the expectations of one spec, as pytest items and KTAP subtests: the
    constants as `mmcheck test` prints them, then `[A, B]` where the expectation checks
    only invariants A and B, and ` (line N)` where two would still share a name."""
    names = [
        p.consts + (f"[{', '.join(p.expect.checks)}]" if p.expect.checks is not None else "")
        for p in planned
    ]
    count = Counter(names)
    return [
        name + (f" (line {p.expect.loc.line})" if count[name] > 1 else "")
        for p, name in zip(planned, names, strict=True)
    ]


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
    """The columns of `mmcheck test`'s lines: as wide as their widest entry, or, where
    the lines go to a terminal `terminal` columns wide and would not fit, narrower:
    the outcome's column goes (the report gives a failed case's expectation and
    outcome whole under its line), then the wide fields are shortened first, each
    field whole or cut with `...` (the spec at its start, keeping the file's name),
    never wrapped."""

    spec: int
    consts: int
    expected: int
    terminal: int | None = None

    def fields(self) -> tuple[int, int, int, int | None]:
        """The widths of the spec, the constants, the expectation and the outcome
        (None: no outcome column)."""
        wants = (self.spec, self.consts, self.expected)
        if self.terminal is None or sum(wants) + self.expected + 4 + WIDE_FIXED <= self.terminal:
            return (*wants, self.expected + 4)
        spec_w, consts_w, expected_w = share(wants, self.terminal - NARROW_FIXED)
        return spec_w, consts_w, expected_w, None

    def line(self, case: Case) -> str:
        spec_w, consts_w, expected_w, got_w = self.fields()
        cut = self.terminal is not None
        status = "ok" if case.ok else ("ERROR" if case.error else "FAIL")
        states = f"{case.states:,} states" if case.states is not None else ""
        spec_text = clip(case.spec, spec_w, from_start=True) if cut else case.spec
        consts = clip(case.consts, consts_w) if cut else case.consts
        expected = clip(case.expected, expected_w) if cut else case.expected
        got = (
            "" if got_w is None else f"  got {clip(case.got, got_w) if cut else case.got:<{got_w}}"
        )
        return (
            f"{status:<5} {spec_text:<{spec_w}}  {consts:<{consts_w}}  "
            f"expected {expected:<{expected_w}}{got}  {states:>15}  {case.seconds:6.2f} s"
        ).rstrip()

    def clipped(self, case: Case) -> bool:
        """Whether `line` left out or cut the expectation or the outcome of `case`."""
        _, _, expected_w, got_w = self.fields()
        if self.terminal is None:
            return False
        return got_w is None or len(case.got) > got_w or len(case.expected) > expected_w


# the columns of a line besides its fields: status, labels, states, time, the gaps
NARROW_FIXED = len("FAIL  " + "  " + "  expected " + "  " + " " * 15 + "  0000.00 s")
WIDE_FIXED = NARROW_FIXED + len("  got ")
LEAST_FIELD = 8  # a field is not cut shorter than this, even past the terminal's edge
ELLIPSIS = "..."


def share(wants: tuple[int, int, int], room: int) -> tuple[int, int, int]:
    """Widths for fields that want `wants` within `room` columns: the narrow ones whole,
    the others an equal share of what is left (at least LEAST_FIELD, or what it wants)."""
    widths = list(wants)
    left = room
    order = sorted(range(len(wants)), key=lambda i: wants[i])
    for k, i in enumerate(order):
        fair = max(left // (len(wants) - k), LEAST_FIELD)
        widths[i] = min(wants[i], fair)
        left -= widths[i]
    return widths[0], widths[1], widths[2]


def clip(text: str, width: int, from_start: bool = False) -> str:
    """`text` in at most `width` columns: cut at its end (or start) with `...`."""
    if len(text) <= width:
        return text
    keep = max(width - len(ELLIPSIS), 0)
    if from_start:
        return ELLIPSIS + text[len(text) - keep :]
    return text[:keep] + ELLIPSIS


def tally(cases: list[Case]) -> tuple[int, int, int]:
    """How many cases passed, failed and could not be run (a spec error)."""
    passed = sum(c.ok for c in cases)
    errors = sum(1 for c in cases if c.error)
    return passed, len(cases) - passed - errors, errors


def summary(
    cases: list[Case], n_specs: int, not_run: int = 0, interrupted: str | None = None
) -> str:
    passed, failed, errors = tally(cases)
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
    every case. Where the cases run in other processes (`raising=False`), a signal only
    leaves its number: the runner waits on the pipe (`waitables`) beside its workers."""

    def __init__(self, raising: bool = True) -> None:
        self.signal: str | None = None  # the first stop signal that arrived
        self.raising = raising
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
        if self.raising:
            raise KeyboardInterrupt

    def waitables(self) -> list[int]:
        """What to wait on beside the workers to wake up at a signal."""
        return [self._pipe[0]] if self._pipe is not None else []

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
    specs: int = 0  # spec files found
    unchecked: tuple[str, ...] = ()  # those without an expect line

    def to_dict(self) -> dict[str, Any]:
        """The whole run as `mmcheck test --json` writes it (format mmcheck-test/1)."""
        passed, failed, errors = tally(self.cases)
        return {
            "format": TEST,
            "cases": [c.to_json() for c in self.cases],
            "summary": {
                "cases": len(self.cases),
                "specs": self.specs,
                "passed": passed,
                "failed": failed,
                "errors": errors,
                "not_run": self.not_run,
            },
            "unchecked": list(self.unchecked),
            "interrupted": self.interrupted,
        }


@dataclass(frozen=True)
class Suite:
    """What `run_all` found: the spec files, the expectations to check (`plan`), and
    a case for each spec that does not load."""

    specs: list[Path]
    planned: list[Planned]
    broken: list[Case]


class TextReport:
    """`mmcheck test`'s lines: one a case as it finishes (a spec error with its message,
    a failed case with the command that shows it, and, where the terminal's width cut
    them, its expectation and outcome whole), the specs without expect lines, the
    summary."""

    def __init__(
        self, emit: Callable[[str], None], suite: Suite, terminal: int | None = None
    ) -> None:
        self.emit = emit
        self.planned = suite.planned
        self.widths = Widths(
            max((len(str(p)) for p in suite.specs), default=0),
            max((len(p.consts) for p in suite.planned), default=0),
            max((len(describe_expect(p.expect)) for p in suite.planned), default=0),
            terminal,
        )
        for case in suite.broken:
            emit(self.widths.line(case))
            emit(case.error or "")

    def case(self, i: int, case: Case) -> None:
        self.emit(self.widths.line(case))
        if case.error:
            self.emit(case.error)
        elif not case.ok:
            if self.widths.clipped(case):
                self.emit(f"      expected {case.expected}")
                self.emit(f"      got      {case.got}")
            self.emit(f"      to see it: {self.planned[i].command}")

    def not_run(self, i: int, why: str) -> None:
        """The summary counts the cases not run."""

    def finish(self, run: SuiteRun) -> None:
        if run.unchecked:
            self.emit("No expect lines, not checked: " + ", ".join(run.unchecked))
        self.emit(summary(run.cases, run.specs, run.not_run, run.interrupted))


class KtapReport:
    """`mmcheck test --ktap`: a KTAP version 1 document (explorer.ktap) of one test per
    spec file, in the order found, its expect lines as subtests named as the pytest
    plugin names them (`case_names`). A failed case carries what was expected, what
    came and the command that shows it as diagnostic lines; a spec that does not load
    is `not ok` with its message and `# ERROR`; one without expect lines `ok` with
    `# SKIP`; a case not run (the suite was stopped) `not ok`, saying why."""

    def __init__(self, emit: Callable[[str], None], suite: Suite) -> None:
        specs, planned = suite.specs, suite.planned
        self.emit = emit
        self.planned = planned
        # per spec found: its case (a spec error), the indices of its cases, or none
        self.entries: list[Case | list[int] | None] = []
        errors = iter(suite.broken)
        error = next(errors, None)
        j = 0
        for path in specs:
            if error is not None and error.spec == str(path):
                self.entries.append(error)
                error = next(errors, None)
                continue
            mine = []
            while j < len(planned) and planned[j].path is path:  # plan keeps `path` itself
                mine.append(j)
                j += 1
            self.entries.append(mine or None)
        self.spec_of: dict[int, int] = {}
        self.names: dict[int, str] = {}
        for k, entry in enumerate(self.entries):
            if isinstance(entry, list):
                self.spec_of.update(dict.fromkeys(entry, k))
                names = case_names([planned[i] for i in entry])
                self.names.update(zip(entry, names, strict=True))
        self.specs = [str(p) for p in specs]
        self.next = 0  # the first spec not yet written (or the one open)
        self.open = False
        self.spec_ok = True
        self.out = ktap.Writer(emit)
        self.out.plan(len(specs))

    def _flush(self, upto: int) -> None:
        """Write the specs before spec `upto`: those have no case left to come."""
        while self.next < upto:
            entry = self.entries[self.next]
            name = self.specs[self.next]
            if isinstance(entry, Case):
                error = entry.error or "the spec does not load"
                self.out.result(False, name, [error], "ERROR the spec does not load")
            else:
                assert entry is None, "a spec's cases were left out"
                self.out.result(True, name, directive="SKIP no expect lines")
            self.next += 1

    def _result(self, i: int, ok: bool, diagnostics: list[str]) -> None:
        k = self.spec_of[i]
        self._flush(k)
        cases = self.entries[k]
        assert isinstance(cases, list)
        if not self.open:
            self.out.open(self.specs[k], len(cases))
            self.open, self.spec_ok = True, True
        self.out.result(ok, self.names[i], diagnostics)
        self.spec_ok = self.spec_ok and ok
        if i == cases[-1]:
            self.out.close(self.spec_ok)
            self.open = False
            self.next = k + 1

    def case(self, i: int, case: Case) -> None:
        if case.ok:
            self._result(i, True, [])
        elif case.error:
            self._result(i, False, [case.error])
        else:
            expected, got = f"expected {case.expected}", f"got {case.got}"
            self._result(i, False, [expected, got, f"to see it: {self.planned[i].command}"])

    def not_run(self, i: int, why: str) -> None:
        self._result(i, False, [f"not run: {why}"])

    def finish(self, run: SuiteRun) -> None:
        self._flush(len(self.entries))
        self.emit("# " + summary(run.cases, run.specs, run.not_run, run.interrupted))


def run_all(
    paths: Iterable[str],
    emit: Callable[[str], None],
    options: CheckOptions,
    *,
    jobs: int = 1,
    ktap: bool = False,
    terminal: int | None = None,
) -> SuiteRun:
    """Run every expectation of every spec found, emitting one line per case as it
    finishes (a spec error with its message), then the summary; with `ktap`, a KTAP
    document instead (`KtapReport`). `jobs` processes check cases side by side (0: one
    per CPU); the lines come in the same order, the same but for the times. Lines fit a
    terminal `terminal` columns wide. Ctrl-C or SIGTERM stops the suite: the cases under
    way as incomplete, or, where their checks ended first, right after them."""
    if jobs < 0:
        raise UsageError("-j must not be negative")
    specs = find_specs(paths)
    planned, cases = plan(specs)
    suite = Suite(specs, planned, list(cases))
    report = KtapReport(emit, suite) if ktap else TextReport(emit, suite, terminal)
    jobs = jobs or available_cpus()  # -j 0
    parallel = jobs > 1 and len(planned) > 1
    done = 0  # the cases with a result or reported not run, a prefix of `planned`
    ran = 0
    with Interruption(raising=not parallel) as stop:
        try:
            results = (
                run_parallel(planned, options, jobs, stop)
                if parallel
                else run_in_turn(planned, options, stop)
            )
            for i, case in results:
                done = i + 1
                if case is None:  # a case left out: the suite was stopped
                    report.not_run(i, stopped_by(stop))
                    continue
                ran += 1
                cases.append(case)
                report.case(i, case)
        except KeyboardInterrupt:  # between two checks, outside their signal handling
            pass
        interrupted = stop.signal if stop.arrived() else None
    for i in range(done, len(planned)):
        report.not_run(i, stopped_by(stop))
    checked = {str(p.path) for p in planned} | {c.spec for c in cases}
    unchecked = [str(p) for p in specs if str(p) not in checked]
    run = SuiteRun(cases, len(planned) - ran, interrupted, len(specs), tuple(unchecked))
    report.finish(run)
    return run


def stopped_by(stop: Interruption) -> str:
    return f"interrupted by {stop.signal}" if stop.arrived() else "the suite was stopped"


Results = Iterator[tuple[int, Case | None]]


def run_in_turn(planned: list[Planned], options: CheckOptions, stop: Interruption) -> Results:
    """The cases checked one after the other in this process, each yielded as it ends,
    until a signal: the case under way stops as incomplete (or ends, as it may, first)."""
    for i, p in enumerate(planned):
        case = run_case(p, options)
        yield i, case
        if case.interrupted or stop.arrived():
            return


# --------------------------------------------------------------------------- -j N


def run_parallel(
    planned: list[Planned], options: CheckOptions, jobs: int, stop: Interruption
) -> Results:
    """The cases checked by `jobs` forked workers (`CasePool`), each yielded once every
    case before it has ended. A signal (the terminal's reaches the workers too; one for
    this process alone is passed on to them) stops the cases under way as incomplete
    and starts no other; then the cases that ended are yielded, with None for those
    left out between them."""
    pool = CasePool(planned, options)
    results: dict[int, Case | None] = {}
    todo = iter(range(len(planned)))
    stopping = False
    emitted = 0  # results[:emitted] are yielded
    try:
        while True:
            while not stopping and len(pool.busy()) < jobs:
                i = next(todo, None)
                if i is None:
                    break
                pool.give(i)
            if not pool.busy():
                break
            for i, case in pool.results(stop.waitables()):
                # a worker ended by a signal between its checks (Ctrl-C reaches the whole
                # group) left its case not run; one that died otherwise fails its case
                stopping = stopping or stop.arrived()
                if case is None and not stopping:
                    case = died(planned[i], pool.death)
                results[i] = case
                stopping = stopping or (case is not None and case.interrupted)
            stopping = stopping or stop.arrived()
            if stopping:
                pool.interrupt(stop.signal or "SIGINT")
            while emitted in results:
                yield emitted, results.pop(emitted)
                emitted += 1
        for i in range(emitted, max(results, default=-1) + 1):
            yield i, results.get(i)
    finally:
        pool.close()


def died(p: Planned, how: str) -> Case:
    """The case whose worker died checking it: incomplete, failed."""
    expected = describe_expect(p.expect)
    return Case(str(p.path), p.consts, expected, f"incomplete ({how})", False, None, 0.0)


CLOSE_WAIT = 10.0  # seconds a worker has to end once told, before it is killed


@dataclass
class Worker:
    proc: Any  # a multiprocessing Process
    conn: Connection
    task: int | None = None  # the index of the case it checks
    signalled: bool = False


class CasePool:
    """Worker processes checking one case at a time (`serve_cases`), forked on demand
    from this process, which has loaded every spec and run no check: each gets the
    plan with the fork, then case indices through its pipe, and sends back Cases.
    A worker ends with the pool, or with this process however it ends
    (core.forked.die_with_parent)."""

    def __init__(self, planned: list[Planned], options: CheckOptions) -> None:
        self.planned = planned
        self.options = options
        self.ctx = mp.get_context("fork")
        self.workers: list[Worker] = []
        self.death = ""  # how the last worker that died ended

    def busy(self) -> list[Worker]:
        return [w for w in self.workers if w.task is not None]

    def give(self, i: int) -> None:
        """Case `i` to an idle worker, started if there is none."""
        worker = next((w for w in self.workers if w.task is None), None) or self._start()
        try:
            worker.conn.send(i)
        except OSError:  # it ended while idle (a signal to it alone): another takes the case
            self._drop(worker)
            worker = self._start()
            worker.conn.send(i)
        worker.task = i

    def _drop(self, worker: Worker) -> None:
        worker.proc.join()
        self.death = f"the process checking it died ({exit_status(worker.proc.exitcode)})"
        worker.conn.close()
        self.workers.remove(worker)

    def _start(self) -> Worker:
        mine, theirs = self.ctx.Pipe()
        inherited = [*(w.conn for w in self.workers), mine]
        proc = self.ctx.Process(
            target=serve_cases,
            args=(theirs, self.planned, self.options, os.getpid(), inherited),
            daemon=False,  # a case may start processes of its own (--workers); close ends it
        )
        proc.start()
        theirs.close()
        worker = Worker(proc, mine)
        self.workers.append(worker)
        return worker

    def results(self, also: list[int]) -> list[tuple[int, Case | None]]:
        """The cases that ended (None: the worker checking it died), once one has or a
        descriptor of `also` is readable."""
        busy = {w.conn: w for w in self.busy()}
        got: list[tuple[int, Case | None]] = []
        for conn in wait([*busy, *also]):
            w = busy.get(conn)  # type: ignore[call-overload]
            if w is None:
                continue
            i, w.task = w.task, None
            assert i is not None
            try:
                j, outcome = w.conn.recv()
            except (EOFError, OSError):
                self._drop(w)
                got.append((i, None))
                continue
            if isinstance(outcome, Exception):
                raise outcome
            got.append((j, outcome))
        return got

    def interrupt(self, name: str) -> None:
        """Pass signal `name` on to the workers checking a case, once each."""
        for w in self.busy():
            if not w.signalled:
                w.signalled = True
                with contextlib.suppress(ProcessLookupError):
                    os.kill(w.proc.pid, signal.Signals[name])

    def close(self) -> None:
        """End every worker: an idle one when told, a busy one (left by an error here)
        stopped by SIGTERM; one that does not end in CLOSE_WAIT seconds is killed."""
        for w in self.workers:
            with contextlib.suppress(OSError):
                w.conn.send(None)
            if w.task is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(w.proc.pid, signal.SIGTERM)
        for w in self.workers:
            w.proc.join(CLOSE_WAIT)
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join()
            w.conn.close()
        self.workers = []


def picklable(e: Exception) -> bool:
    try:
        pickle.loads(pickle.dumps(e))
    except Exception:
        return False
    return True


def exit_status(code: int | None) -> str:
    if code is not None and code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"exit status {code}"


def serve_cases(
    conn: Connection,
    planned: list[Planned],
    options: CheckOptions,
    parent: int,
    inherited: list[Connection],
) -> None:
    """A worker of `CasePool`: check the cases it is sent, until told to end (None).
    SIGINT and SIGTERM stop the check under way, which ends incomplete, as in the main
    process; elsewhere they end the worker, its case not run."""
    try:
        try:
            die_with_parent(parent, inherited)
            signal.set_wakeup_fd(-1)  # the main process's pipe, copied by the fork
            for s in STOP_SIGNALS:
                signal.signal(s, signal.default_int_handler)
            while (i := conn.recv()) is not None:
                try:
                    outcome: Case | Exception = run_case(planned[i], options)
                except Exception as e:  # raised in the main process, as without -j
                    outcome = e if picklable(e) else RuntimeError(f"{type(e).__name__}: {e}")
                conn.send((i, outcome))
        finally:
            ignore_stop_signals()
    except (KeyboardInterrupt, EOFError, OSError):
        pass


def ignore_stop_signals() -> None:
    """Ignore SIGINT and SIGTERM from now on, however many arrive meanwhile: a worker
    may get two (Ctrl-C reaches its whole process group, and the main process passes
    the signal on), and the second must not end it with a traceback."""
    while True:
        try:
            for s in STOP_SIGNALS:
                signal.signal(s, signal.SIG_IGN)
            return
        except KeyboardInterrupt:
            continue
