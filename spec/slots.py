"""The slots each action reads and writes (LTSmin's read/write dependency matrix).

A Read or Assign with a constant index touches one slot; with an index that depends
on a parameter or on the state it may touch every slot of its variable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from mmcheck.spec import ir
from mmcheck.spec.fold import operands


def exprs_of(action: ir.Action) -> Iterator[ir.Expr]:
    yield action.guard
    for c in action.checks:
        yield c.cond
    for u in action.updates:
        yield u.value
        yield u.cond
        if isinstance(u, ir.Assign):
            yield from u.index


def reads(e: ir.Expr) -> Iterator[ir.Read]:
    if isinstance(e, ir.Read):
        yield e
    for x in operands(e):
        yield from reads(x)


def touched(program: ir.Program, var: str, index: tuple[ir.Expr, ...]) -> set[int]:
    if all(isinstance(i, ir.Const) for i in index):
        try:
            return {program.slot_index(var, tuple(i.value for i in index))}
        except IndexError:
            return set()  # a domain error at run time; it touches nothing
    return set(program.var_slots(var))


def slot_sets(program: ir.Program, action: ir.Action) -> tuple[frozenset[int], frozenset[int]]:
    r: set[int] = set()
    for e in exprs_of(action):
        for rd in reads(e):
            r |= touched(program, rd.var, rd.index)
    w: set[int] = set()
    for u in action.updates:
        if isinstance(u, ir.Assign):
            w |= touched(program, u.var, u.index)
        else:
            w |= set(program.var_slots(u.var))
    return frozenset(r), frozenset(w)


def with_slot_sets(program: ir.Program) -> ir.Program:
    """The program with `reads`/`writes` filled in for every action (concrete programs)."""

    def fill(a: ir.Action) -> ir.Action:
        r, w = slot_sets(program, a)
        return dataclasses.replace(a, reads=r, writes=w)

    return dataclasses.replace(
        program,
        actions=tuple(fill(a) for a in program.actions),
        init=fill(program.init),
        _layout={},
    )
