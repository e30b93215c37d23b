"""The command-line arguments every verb that reads a spec shares: FILE and -D, and
loading the spec they name."""

from __future__ import annotations

import argparse
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
