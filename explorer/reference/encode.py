"""Reference states as slot tuples in the IR's layout (docs/language.md, "What the IR
looks like"), so that they compare with every back end's states.

Only `Program.vars` is read from the IR: each variable's name says which spec variable
(and record fields) or process pc it holds, its dimensions the order of its slots, its
ScalarType how a value is numbered. Everything else comes from the reference's types.
"""

from __future__ import annotations

from collections.abc import Callable

from mmcheck.explorer.reference.evaluate import Symbols
from mmcheck.explorer.reference.values import (
    NONE,
    Instance,
    Seq,
    Some,
    TMap,
    TRecord,
    TSeq,
    TSet,
    Type,
    domain,
    indices,
)
from mmcheck.spec.ir import Program, ScalarType, Var

Leaves = Callable[[dict], list]  # state -> the scalar values of one IR variable, in order


class Encoder:
    def __init__(self, program: Program, sym: Symbols) -> None:
        self.sym = sym
        self.parts: list[tuple[Leaves, ScalarType]] = []
        n = 0
        for v in program.vars:
            leaves, count = self._leaves(v)
            self.parts.append((leaves, v.type))
            n += count
        if n != len(program.slots):
            raise ValueError(f"the reference's types give {n} slots, the IR {len(program.slots)}")

    # ------------------------------------------------------------------ layout
    def _leaves(self, v: Var) -> tuple[Leaves, int]:
        """How to read an IR variable's scalars from a state, and how many there are."""
        sym = self.sym
        root, *fields = v.name.split(".")
        if v.role == "pc" or root in sym.processes and fields:
            p = sym.processes[root]
            insts = p.instances()
            if v.role == "pc":
                return (lambda s: [s[("pc", *i)] for i in insts]), len(insts)
            local, *fields = fields
            t = p.locals[local]
            return (
                (lambda s: [x for i in insts for x in flatten(s[(*i, local)], t, fields)]),
                len(insts) * self._count(t, fields),
            )
        if v.name in sym.vars:  # a variable whose name has a dot: a pool's `allocated`
            root, fields = v.name, []
        t = sym.locks[root] if v.role == "lock" else sym.vars[root]
        if v.role == "lock":
            if t.dims:  # type: ignore[union-attr]
                keys = list(indices(t.dims))  # type: ignore[union-attr]
                return (lambda s: [s[root].d[k] for k in keys]), len(keys)
            return (lambda s: [s[root]]), 1
        return (lambda s: flatten(s[root], t, fields)), self._count(t, fields)

    def _count(self, t: Type, fields: list[str]) -> int:
        if isinstance(t, TRecord):
            return self._count(dict(t.fields)[fields[0]], fields[1:])
        if isinstance(t, TMap):
            return len(list(indices(t.dims))) * self._count(t.elem, fields)
        if isinstance(t, TSet):
            return len(domain(t.elem))
        if isinstance(t, TSeq):
            return 1 if fields == ["len"] else t.cap
        return 1

    # ------------------------------------------------------------------ values
    def encode(self, state: dict) -> tuple[int, ...]:
        out: list[int] = []
        for leaves, t in self.parts:
            out.extend(self.number(x, t) for x in leaves(state))
        return tuple(out)

    def number(self, x: object, t: ScalarType) -> int:
        if t.none:  # an option: none is the last value, Some(v) v's number
            if x is NONE:
                return t.hi.value  # type: ignore[union-attr]
            assert isinstance(x, Some)
            x = x.value
            if isinstance(x, bool):
                return int(x)
        if t.kind in ("bool", "int"):
            return int(x)  # type: ignore[call-overload]
        lo = t.lo.value  # type: ignore[union-attr]
        if t.kind == "lock":
            return lo + t.names.index("free" if x is None else self.instance_name(x))  # type: ignore[arg-type]
        return lo + t.names.index(x)  # type: ignore[arg-type]

    def instance_name(self, inst: Instance) -> str:
        proc, index = inst
        if index is None:
            return proc
        shown = str(index).lower() if isinstance(index, bool) else str(index)
        return f"{proc}[{shown}]"


def flatten(value: object, t: Type, fields: list[str]) -> list:
    """The scalars of the IR variable `fields` selects in a value of type t: record
    fields first, then map dimensions row-major, then one bool per set element."""
    if isinstance(t, TRecord):
        return flatten(value.d[fields[0]], dict(t.fields)[fields[0]], fields[1:])  # type: ignore[union-attr]
    if isinstance(t, TMap):
        return [x for k in indices(t.dims) for x in flatten(value.d[k], t.elem, fields)]  # type: ignore[union-attr]
    if isinstance(t, TSet):
        return [x in value for x in domain(t.elem)]  # type: ignore[operator]
    if isinstance(t, TSeq):  # its length ("q.len"), or its positions, `pad` past it
        assert isinstance(value, Seq)
        if fields == ["len"]:
            return [len(value.items)]
        return [*value.items, *[t.pad] * (t.cap - len(value.items))]
    return [value]
