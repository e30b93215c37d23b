"""`mmcheck test --ktap`, `-j N` and the terminal's width.

The KTAP output is read back by a strict KTAP version 1 reader written here from the
kernel's Documentation/dev-tools/ktap.rst, sharing nothing with the writer
(explorer/ktap.py): it refuses any line that is not a version, plan, result or
diagnostic line where the format puts one, a wrong indentation or number, a plan not
met, a parent `ok` over a failed subtest. Where MMCHECK_KUNIT_TOOL names the kernel's
tools/testing/kunit, its own parser (kunit_parser.py) reads the same documents too.
"""

from __future__ import annotations

import os
import pty
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mmcheck.cli import main
from mmcheck.explorer import expect
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.search import Search
from mmcheck.spec.errors import UsageError

sys.path.insert(0, str(Path(__file__).parent))
from test_suite_signals import CUBE, cube_suite, interrupt  # noqa: E402 - beside this file

ROOT = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------ a strict KTAP reader

VERSION = re.compile(r"KTAP version 1")
PLAN = re.compile(r"1\.\.(\d+)")
RESULT = re.compile(r"(ok|not ok) (\d+)(?: ([^#]*[^#\s]))?(?: # (\S+)(?: (.*))?)?")
DIAGNOSTIC = re.compile(r"#(?: (.*))?")


@dataclass
class KtapTest:
    ok: bool
    name: str
    directive: str | None = None  # SKIP, ERROR, ...
    reason: str | None = None  # what follows the directive
    diagnostics: list[str] = field(default_factory=list)  # the `# ` lines before it
    subtests: list[KtapTest] | None = None  # None: a leaf


class KtapError(AssertionError):
    pass


