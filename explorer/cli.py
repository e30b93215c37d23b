"""The `mmcheck` command: a thin dispatcher over the Python API of the three packages.

Each package has a `commands` module holding its verbs as `COMMANDS`, a dict
verb -> (one-line help, add_arguments(parser), run(args) -> exit status).
Exit status everywhere: 0 holds/ok, 1 violation, 2 spec or usage error, 3 incomplete;
141 if the output pipe closed before the run ended (`| head`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from spec.errors import SpecError, SpecErrors, UsageError

COMMAND_MODULES = ("spec.commands", "explorer.commands", "invariants.commands")

EXIT_OK, EXIT_VIOLATION, EXIT_ERROR, EXIT_INCOMPLETE = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE's, as a shell reports a writer killed by it


def add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE and -D NAME=VALUE, shared by every verb that reads a spec."""
    parser.add_argument("file", metavar="FILE", help="spec file (.mms)")
    parser.add_argument(
        "-D",
        dest="defines",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a constant (repeatable); VALUE ? leaves it symbolic for prove",
    )


def parse_defines(defines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for d in defines:
        name, eq, value = d.partition("=")
        if not eq or not name.strip() or not value.strip():
            raise UsageError(f"-D expects NAME=VALUE, got {d!r}")
        out[name.strip()] = value.strip()
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mmcheck",
        description="Model checking and z3 proofs for kernel locking protocols.",
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for modname in COMMAND_MODULES:
        module = importlib.import_module(modname)
        for verb, (help_text, add_args, run) in module.COMMANDS.items():
            p = sub.add_parser(verb, help=help_text, description=help_text)
            add_args(p)
            p.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    status: int | None = None
    try:
        status = dispatch(argv)
        sys.stdout.flush()  # a reader gone early (`| head`) shows here, not at exit
        return status
    except BrokenPipeError:
        # Stop writing, and quietly: Python flushes stdout again at exit, so both streams
        # go to devnull (Python's docs, "Note on SIGPIPE"). The run's status if it ended.
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            os.dup2(devnull, stream.fileno())
        return EXIT_BROKEN_PIPE if status is None else status


def dispatch(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return int(args.run(args))
    except (SpecError, SpecErrors) as e:
        print(e.format(), file=sys.stderr)
        return EXIT_ERROR
    except UsageError as e:
        print(f"mmcheck {args.verb}: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except MemoryError:  # before a search began: a search reports it with its statistics
        print(f"mmcheck {args.verb}: out of memory", file=sys.stderr)
        return EXIT_INCOMPLETE


if __name__ == "__main__":
    sys.exit(main())
