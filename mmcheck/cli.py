"""The `mmcheck` command: a thin dispatcher over the verbs the packages register.

A package registers its verbs as an entry point of the group "mmcheck.verbs" (see
pyproject.toml): a dict verb -> (one-line help, add_arguments(parser), run(args) ->
exit status), so this module names no package. Exit status everywhere: 0 holds/ok,
1 violation, 2 spec or usage error, 3 incomplete; 141 if the output pipe closed before
the run ended (`| head`) (explorer.core.result holds them).
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import entry_points

from mmcheck.explorer.core.result import EXIT_BROKEN_PIPE, EXIT_ERROR, EXIT_INCOMPLETE
from mmcheck.spec.errors import SpecError, SpecErrors, UsageError

VERBS = "mmcheck.verbs"  # the entry-point group of the verbs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mmcheck",
        description="Model checking and z3 proofs for kernel locking protocols.",
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for point in sorted(entry_points(group=VERBS), key=lambda p: p.name):
        for verb, (help_text, add_args, run) in point.load().items():
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
