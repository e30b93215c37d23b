"""Ranges used as sets, combined with set operators, on every back end against the
reference interpreter: for every pair of operands of a table (ranges, literals, `{}`,
set variables, a range with a variable bound) and every operator, membership of each
value of -1..5, `card`, `sum`/`forall` over the result, `==` and `subset` are initial
values of variables, so the one initial state holds them all; a back end must reach the
reference's initial state (`invariant Never: false` reports it), and prove must prove
that the state is the reference's.

Found by slow differential seed 100028: `0 in (1..3 minus {})` was true."""

from __future__ import annotations

import itertools

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer import reference
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.prove import PROVED
from mmcheck.spec import ir

PRELUDE = ("var y : 0..3 = 1", "var s : set of 1..3 = {1, 3}", "var t : set of 0..5 = {0, 4}")
OPERANDS = ("1..3", "{0, 2}", "{}", "s", "(y..2)")
MORE_OPERANDS = OPERANDS + ("0..1", "t", "{y}", "(if y > 0 then 1..2 else t)", "(s minus 2..3)")
OPS = ("union", "inter", "minus")
CHAIN = 90  # conjuncts of one invariant: expressions nest at most 100 deep


def set_spec(operands: tuple[str, ...]) -> str:
    lines = list(PRELUDE)
    for k, (a, op, b) in enumerate(itertools.product(operands, OPS, operands)):
        e = f"({a} {op} {b})"
        lines += [
            f"var m{k} : [-1..5] -> bool = [i in -1..5 |-> i in {e}]",
            f"var c{k} : 0..9 = card({e})",
            f"var e{k} : bool = {e} == {{1, 2}}",
            f"var u{k} : bool = {e} subset 1..3",
            f"var v{k} : bool = 0..1 subset {e}",
        ]
        if "y" not in e:  # a quantifier's domain must not depend on the state
            lines += [
                f"var q{k} : -5..30 = sum j in {e}: j",
                f"var f{k} : bool = forall j in {e}: j > 1",
            ]
    return "\n".join(lines + ["invariant Never: false"]) + "\n"


def differences(program: ir.Program, got: tuple[int, ...], want: tuple[int, ...]) -> list[str]:
    return [
        f"{slot.name} = {program.show_slot(i, g)}, the reference: {program.show_slot(i, w)}"
        for i, (slot, g, w) in enumerate(zip(program.slots, got, want))
        if g != w
    ]


def state_invariants(program: ir.Program, state: tuple[int, ...]) -> str:
    """Invariants that every slot of the expressions' variables (not the prelude's) has
    its value in `state` (chains of `and` nest, so of at most CHAIN slots each)."""
    conds = [
        slot.var + "".join(f"[{i}]" for i in slot.index) + f" == {program.show_slot(k, v)}"
        for k, (slot, v) in enumerate(zip(program.slots, state))
        if slot.var not in ("y", "s", "t")
    ]
    return "".join(
        f"invariant Ref{k}: " + " and ".join(conds[k : k + CHAIN]) + "\n"
        for k in range(0, len(conds), CHAIN)
    )


def check_every_back_end(text: str) -> None:
    ex = reference.explore(reference.Reference(text))
    (want,) = ex.initial
    program = spec.load(text)
    for backend in ("tuple", "vector", "bmc"):
        r = bmc(program, depth=0) if backend == "bmc" else explorer.check(program, backend=backend)
        assert r.violation is not None and r.violation.name == "Never", backend
        assert differences(program, r.violation.trace[0].state, want) == [], backend
    proved = prove(text.replace("invariant Never: false\n", state_invariants(program, want)))
    assert proved.status == PROVED


def test_ranges_as_sets_on_every_back_end():
    check_every_back_end(set_spec(OPERANDS))


@pytest.mark.slow
def test_more_ranges_as_sets_on_every_back_end():
    check_every_back_end(set_spec(MORE_OPERANDS))
