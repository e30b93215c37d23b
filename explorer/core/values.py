"""A state as the spec writes it, from the IR's slots: the one walk over the slot layout
that puts back together what the lowering split (spec.ir).

Record fields ("page.count") become one dict, a map of records a map of dicts, a set's
bitmap the set of its elements, a sequence's length and positions a list, and a
process's pc and locals one dict per process declaration (each a map over a process
set's instances). How each value is built is an `Encoding`: `PLAIN` gives the Python
values of `Step.values` (bools, ints, enum values and labels as their names, a lock's
holder as the trace names it, None for an option's none or a free lock; dicts,
frozensets, lists). The ITF writer (explorer.report.itf) walks with its own encoding,
as plain values lose what ITF keeps apart: a map over enum values reads as a record,
an option that holds a value as that value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from mmcheck.spec import ir
from mmcheck.spec.ir import const_int


class Encoding(Protocol):
    """How the walk builds each value it meets."""

    def scalar(self, t: ir.ScalarType, value: int) -> Any:
        """One slot's value, as its IR type says."""

    def key(self, dims: tuple[ir.Dim, ...], index: tuple[int, ...]) -> Any:
        """A map's key: the values of its dimensions at `index` (one or more); also a
        set's element of scalars (one dimension)."""

    def map(self, entries: list[tuple[Any, Any]]) -> Any:
        """A map from its (key, value) entries, in the order of the slots."""

    def set(self, elements: list[Any]) -> Any:
        """A set from its elements."""

    def seq(self, items: list[Any]) -> Any:
        """A sequence from its elements, in order."""

    def element(self, fields: dict[str, Any]) -> Any:
        """A record that is an element of a set, from its fields' values (as `key`
        gives them)."""


class Record(Mapping[str, Any]):
    """A record that is a set's element: a read-only, hashable dict, equal to the dict of
    the same fields."""

    __slots__ = ("_fields", "_hash")

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = dict(fields)
        self._hash = hash(frozenset(self._fields.items()))

    def __getitem__(self, name: str) -> Any:
        return self._fields[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._fields == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._fields)


def _dim_value(d: ir.Dim, value: int) -> Any:
    if d.names == ("false", "true"):
        return bool(value)
    return d.show(value) if d.names else value


class Plain:
    """Plain Python values: what `Step.values` holds."""

    def scalar(self, t: ir.ScalarType, value: int) -> Any:
        if t.none and value == const_int(t.hi):
            return None
        if t.kind == "bool" or t.names == ("false", "true"):  # an option of bool too
            return bool(value)
        if t.kind == "lock" and t.names and value == const_int(t.lo):
            return None  # free
        return t.show(value) if t.names else value

    def key(self, dims: tuple[ir.Dim, ...], index: tuple[int, ...]) -> Any:
        keys = tuple(_dim_value(d, i) for d, i in zip(dims, index))
        return keys[0] if len(keys) == 1 else keys

    def map(self, entries: list[tuple[Any, Any]]) -> Any:
        return dict(entries)

    def set(self, elements: list[Any]) -> Any:
        return frozenset(elements)

    def seq(self, items: list[Any]) -> Any:
        return items

    def element(self, fields: dict[str, Any]) -> Any:
        return Record(fields)


PLAIN = Plain()


def _indices(dims: tuple[ir.Dim, ...]) -> list[tuple[int, ...]]:
    return list(ir.indices((const_int(d.lo), const_int(d.hi)) for d in dims))


