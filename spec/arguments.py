"""The command-line arguments every verb that reads a spec shares: FILE and -D, and
loading the spec they name; the check, before a run, that a file it is to write can
be; and the end of every verb's --help (`described`): two examples and the exit
statuses."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from pathlib import Path

from mmcheck import spec
from mmcheck.spec import ir
from mmcheck.spec.errors import UsageError


def add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE and -D NAME=VALUE."""
    parser.add_argument("file", metavar="FILE", help="spec file (.mms)")
    parser.add_argument(
        "-D",
        dest="defines",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a constant (repeatable); VALUE ? leaves it symbolic for prove",
    )


def described(
    add_arguments: Callable[[argparse.ArgumentParser], None],
    examples: tuple[str, str],
    statuses: dict[int, str],
) -> Callable[[argparse.ArgumentParser], None]:
    """`add_arguments`, then the help's end: the `examples` (command lines, as run from
    the repository's root: tests/test_cli_help.py runs them) and the exit `statuses`."""

    def add(parser: argparse.ArgumentParser) -> None:
        add_arguments(parser)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter  # keep the lines
        shown = "\n".join(f"  $ {line}" for line in examples)
        codes = "\n".join(
            textwrap.fill(what, 79, initial_indent=f"  {code:<5}", subsequent_indent=" " * 7)
            for code, what in sorted(statuses.items())
        )
        parser.epilog = f"examples:\n{shown}\n\nexit status:\n{codes}"

    return add


def parse_defines(defines: list[str]) -> dict[str, str]:
    """-D NAME=VALUE flags as a dict, for spec.load's `consts`."""
    out: dict[str, str] = {}
    for d in defines:
        name, eq, value = d.partition("=")
        if not eq or not name.strip() or not value.strip():
            raise UsageError(f"-D expects NAME=VALUE, got {d!r}")
        out[name.strip()] = value.strip()
    return out


def load_spec(args: argparse.Namespace, symbolic: bool = False) -> ir.Program:
    """The spec FILE, with the constants of -D (symbolic ones allowed if `symbolic`)."""
    return spec.load(Path(args.file), parse_defines(args.defines), symbolic=symbolic)


def require_state(program: ir.Program) -> None:
    """A UsageError for a spec with no variable and no process (an empty file, say): its
    one state is empty and nothing can step in it, so a search would report a deadlock
    (and bmc, nothing) about a spec that declares nothing to check."""
    if not program.vars and not program.processes:
        raise UsageError(
            f"{program.file}: the spec declares no variable and no process: nothing to check"
        )


def check_writable(path: str, flag: str) -> None:
    """A UsageError (naming `flag`, `path` and the OS's reason) if `path` cannot be
    written, said before the run rather than after it, when its result would be lost.
    Opens it as writing will, and leaves it as it was: an existing file unchanged (opened
    to append, nothing written), a new one removed."""
    target = Path(path)
    try:
        if target.exists():
            with open(target, "a"):
                pass
        else:
            with open(target, "x"):
                pass
            target.unlink()
    except OSError as e:
        raise UsageError(f"{flag} {path}: {e.strerror or e}") from None
