"""A streaming writer of KTAP version 1, the test-result format of the kernel's kselftest
and KUnit (Documentation/dev-tools/ktap.rst), for `mmcheck test --ktap`.

A test is a result line, `ok N name` or `not ok N name`, numbered from 1 at its level,
with its diagnostic lines (`# ...`) just before it. A test with subtests first opens a
nested KTAP document: its version line, a `# Subtest: name` line (as KUnit writes, for
its parser) and its plan `1..M`, each indented by two spaces a level, the spec's unit;
its result line, back at its parent's level, follows the last subtest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

VERSION = "KTAP version 1"
INDENT = "  "


def description(name: str) -> str:
    """`name` as a result line's description: one line, without `#` (which would begin
    a directive)."""
    return " ".join(name.replace("#", "_").split())


@dataclass
class _Level:
    name: str | None  # the test whose subtests these are (None: the document itself)
    planned: int
    number: int = 0  # results written so far


class Writer:
    """Emits the lines of one KTAP document as tests end: `plan` first, then `open`,
    `result` and `close` in the order of the tests, every level filled to its plan."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self.emit = emit
        self.levels: list[_Level] = []

    def _line(self, text: str, depth: int) -> None:
        self.emit(INDENT * depth + text)

    def plan(self, count: int) -> None:
        """Begin the document: its version line and plan of `count` tests."""
        assert not self.levels, "the document has begun"
        self._line(VERSION, 0)
        self._line(f"1..{count}", 0)
        self.levels.append(_Level(None, count))

    def open(self, name: str, count: int) -> None:
        """Begin the subtests of test `name`: `count` of them."""
        depth = len(self.levels)
        self._line(VERSION, depth)
        self._line(f"# Subtest: {description(name)}", depth)
        self._line(f"1..{count}", depth)
        self.levels.append(_Level(name, count))

    def result(
        self,
        ok: bool,
        name: str,
        diagnostics: Iterable[str] = (),
        directive: str | None = None,
    ) -> None:
        """A test's result line, after its diagnostic lines (each line of each string
        one `# ` line); `directive` (`SKIP why`, `ERROR why`) follows a `#` on it."""
        level = self.levels[-1]
        assert level.number < level.planned, f"more tests than the plan of {level.name}"
        depth = len(self.levels) - 1
        for text in diagnostics:
            for line in text.splitlines() or [""]:
                self._line(f"# {line}".rstrip(), depth)
        level.number += 1
        tail = f" # {' '.join(directive.split())}" if directive else ""
        self._line(f"{'ok' if ok else 'not ok'} {level.number} {description(name)}{tail}", depth)

    def close(self, ok: bool, diagnostics: Iterable[str] = ()) -> None:
        """End the subtests opened last: the result line of the test they belong to."""
        level = self.levels.pop()
        assert level.name is not None, "close without open"
        assert level.number == level.planned, f"{level.name}: plan not filled"
        self.result(ok, level.name, diagnostics)
