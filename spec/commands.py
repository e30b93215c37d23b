"""Verbs of the spec package (registered in pyproject.toml, see mmcheck.cli): typecheck
and ir. Each returns the exit status 0; errors reach the dispatcher as exceptions."""

from __future__ import annotations

import argparse

from mmcheck.spec import ir, ir_print
from mmcheck.spec.arguments import add_spec_arguments, load_spec


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
    "typecheck": ("check a spec; print a one-line summary", add_spec_arguments, run_typecheck),
    "ir": ("print the lowered IR of a spec", add_spec_arguments, run_ir),
}
