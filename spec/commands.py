"""Verbs of the spec package (registered in pyproject.toml, see mmcheck.cli): typecheck
and ir. Each returns the exit status 0; errors reach the dispatcher as exceptions."""

from __future__ import annotations

import argparse

from mmcheck.spec import ir, ir_print
from mmcheck.spec.arguments import add_spec_arguments, described, load_spec

# what the help of both verbs ends with (spec.arguments.described)
STATUSES = {0: "the spec is well formed", 2: "an error in the spec or on the command line"}


def summary(p: ir.Program) -> str:
    slots = f"{len(p.slots)} slots" if p.is_concrete else "symbolic slots"
    n_inst = sum(1 for _ in p.process_instances()) if p.is_concrete else len(p.processes)
    n_lemmas = sum(i.lemma for i in p.invariants)
    lemmas = f", {n_lemmas} lemmas" if n_lemmas else ""
    constraints = f", {len(p.constraints)} constraints" if p.constraints else ""
    constraints += f", {len(p.covers)} covers" if p.covers else ""
    return (
        f"{p.file}: ok: {len(p.vars)} variables, {slots}, {len(p.actions)} actions, "
        f"{len(p.invariants) - n_lemmas} invariants{lemmas}{constraints}, {len(p.processes)} processes "
        f"({n_inst} instances)"
    )


def run_typecheck(args: argparse.Namespace) -> int:
    print(summary(load_spec(args, symbolic=True)))
    return 0


def run_ir(args: argparse.Namespace) -> int:
    print(ir_print.program(load_spec(args, symbolic=True)), end="")
    return 0


COMMANDS: dict = {
    "typecheck": (
        "check a spec; print a one-line summary",
        described(
            add_spec_arguments,
            (
                "mmcheck typecheck spec/models/migrate_page.mms",
                "mmcheck typecheck spec/models/mlock_munlock.mms -D VMAS=3",
            ),
            STATUSES,
        ),
        run_typecheck,
    ),
    "ir": (
        "print the lowered IR of a spec",
        described(
            add_spec_arguments,
            (
                "mmcheck ir tests/specs/peterson.mms",
                "mmcheck ir spec/models/mlock_munlock.mms -D VMAS=?",
            ),
            STATUSES,
        ),
        run_ir,
    ),
}
