"""Verbs of the spec package (see explorer.cli): typecheck, ir, translate."""

from __future__ import annotations

import argparse
from pathlib import Path

import spec
from explorer.cli import EXIT_OK, add_spec_arguments, parse_defines
from spec import ir, ir_print


def _load(args: argparse.Namespace, symbolic: bool = False) -> ir.Program:
    return spec.load(Path(args.file), parse_defines(args.defines), symbolic=symbolic)


def summary(p: ir.Program) -> str:
    slots = f"{len(p.slots)} slots" if p.is_concrete else "symbolic slots"
    n_inst = sum(1 for _ in p.process_instances()) if p.is_concrete else len(p.processes)
    return (
        f"{p.file}: ok: {len(p.vars)} variables, {slots}, {len(p.actions)} actions, "
        f"{len(p.invariants)} invariants, {len(p.processes)} processes "
        f"({n_inst} instances)"
    )


def run_typecheck(args: argparse.Namespace) -> int:
    print(summary(_load(args, symbolic=True)))
    return EXIT_OK


def run_ir(args: argparse.Namespace) -> int:
    print(ir_print.program(_load(args, symbolic=True)), end="")
    return EXIT_OK


def run_translate(args: argparse.Namespace) -> int:
    from spec.translate import to_python_source

    print(to_python_source(_load(args)), end="")
    return EXIT_OK


COMMANDS: dict = {
    "typecheck": ("check a spec; print a one-line summary", add_spec_arguments, run_typecheck),
    "ir": ("print the lowered IR of a spec", add_spec_arguments, run_ir),
    "translate": (
        "print the generated Python next-state module",
        add_spec_arguments,
        run_translate,
    ),
}
