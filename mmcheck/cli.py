"""The `mmcheck` command: a thin dispatcher over the verbs the packages register.

A package registers its verbs as an entry point of the group "mmcheck.verbs" (see
pyproject.toml): a dict verb -> (one-line help, add_arguments(parser), run(args) ->
exit status), so this module names no package. Exit status everywhere: 0 holds/ok,
1 violation, 2 spec or usage error, 3 incomplete; 141 if the output pipe closed before
the run ended (`| head`) (explorer.core.result holds them).

A verb with `--json` declares its document's format as the parser default `json_format`;
given --json, what stops it before a result (a usage or spec error, out of memory,
Ctrl-C) is that document too, with an "error" object, on stdout, with the same status.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib.metadata import entry_points
from typing import NoReturn

from mmcheck import __version__
from mmcheck.explorer.core.result import EXIT_BROKEN_PIPE, EXIT_ERROR, EXIT_INCOMPLETE
from mmcheck.spec.errors import (
    INTERRUPTED,
    OUT_OF_MEMORY,
    SPEC,
    USAGE,
    SpecError,
    SpecErrors,
    UsageError,
    error_json,
)

VERBS = "mmcheck.verbs"  # the entry-point group of the verbs


class Parser(argparse.ArgumentParser):
    """The command's parser, and each verb's (`verbs`, on the command's)."""

    verbs: dict[str, Parser]
    raise_errors = False  # --json: a usage error is raised, to be written as the document

    def error(self, message: str) -> NoReturn:
        if self.raise_errors:
            raise UsageError(message)
        super().error(message)


def build_parser(verb: str = "") -> Parser:
    """The command's parser with every package's verbs; given the `verb` a run names,
    the packages are loaded in order only up to the one that registers it (`check` does
    not import the prover and z3): help, or a verb no package has, loads them all."""
    parser = Parser(
        prog="mmcheck",
        description="Model checking and z3 proofs for kernel locking protocols.",
    )
    parser.add_argument("--version", action="version", version=f"mmcheck {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for point in sorted(entry_points(group=VERBS), key=lambda p: p.name):
        verbs = point.load()
        for name, (help_text, add_args, run) in verbs.items():
            p = sub.add_parser(name, help=help_text, description=help_text)
            add_args(p)
            p.set_defaults(run=run)
        if verb in verbs:
            break
    parser.verbs = sub.choices  # each made by add_parser as the command's class: a Parser
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


def _words(argv: list[str]) -> list[str]:
    return argv[: argv.index("--")] if "--" in argv else argv


def named_verb(argv: list[str]) -> str:
    """The verb argv names ("" for none): its first word that is not an option (the
    command's own options, --help and --version, take no value)."""
    return next((w for w in _words(argv) if not w.startswith("-")), "")


def asked_json(parser: Parser, argv: list[str]) -> tuple[str, str | None]:
    """The verb argv names, and the format of its --json document where argv asks for
    one (None otherwise, or where the verb has no --json)."""
    words, verb = _words(argv), named_verb(argv)
    # argparse takes an option's unambiguous prefix: --js is --json
    asked = any(len(w) >= 4 and "--json".startswith(w) for w in words)
    if not asked or verb not in parser.verbs:
        return verb, None
    return verb, parser.verbs[verb].get_default("json_format")


def dispatch(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(named_verb(argv))
    verb, fmt = asked_json(parser, argv)

    def fail(
        status: int, kind: str, text: str, errors: SpecError | SpecErrors | None = None
    ) -> int:
        if fmt is None:
            print(text, file=sys.stderr)
        else:
            print(json.dumps(error_json(fmt, kind, text, errors), indent=2))
        return status

    try:
        if fmt is not None:  # the verb's parser reports its own flags' errors
            parser.raise_errors = parser.verbs[verb].raise_errors = True
        args = parser.parse_args(argv)
        if not getattr(args, "run", None):
            parser.print_help()
            return EXIT_ERROR
        return int(args.run(args))
    except (SpecError, SpecErrors) as e:
        return fail(EXIT_ERROR, SPEC, e.format(), e)
    except UsageError as e:
        return fail(EXIT_ERROR, USAGE, f"mmcheck {verb}: error: {e}")
    except MemoryError:  # before a search began: a search reports it with its statistics
        return fail(EXIT_INCOMPLETE, OUT_OF_MEMORY, f"mmcheck {verb}: out of memory")
    except KeyboardInterrupt:  # the verbs say it themselves, but as --json's document
        if fmt is None:
            raise
        return fail(EXIT_INCOMPLETE, INTERRUPTED, f"mmcheck {verb}: interrupted")


if __name__ == "__main__":
    sys.exit(main())
