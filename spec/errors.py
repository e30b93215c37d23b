"""Source locations and the errors users see: file:line:col, the source line, a caret.

Every stage (parser, checker, lowering, back ends) reports problems as `SpecError`s
carrying a `Loc`; the CLI prints them with `format_error` and never a traceback. The
text they quote is the spec's source, read here: a spec file's bytes, checked to be text.
"""

from __future__ import annotations

import difflib
import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_SOURCES: dict[str, str] = {}

MAX_SOURCE_BYTES = 16 << 20  # far above any real spec; /dev/zero would never end
_NOT_REGULAR = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


STRING_FILE = "<string>"


def source_of(source: str | os.PathLike) -> tuple[str, str | None]:
    """(file name, text): a path (PathLike, or a str ending in .mms without a newline)
    is read later; any other str is the spec text itself."""
    if isinstance(source, os.PathLike):
        return os.fspath(source), None
    if source.endswith(".mms") and "\n" not in source:
        return source, None
    return STRING_FILE, source


def read_source(path: str | os.PathLike) -> bytes:
    """The bytes of a spec file. OSError, its strerror saying why, for a directory, a
    device, a FIFO or a socket (opened without blocking, never read) or a file larger
    than MAX_SOURCE_BYTES."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise OSError(errno.EISDIR, "is a directory")
        if not stat.S_ISREG(mode):
            kind = _NOT_REGULAR.get(stat.S_IFMT(mode), "an unknown kind")
            raise OSError(errno.EINVAL, f"not a regular file ({kind})")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_SOURCE_BYTES:
        raise OSError(errno.EFBIG, f"more than {MAX_SOURCE_BYTES} bytes, the most a spec may have")
    return data


def read_text(path: str | os.PathLike, shown: str) -> str:
    """A spec file's text; a SpecError at the first byte that is not UTF-8 (a binary
    file, another encoding); OSError as read_source raises it."""
    data = read_source(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - data.rfind(b"\n", 0, e.start)
        loc = Loc(shown, line, col)
        raise SpecError(loc, f"not UTF-8 text: byte 0x{data[e.start]:02x}") from None


def register_source(filename: str, text: str) -> None:
    """Remember the text of a source so errors can quote it (also for in-memory specs)."""
    _SOURCES[filename] = text


def source_line(filename: str, line: int) -> str | None:
    text = _SOURCES.get(filename)
    if text is None:
        try:
            text = read_source(filename).decode("utf-8", errors="replace")
        except OSError:
            return None
        _SOURCES[filename] = text
    lines = text.splitlines()
    if 1 <= line <= len(lines):
        return lines[line - 1]
    return None


@dataclass(frozen=True, order=True)
class Loc:
    """A position in a spec file; line and column count from 1."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NOWHERE = Loc("<builtin>", 0, 0)


def printable(text: str) -> str:
    """Source text made safe to print: control characters shown as escapes."""
    return "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in text)


def format_at(loc: Loc, message: str, kind: str = "error", hint: str | None = None) -> str:
    """`file:line:col: kind: message`, then the source line and a caret under the column,
    then the hint if any."""
    out = [printable(f"{loc}: {kind}: {message}")]
    line = source_line(loc.file, loc.line)
    if line is not None:
        shown = printable(line.expandtabs(8))
        prefix = printable(line[: max(loc.col - 1, 0)].expandtabs(8))
        out.append(f"    {shown}")
        out.append(f"    {' ' * len(prefix)}^")
    if hint is not None:
        out.append(printable(f"    hint: {hint}"))
    return "\n".join(out)


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """A hint naming the known name closest to a misspelt `name`, if one is close."""
    close = difflib.get_close_matches(name, sorted(set(known) - {name}), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


class SpecError(Exception):
    """One problem in a spec, at a location; `hint`: how to fix it, in the language's
    terms, where the likely cause is known (a C habit, a misspelt name)."""

    def __init__(
        self, loc: Loc, message: str, kind: str = "error", hint: str | None = None
    ) -> None:
        super().__init__(f"{loc}: {message}")
        self.loc = loc
        self.message = message
        self.kind = kind
        self.hint = hint

    def format(self) -> str:
        return format_at(self.loc, self.message, self.kind, self.hint)


class SpecErrors(Exception):
    """Several problems found in one pass; all are reported, not just the first."""

    def __init__(self, errors: Iterable[SpecError]) -> None:
        self.errors = sorted(errors, key=lambda e: e.loc)
        super().__init__("\n".join(str(e) for e in self.errors))

    def format(self) -> str:
        n = len(self.errors)
        summary = f"{n} error{'s' if n != 1 else ''}"
        return "\n".join([e.format() for e in self.errors] + [summary])


class UsageError(Exception):
    """A command-line problem (bad flag value, unknown -D constant given without a location)."""


# The kinds of error a verb's --json document reports (its "error" object's "kind").
SPEC, USAGE, OUT_OF_MEMORY, INTERRUPTED = "spec", "usage", "out of memory", "interrupted"


def error_json(
    fmt: str, kind: str, message: str, errors: SpecError | SpecErrors | None = None
) -> dict[str, Any]:
    """The document a verb's --json writes where the verb gives no result: its `fmt`,
    and an "error" object of a `kind` above with `message` as the command prints it
    without --json, and each spec error of `errors` with its location and source line."""
    found = [] if errors is None else errors.errors if isinstance(errors, SpecErrors) else [errors]
    return {
        "format": fmt,
        "error": {
            "kind": kind,
            "message": message,
            "errors": [
                {
                    "file": e.loc.file,
                    "line": e.loc.line,
                    "col": e.loc.col,
                    "message": e.message,
                    "hint": e.hint,
                    "source": source_line(e.loc.file, e.loc.line),
                }
                for e in found
            ],
        },
    }


def unknown_invariant(name: str, have: list[str]) -> UsageError:
    """The error for `--inv name` where the spec's invariants are `have`."""
    close = did_you_mean(name, have)
    listed = f"unknown invariant {name!r} (the spec has: {', '.join(have) or 'none'})"
    return UsageError(listed + (f"; {close}" if close else ""))
