"""A pytest plugin (entry point `pytest11`): `pytest spec/models/` collects each .mms file
as a File node and each of its `expect` lines as a test item, checked by the code behind
`mmcheck test` (explorer.expect: `plan`, `run_case`), so `-k`, `-x` and `--junitxml`
apply to expectations as to any test.

Which .mms files are collected: those named on the command line, and those under a
directory named there that holds no Python test module (a directory of specs, not a test
suite: `pytest tests/` in a project whose tests/ keeps specs meant to fail collects no
spec); every .mms met when the ini option `mmcheck_collect` is true.

An item's name is the constants as `mmcheck test` prints them (`PATCH3=false`,
`defaults`), with `[A, B]` after it where the expectation checks only invariants A and B,
and ` (line N)` where that still leaves two items of one file with one name.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mmcheck.explorer import expect
from mmcheck.explorer.core.options import CheckOptions

if TYPE_CHECKING:  # pytest's own names, not public: no import when the plugin loads
    from _pytest._code.code import TerminalRepr, TracebackStyle

INI = "mmcheck_collect"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI,
        "collect the expect lines of every .mms file met, not only of those named on "
        "the command line (or under a directory named there that holds no test module)",
        type="bool",
        default=False,
    )


def named_roots(config: pytest.Config) -> list[Path]:
    """The .mms files named on the command line, and the directories named there that
    hold no Python test module (pytest's `python_files` patterns)."""
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        return []  # pytest's own choice of paths (testpaths, the current directory)
    patterns = config.getini("python_files")
    roots: list[Path] = []
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        spec_file = path.is_file() and path.suffix == expect.SPEC_SUFFIX
        if spec_file or (path.is_dir() and not holds_tests(path, patterns)):
            roots.append(path)
    return roots


def holds_tests(directory: Path, patterns: list[str]) -> bool:
    return any(
        any(fnmatch.fnmatch(p.name, pat) for pat in patterns) for p in directory.rglob("*.py")
    )


ROOTS = pytest.StashKey[list[Path]]()  # named_roots, found once per session


def pytest_configure(config: pytest.Config) -> None:
    config.stash[ROOTS] = named_roots(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SpecFile | None:
    if file_path.suffix != expect.SPEC_SUFFIX:
        return None
    config = parent.config
    resolved = file_path.resolve()
    if config.getini(INI) or any(resolved.is_relative_to(r) for r in config.stash[ROOTS]):
        return SpecFile.from_parent(parent, path=file_path)
    return None


class SpecFile(pytest.File):
    """A .mms file: one item per `expect` line; a spec that does not load is a
    collection error carrying the spec's own message (file:line:col)."""

    def collect(self) -> Iterator[ExpectItem]:
        planned, broken = expect.plan([self.path])
        if broken:
            raise self.CollectError(broken[0].error)
        for p, name in zip(planned, expect.case_names(planned), strict=True):
            yield ExpectItem.from_parent(self, name=name, planned=p)


class ExpectationFailed(Exception):
    """An expectation not met, or a spec that does not load with its constants."""


class ExpectItem(pytest.Item):
    """One `expect` line, checked as `mmcheck test` checks it."""

    def __init__(self, *, planned: expect.Planned, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.planned = planned

    def runtest(self) -> None:
        case = expect.run_case(self.planned, CheckOptions())
        if case.interrupted:  # Ctrl-C or SIGTERM stopped the check: stop the session
            raise KeyboardInterrupt
        if case.ok:
            return
        lines = [
            f"{self.location_text()}: {self.name}",
            f"expected: {case.expected}",
            f"got:      {case.got}",
        ]
        if case.error:
            lines.append(case.error)
        else:
            lines.append(f"to see it: {self.command()}")
        raise ExpectationFailed("\n".join(lines))

    def location_text(self) -> str:
        loc = self.planned.expect.loc
        return f"{self.display_path()}:{loc.line}:{loc.col}"

    def display_path(self) -> Path:
        """The spec's path relative to where pytest was started, if below it."""
        start = self.config.invocation_params.dir
        try:
            return self.path.resolve().relative_to(start.resolve())
        except ValueError:
            return self.path

    def command(self) -> str:
        return replace(self.planned, path=self.display_path()).command

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: TracebackStyle | None = None,
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, ExpectationFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return self.path, self.planned.expect.loc.line - 1, f"expect {self.name}"
