"""Helpers for the reliability tests: run the CLI in-process or as a subprocess and judge
what it printed (exit status, tracebacks, error locations)."""

from __future__ import annotations

import contextlib
import io
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mmcheck.cli import main

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "spec" / "models").glob("*.mms")) + sorted(
    (ROOT / "tests" / "specs").glob("*.mms")
)
EXIT_CODES = (0, 1, 2, 3)
CHECK_BOUNDS = ("--max-states", "2000", "--time-limit", "5")

# `file:line:col: kind: message`, the first line of every located report
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<kind>[^:]+): ")
ERROR_LINE = re.compile(r"\berror\b:")


@dataclass
class Run:
    argv: list[str]
    rc: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class Hang(Exception):
    """A command ran past the wall-clock guard of a test (a hang, not a clean stop)."""


@contextlib.contextmanager
def alarm(seconds: int) -> Iterator[None]:
    """Raise Hang in the main thread after `seconds` (0: no guard)."""

    def fire(signum: int, frame: object) -> None:
        raise Hang(f"no answer after {seconds} s")

    if not seconds:
        yield
        return
    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_inprocess(argv: list[str], guard: int = 30) -> Run:
    """`mmcheck argv` in this process. Any exception escaping `main` propagates (with
    the command line attached), since the real command would print a traceback."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with alarm(guard), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(argv)
    except SystemExit as e:  # argparse rejects a flag
        rc = e.code if isinstance(e.code, int) else 2
    except BaseException as e:
        e.add_note(f"mmcheck {' '.join(argv)}")
        raise
    return Run(argv, rc, out.getvalue(), err.getvalue())


def run_subprocess(argv: list[str], timeout: float = 60) -> Run:
    p = subprocess.run(
        [sys.executable, "-m", "mmcheck.cli", *argv],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        cwd=ROOT,
    )
    return Run(argv, p.returncode, p.stdout, p.stderr)


def problems(run: Run) -> list[str]:
    """What is wrong with how a command ended: an exit status outside 0..3, a Python
    traceback, an error line that names no file:line:col."""
    found = []
    if run.rc not in EXIT_CODES:
        found.append(f"exit status {run.rc}")
    if "Traceback (most recent call last)" in run.text:
        found.append("a Python traceback")
    for line in run.err.splitlines():
        if ERROR_LINE.search(line) and not line.startswith("mmcheck ") and not LOCATED.match(line):
            found.append(f"an error line without file:line:col: {line[:200]!r}")
    if run.rc == 2 and not any(
        LOCATED.match(x) or x.startswith("mmcheck ") for x in run.err.splitlines()
    ):
        found.append("exit status 2 without a located error")
    return found


def assert_clean(run: Run) -> None:
    bad = problems(run)
    assert not bad, (
        f"mmcheck {' '.join(run.argv)}: {'; '.join(bad)}\n--- stdout\n{run.out[-3000:]}"
        f"\n--- stderr\n{run.err[-3000:]}"
    )


@pytest.fixture(scope="session")
def mm():
    """These helpers, for tests (a conftest module cannot be imported by name)."""
    return sys.modules[__name__]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`library_spec`: every spec of the library and of tests/specs."""
    if "library_spec" in metafunc.fixturenames:
        metafunc.parametrize("library_spec", LIBRARY, ids=[p.name for p in LIBRARY])


@pytest.fixture
def spec_file(tmp_path: Path):
    """spec_file(text or bytes, name="spec.mms") -> path of a file holding it."""

    def write(content: str | bytes, name: str = "spec.mms") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write