class Reader:
    """Reads one KTAP version 1 document; every rule broken raises KtapError."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.at = 0
        self.trailer: list[str] = []  # diagnostic lines after the last result

    def fail(self, why: str) -> KtapError:
        line = self.lines[self.at] if self.at < len(self.lines) else "<end>"
        return KtapError(f"line {self.at + 1}: {why}: {line!r}")

    def peek(self, depth: int) -> str | None:
        """The next line without its indentation, which must be `depth` levels."""
        if self.at >= len(self.lines):
            return None
        line = self.lines[self.at]
        indent = len(line) - len(line.lstrip(" "))
        if indent != 2 * depth or line != line.rstrip() or "\t" in line:
            return None
        return line[indent:]

    def document(self) -> list[KtapTest]:
        tests = self.nested(0)
        while self.at < len(self.lines):
            m = DIAGNOSTIC.fullmatch(self.peek(0) or "")
            if not m:
                raise self.fail("not a diagnostic line after the last test")
            self.trailer.append(m.group(1) or "")
            self.at += 1
        return tests

    def nested(self, depth: int) -> list[KtapTest]:
        """A version line, diagnostics, a plan, then the planned tests, at `depth`."""
        if not VERSION.fullmatch(self.peek(depth) or ""):
            raise self.fail(f"expected a version line at depth {depth}")
        self.at += 1
        self.header = self.diagnostics(depth)
        m = PLAN.fullmatch(self.peek(depth) or "")
        if not m:
            raise self.fail("expected a plan")
        self.at += 1
        header = self.header
        tests = [self.test(depth, n) for n in range(1, int(m.group(1)) + 1)]
        self.header = header
        return tests

    def diagnostics(self, depth: int) -> list[str]:
        found = []
        while (line := self.peek(depth)) is not None and (m := DIAGNOSTIC.fullmatch(line)):
            found.append(m.group(1) or "")
            self.at += 1
        return found

    def test(self, depth: int, number: int) -> KtapTest:
        subtests = None
        header: list[str] = []
        if VERSION.fullmatch(self.peek(depth + 1) or ""):
            subtests = self.nested(depth + 1)
            header = self.header
        diagnostics = self.diagnostics(depth)
        m = RESULT.fullmatch(self.peek(depth) or "")
        if not m:
            raise self.fail(f"expected the result line of test {number} at depth {depth}")
        if int(m.group(2)) != number:
            raise self.fail(f"test number {m.group(2)}, not {number}")
        self.at += 1
        t = KtapTest(m.group(1) == "ok", m.group(3) or "", m.group(4), m.group(5), diagnostics)
        if subtests is not None:
            t.subtests = subtests
            if f"Subtest: {t.name}" not in header:
                raise self.fail(f"no '# Subtest: {t.name}' line opens its subtests")
            failed = any(not s.ok and s.directive != "SKIP" for s in subtests)
            if t.ok == failed:
                raise self.fail(f"{t.name}: {'ok' if t.ok else 'not ok'} over its subtests")
        return t


def read_ktap(text: str) -> tuple[list[KtapTest], list[str]]:
    reader = Reader(text)
    tests = reader.document()
    return tests, reader.trailer


def shape(tests: list[KtapTest]) -> list:
    """(ok, name, directive, [subtests' shapes]) of each test."""
    return [
        (t.ok, t.name, t.directive, None if t.subtests is None else shape(t.subtests))
        for t in tests
    ]


def kunit_counts(text: str) -> tuple[str, list[tuple[str, str, int]], dict[str, int]] | None:
    """The kernel's KUnit parser's reading: status, (name, status, subtests) of each
    top-level test, and its counts; None where MMCHECK_KUNIT_TOOL is not set."""
    tool = os.environ.get("MMCHECK_KUNIT_TOOL")
    if not tool:
        return None
    sys.path.insert(0, tool)
    try:
        import kunit_parser  # the kernel's; GPL-2.0, as this project
    finally:
        sys.path.remove(tool)
    main_test = kunit_parser.parse_run_tests(text.splitlines())
    c = main_test.counts
    counts = dict(
        passed=c.passed, failed=c.failed, crashed=c.crashed, skipped=c.skipped, errors=c.errors
    )
    tops = [(t.name, t.status.name, len(t.subtests)) for t in main_test.subtests]
    return main_test.status.name, tops, counts


def test_the_reader_refuses_what_ktap_rst_forbids():
    good = "KTAP version 1\n1..1\n  KTAP version 1\n  # Subtest: a\n  1..1\n  ok 1 x\nok 1 a\n"
    assert shape(read_ktap(good)[0]) == [(True, "a", None, [(True, "x", None, None)])]
    for bad in (
        good.replace("1..1\n  K", "1..2\n  K"),  # plan not met
        good.replace("ok 1 x", "ok 2 x"),  # numbering
        good.replace("  ok 1 x", "   ok 1 x"),  # indentation
        good.replace("ok 1 a", "ok 1 b"),  # the result is not the subtest's
        good.replace("  ok 1 x", "  not ok 1 x"),  # ok over a failure
        good.replace("ok 1 x", "ok 1 x#y"),  # `#` in a description
        good.replace("  # Subtest: a\n", "  stray\n"),  # an unknown line
        good.replace("KTAP version 1\n1..1\n  ", "TAP version 13\n1..1\n  "),
    ):
        with pytest.raises(KtapError):
            read_ktap(bad)


# ------------------------------------------------------------------------ the suites

SPINLOCK = (ROOT / "tests/specs/tutorial_spinlock.mms").read_text().split("expect")[0]


def suite(directory: Path) -> Path:
    """A spec with a met and an unmet expectation, one that does not load, one with
    none."""
    (directory / "a_spin.mms").write_text(
        SPINLOCK
        + "expect FIXED=false: violates MutualExclusion in 6 steps\n"
        + "expect FIXED=true: holds with 5 states\n"
    )
    (directory / "b_broken.mms").write_text("spec Broken\nvar x : 0..1 = 0\naction a x' = \n")
    (directory / "c_none.mms").write_text(SPINLOCK)
    return directory


def case_lines(out: str) -> list[str]:
    """The output without its times (which differ from run to run)."""
    return [re.sub(r"\s+\d+\.\d\d s$", "", line) for line in out.splitlines()]


def test_ktap_of_a_suite_with_every_outcome(tmp_path, capsys):
    d = suite(tmp_path)
    assert main(["test", "--ktap", str(d)]) == 2  # a spec does not load
    out = capsys.readouterr().out
    tests, trailer = read_ktap(out)
    assert shape(tests) == [
        (
            False,
            f"{d}/a_spin.mms",
            None,
            [(True, "FIXED=false", None, None), (False, "FIXED=true", None, None)],
        ),
        (False, f"{d}/b_broken.mms", "ERROR", None),
        (True, f"{d}/c_none.mms", "SKIP", None),
    ]
    unmet = tests[0].subtests[1]
    assert unmet.diagnostics == [
        "expected holds with 5 states",
        "got holds with 24 states",
        f"to see it: mmcheck check {d}/a_spin.mms -D FIXED=true",
    ]
    assert tests[1].reason == "the spec does not load"
    assert tests[1].diagnostics[0].startswith(f"{d}/b_broken.mms:3:")  # file:line:col
    assert tests[2].reason == "no expect lines"
    assert trailer == ["3 cases in 3 spec files: 1 passed, 1 failed, 1 errors."]
    kunit = kunit_counts(out)
    if kunit is not None:
        status, tops, counts = kunit
        assert status == "FAILURE"
        assert [(n, s) for n, s, _ in tops] == [
            (f"{d}/a_spin.mms", "FAILURE"),
            (f"{d}/b_broken.mms", "FAILURE"),
            (f"{d}/c_none.mms", "SKIPPED"),
        ]
        assert counts == dict(passed=1, failed=2, crashed=0, skipped=1, errors=0)


LIBRARY = [
    ("async_buffer_migrate.mms", 10),
    ("ksm_unmerge.mms", 9),
    ("migrate_page.mms", 9),
    ("mlock_munlock.mms", 13),
    ("rawio_cow.mms", 18),
    ("rmap_vma_adjust.mms", 9),
]


@pytest.mark.parametrize(
    "models",
    [
        [m for m in LIBRARY if m[0] in ("ksm_unmerge.mms", "mlock_munlock.mms")],
        pytest.param(LIBRARY, marks=pytest.mark.slow),  # a minute
    ],
    ids=["two", "all"],
)
def test_ktap_of_the_library(capsys, models):
    """Kernel models, every case a passing subtest."""
    paths = [str(ROOT / "spec/models" / name) for name, _ in models]
    assert main(["test", "--ktap", "-j", "2", *paths]) == 0
    out = capsys.readouterr().out
    tests, trailer = read_ktap(out)
    assert [(t.ok, Path(t.name).name, len(t.subtests)) for t in tests] == [
        (True, name, n) for name, n in models
    ]
    assert all(s.ok and not s.diagnostics for t in tests for s in t.subtests)
    n = sum(n for _, n in models)
    s = "s" if len(models) > 1 else ""
    assert trailer == [f"{n} cases in {len(models)} spec file{s}: {n} passed, 0 failed, 0 errors."]
    kunit = kunit_counts(out)
    if kunit is not None:
        assert kunit[0] == "SUCCESS"
        assert kunit[2] == dict(passed=n, failed=0, crashed=0, skipped=0, errors=0)


def cube(directory: Path, sizes: list[int]) -> Path:
    lines = [f"expect N={n}: holds with {(n + 1) ** 3} states" for n in sizes]
    path = directory / "cube.mms"
    path.write_text(CUBE + "\n".join(lines) + "\n")
    return path


def test_ktap_when_interrupted_says_what_was_not_run(tmp_path, monkeypatch, capsys):
    path = cube(tmp_path, [1, 2, 3, 4])
    finish = Search.result
    signalled = []

    def result_then_signal(self, *args, **kwargs):
        if not signalled:  # the first check: SIGINT after its last poll
            signalled.append(True)
            signal.raise_signal(signal.SIGINT)
        return finish(self, *args, **kwargs)

    monkeypatch.setattr(Search, "result", result_then_signal)
    assert main(["test", "--ktap", str(path)]) == 3
    tests, trailer = read_ktap(capsys.readouterr().out)
    assert shape(tests) == [
        (
            False,
            str(path),
            None,
            [(True, "N=1", None, None)] + [(False, f"N={n}", None, None) for n in (2, 3, 4)],
        )
    ]
    assert tests[0].subtests[1].diagnostics == ["not run: interrupted by SIGINT"]
    assert trailer == [
        "1 case in 1 spec file: 1 passed, 0 failed, 0 errors. Interrupted by SIGINT: 3 not run."
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_ktap_of_a_suite_a_signal_stopped_is_whole(tmp_path, jobs):
    # 200 cases: about 7 s with -j 2 on an idle machine (40 ran out before the signal
    # came, 1 s after the document's first line); the signal ends the run, not the cases
    path = cube_suite(tmp_path, 40)
    code, out, err, _ = interrupt(path, signal.SIGINT, 1.0, jobs, flags=("--ktap",))
    assert code == 3 and err == "", out + err
    tests, trailer = read_ktap(out)
    assert len(tests) == 1 and not tests[0].ok and len(tests[0].subtests) == 200
    left = [s for s in tests[0].subtests if s.diagnostics == ["not run: interrupted by SIGINT"]]
    assert left and all(not s.ok for s in left)
    assert trailer[0].endswith(f"Interrupted by SIGINT: {len(left)} not run."), out
    for s in tests[0].subtests:  # every other case passed, or failed stopped
        assert s in left or s.ok or "got incomplete (interrupted (SIGINT))" in s.diagnostics


# ---------------------------------------------------------------------------------- -j


@pytest.mark.parametrize("form", [[], ["--ktap"]])
def test_jobs_print_what_one_at_a_time_prints(tmp_path, capsys, form):
    suite(tmp_path)
    cube(tmp_path, [3, 1, 4, 1, 5, 2, 6])
    assert main(["test", *form, str(tmp_path)]) == 2
    alone = case_lines(capsys.readouterr().out)
    for jobs in ("3", "0"):
        assert main(["test", *form, "-j", jobs, str(tmp_path)]) == 2
        assert case_lines(capsys.readouterr().out) == alone


def test_a_case_may_start_workers_of_its_own(tmp_path, capsys):
    """A -j worker checks with the vector back end's workers under it."""
    path = cube(tmp_path, [1, 2])
    flags = ["--backend", "vector", "--workers", "2", str(path)]
    assert main(["test", *flags]) == 0
    alone = case_lines(capsys.readouterr().out)
    assert main(["test", "-j", "2", *flags]) == 0
    assert case_lines(capsys.readouterr().out) == alone


def test_jobs_from_python(tmp_path):
    path = cube(tmp_path, [1, 2, 3])
    lines: list[str] = []
    run = expect.run_all([str(path)], lines.append, CheckOptions(), jobs=2, ktap=True)
    assert [c.states for c in run.cases] == [8, 27, 64] and run.not_run == 0
    assert [t.ok for t in read_ktap("\n".join(lines))[0][0].subtests] == [True] * 3
    with pytest.raises(UsageError, match="-j must not be negative"):
        expect.run_all([str(path)], lines.append, CheckOptions(), jobs=-1)


def test_an_error_in_a_worker_is_the_runs_error(tmp_path, monkeypatch, capsys):
    """What would end the run without -j (here a usage error) ends it with -j."""

    def refuse(*args, **kwargs):
        raise UsageError("no such back end today")

    monkeypatch.setattr(expect.explorer, "check", refuse)
    path = cube(tmp_path, [1, 2, 3])
    assert main(["test", str(path)]) == 2
    alone = capsys.readouterr()
    assert main(["test", "-j", "2", str(path)]) == 2
    assert capsys.readouterr() == alone
    assert "no such back end today" in alone.err


def test_one_format_at_a_time(tmp_path, capsys):
    path = cube(tmp_path, [1])
    assert main(["test", "--ktap", "--json", str(path)]) == 2
    assert "--json or --ktap: one format at a time" in capsys.readouterr().out


def test_jobs_must_be_a_count(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["test", "-j", "-1", "spec/models"])
    assert stop.value.code == 2
    assert "expected a whole number >= 0" in capsys.readouterr().err


# -------------------------------------------------------------------- terminal width


def test_lines_fit_the_terminal(tmp_path):
    long_dir = tmp_path / "a_directory_with_a_rather_long_name" / "and_another_one_below"
    long_dir.mkdir(parents=True)
    suite(long_dir)
    cube(long_dir, [1, 2])
    specs = expect.find_specs([str(long_dir)])
    planned, broken = expect.plan(specs)
    cases = [expect.run_case(p, CheckOptions()) for p in planned]
    found = expect.Suite(specs, planned, broken)
    whole: list[str] = []
    report = expect.TextReport(whole.append, found)
    for i, case in enumerate(cases):
        report.case(i, case)
    for columns in (80, 120):
        lines: list[str] = []
        report = expect.TextReport(lines.append, found, terminal=columns)
        for i, case in enumerate(cases):
            report.case(i, case)
        rows = [line for line in lines if line.startswith(("ok ", "FAIL ", "ERROR "))]
        assert rows and all(len(line) <= columns for line in rows), "\n".join(rows)
        for row in rows:  # the spec cut at its start, the constants whole or cut at the end
            status, spec_text, consts = re.match(r"(\S+) +(\S+)  (\S*)", row).groups()
            assert spec_text.startswith("...") and spec_text.endswith(".mms"), row
            assert any(str(p).endswith(spec_text[3:]) for p in specs), row
        # the unmet case: its expectation and outcome whole under it, then the command
        at = next(i for i, line in enumerate(lines) if line.startswith("FAIL"))
        assert lines[at + 1] == "      expected holds with 5 states"
        assert lines[at + 2] == "      got      holds with 24 states"
        assert lines[at + 3].startswith("      to see it: mmcheck check ")
    assert max(len(line) for line in whole) > 120  # not a terminal: the lines whole
    assert not any(line.startswith("      expected") for line in whole)


def test_the_command_reads_the_terminals_width(tmp_path):
    path = cube(tmp_path / "", [1, 2])
    long_name = tmp_path / ("cube_" + "x" * 80 + ".mms")
    path.rename(long_name)
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmcheck.cli", "test", str(long_name)],
        stdout=child_fd,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "72"},
    )
    os.close(child_fd)
    out = b""
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(main_fd)
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    rows = out.decode().replace("\r\n", "\n").splitlines()
    assert len(rows) == 3 and all(len(row) <= 72 for row in rows[:2]), rows
    # 24 columns for the fields: the constants whole, the two others an equal share
    assert re.fullmatch(
        r"ok    \.\.\.xxxx\.mms  N=1  expected holds wi\.\.\. +8 states +\S+ s", rows[0]
    )