class _Walk:
    """One state walked with one encoding."""

    def __init__(self, program: ir.Program, state: tuple[int, ...], enc: Encoding) -> None:
        self.program, self.state, self.enc = program, state, enc

    def slot(self, var: ir.Var, index: tuple[int, ...]) -> int:
        return self.state[self.program.slot_index(var.name, index)]

    def at(self, var: ir.Var, index: tuple[int, ...]) -> Any:
        """The value of `var` under the index of its dimensions that are not a set's
        element: a scalar, or that set."""
        if not var.set_dims:
            return self.enc.scalar(var.type, self.slot(var, index))
        dims = var.dims[len(var.dims) - var.set_dims :]
        members = [ix for ix in _indices(dims) if self.slot(var, index + ix)]
        if var.elem_fields:
            return self.enc.set(
                [
                    self.enc.element(
                        {f: self.enc.key((d,), (i,)) for f, d, i in zip(var.elem_fields, dims, ix)}
                    )
                    for ix in members
                ]
            )
        return self.enc.set([self.enc.key(dims, ix) for ix in members])

    def whole(self, var: ir.Var, prefix: tuple[int, ...]) -> Any:
        """A variable's value under `prefix` (its owner's index: a process instance): its
        value `at` that index, or a map over its other dimensions that are not a set's
        element."""
        outer = var.dims[len(prefix) : len(var.dims) - var.set_dims]
        if not outer:
            return self.at(var, prefix)
        return self.enc.map(
            [(self.enc.key(outer, ix), self.at(var, prefix + ix)) for ix in _indices(outer)]
        )

    def seq(self, length: ir.Var, items: ir.Var, prefix: tuple[int, ...]) -> Any:
        """The sequence whose length is `length` and positions `items`, under `prefix`."""
        first = const_int(items.dims[-1].lo)  # positions past the length are not read
        n = self.slot(length, prefix)
        return self.enc.seq(
            [self.enc.scalar(items.type, self.slot(items, (*prefix, first + k))) for k in range(n)]
        )

    def value(self, vs: list[ir.Var], depth: int, prefix: tuple[int, ...]) -> Any:
        """The value of the spec's variable, field or process local whose IR variables
        are `vs` (their names' first `depth` parts name it), under `prefix`."""
        if len(vs) == 1 and vs[0].name.count(".") + 1 == depth:
            return self.whole(vs[0], prefix)
        if len(vs) == 2 and (items := _seq_items(self.program, vs[0])) is vs[1]:
            return self.seq(vs[0], items, prefix)
        outer = {v.dims[len(prefix) : len(v.dims) - v.set_dims] for v in vs}
        if len(outer) == 1 and (dims := next(iter(outer))):  # a map of records
            entries = []
            for ix in _indices(dims):
                rec: dict[str, Any] = {}
                for f in vs:
                    _nest(rec, f.name.split(".")[depth:], self.at(f, prefix + ix))
                entries.append((self.enc.key(dims, ix), rec))
            return self.enc.map(entries)
        return {
            part: self.value(group, depth + 1, prefix) for part, group in _parts(vs, depth).items()
        }

    def process(self, vs: list[ir.Var], instances: ir.Dim | None) -> Any:
        """A process's pc and locals: one dict, each a map over a process set's
        instances of its value in that instance."""
        out = {}
        for part, group in _parts(vs, 1).items():
            if instances is None:
                out[part] = self.value(group, 2, ())
            else:
                out[part] = self.enc.map(
                    [
                        (self.enc.key((instances,), ix), self.value(group, 2, ix))
                        for ix in _indices((instances,))
                    ]
                )
        return out


def _nest(obj: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        obj = obj.setdefault(part, {})
    obj[path[-1]] = value


def _parts(vs: list[ir.Var], depth: int) -> dict[str, list[ir.Var]]:
    """The variables by the part of their names after the first `depth` (a sequence's
    length `p.q.len` goes with its positions `p.q`)."""
    out: dict[str, list[ir.Var]] = {}
    for v in vs:
        out.setdefault(v.name.split(".")[depth], []).append(v)
    return out


def groups(program: ir.Program) -> dict[str, list[ir.Var]]:
    """The IR variables behind each of the spec's variables, locks and processes (in
    declaration order): the keys of `state_values`. A pool of scalars is two: the
    variable of its elements and `P.allocated` (a pool of records has it as a field)."""
    names = {v.name for v in program.vars}
    out: dict[str, list[ir.Var]] = {}
    for v in program.vars:
        head = v.name.split(".")[0]
        own = head in names and v.name != head and _seq_items(program, v) is None
        out.setdefault(v.name if own else head, []).append(v)
    return out


def _seq_items(program: ir.Program, v: ir.Var) -> ir.Var | None:
    """The positions' variable of the sequence whose length is `v` (`q` for `q.len`)."""
    base = v.name.removesuffix(".len")
    if base == v.name:
        return None
    items = next((x for x in program.vars if x.name == base), None)
    return items if items is not None and len(items.dims) == len(v.dims) + 1 else None


def state_values(
    program: ir.Program, state: tuple[int, ...], enc: Encoding = PLAIN
) -> dict[str, Any]:
    """A state of a concrete program: each variable, lock and process of the spec -> its
    value, in declaration order."""
    walk = _Walk(program, state, enc)
    processes = {p.name: p for p in program.processes}
    out: dict[str, Any] = {}
    for head, vs in groups(program).items():
        if head in processes:
            pc = next(v for v in vs if v.role == "pc")
            out[head] = walk.process(vs, pc.dims[0] if pc.dims else None)
        else:
            out[head] = walk.value(vs, head.count(".") + 1, ())
    return out
