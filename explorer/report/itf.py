"""Traces in ITF, the Informal Trace Format of Apalache, so ITF viewers can open them.

Integers are {"#bigint": "..."}, booleans JSON booleans, enum values, labels and lock
holders strings, maps {"#map": [[key, value], ...]}, options (`T?`) the variants
{"tag": "Some", "value": v} and {"tag": "None", "value": {"#tup": []}}. Variables split by the lowering
are regrouped: record fields ("page.count") into one object, a map of records into a
map of objects, a process's pc and local variables into one object per process.

Each state after the first says in its "#meta" what the step did: "writes" lists the
elements it changed or wrote with the value they had, as the text trace names them,
each with its new value, whether it was unchanged, and the macro calls it came from.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from mmcheck.explorer.core.result import Step
from mmcheck.explorer.report.view import (
    RecordSetSlots,
    SeqSlots,
    effects,
    param_values,
    record_sets,
    sequences,
    step_info,
)
from mmcheck.spec import ir
from mmcheck.spec.ir import const_int

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
WIDTH = 100  # a JSON value that fits in this many columns is written on one line


def scalar(t: ir.ScalarType | None, value: int) -> Any:
    """One value as ITF writes it, following its IR type."""
    if t is None:
        return {"#bigint": str(value)}
    if t.none:  # an option: Apalache's Option variant, None carrying the empty tuple
        if value == const_int(t.hi):
            return {"tag": "None", "value": {"#tup": []}}
        inner = bool(value) if t.names == ("false", "true") else scalar(_plain(t), value)
        return {"tag": "Some", "value": inner}
    if t.kind == "bool":
        return bool(value)
    if t.names:
        return t.show(value)
    return {"#bigint": str(value)}


def _plain(t: ir.ScalarType) -> ir.ScalarType:
    """The inner type of an option's ScalarType."""
    return ir.ScalarType(t.kind, t.lo, t.hi, t.names, t.sorts)


def _key(dims: tuple[ir.Dim, ...], index: tuple[int, ...]) -> Any:
    keys = [d.show(i) if d.names else {"#bigint": str(i)} for d, i in zip(dims, index)]
    return keys[0] if len(keys) == 1 else {"#tup": keys}


def _indices(dims: tuple[ir.Dim, ...]) -> list[tuple[int, ...]]:
    return list(itertools.product(*(range(const_int(d.lo), const_int(d.hi) + 1) for d in dims)))


def _element(program: ir.Program, var: ir.Var, state: tuple[int, ...], index: tuple) -> Any:
    return scalar(var.type, state[program.slot_index(var.name, index)])


def _whole(program: ir.Program, var: ir.Var, state: tuple[int, ...]) -> Any:
    """A variable's value: a scalar, or a map over its dimensions."""
    if var.elem_fields:
        return _record_sets(program, var, state)
    if not var.dims:
        return _element(program, var, state, ())
    return {
        "#map": [
            [_key(var.dims, ix), _element(program, var, state, ix)] for ix in _indices(var.dims)
        ]
    }


def _record_set(group: RecordSetSlots, state: tuple[int, ...]) -> dict:
    """A set of records as ITF writes it: {"#set": [{field: value, ...}, ...]}."""
    return {
        "#set": [
            {f: bool(v) if d.names == ("false", "true") else _key((d,), (v,)) for f, d, v in rec}
            for rec in group.records(state)
        ]
    }


def _record_sets(program: ir.Program, var: ir.Var, state: tuple[int, ...]) -> Any:
    """A variable that is a set of records, or a map of them over its other dimensions."""
    n = len(var.elem_fields)
    groups = record_sets(program)
    first = tuple(const_int(d.lo) for d in var.dims[-n:])  # of each set's first slot
    sets = [
        (ix, _record_set(groups[program.slot_index(var.name, ix + first)], state))
        for ix in _indices(var.dims[:-n])
    ]
    if len(var.dims) == n:
        return sets[0][1]
    return {"#map": [[_key(var.dims[:-n], ix), value] for ix, value in sets]}


def _nest(obj: dict, path: list[str], value: Any) -> None:
    for part in path[:-1]:
        obj = obj.setdefault(part, {})
    obj[path[-1]] = value


def _group(program: ir.Program) -> dict[str, list[ir.Var]]:
    """The IR variables behind each top-level ITF variable, in declaration order."""
    groups: dict[str, list[ir.Var]] = {}
    for v in program.vars:
        groups.setdefault(v.name.split(".")[0], []).append(v)
    return groups


def _record_map(program: ir.Program, fields: list[ir.Var], state: tuple[int, ...]) -> Any:
    """A map of records split into one array per field, put back as a map of objects."""
    dims = fields[0].dims
    entries = []
    for ix in _indices(dims):
        rec: dict = {}
        for f in fields:
            _nest(rec, f.name.split(".")[1:], _element(program, f, state, ix))
        entries.append([_key(dims, ix), rec])
    return {"#map": entries}


def _seq_part(program: ir.Program, v: ir.Var, seqs: dict[int, SeqSlots]) -> bool:
    """Whether v is one of a sequence's variables (its length, or its positions)."""
    return program.offset(v.name) in seqs


def _seq_list(program: ir.Program, seq: SeqSlots, state: tuple[int, ...]) -> list:
    """A sequence as ITF writes it: a list of its elements."""
    return [scalar(program.var(program.slots[p].var).type, state[p]) for p in seq.elements(state)]


def _seq_whole(
    program: ir.Program, length: ir.Var, state: tuple[int, ...], seqs: dict[int, SeqSlots]
) -> Any:
    """The sequence whose length is the variable `length`: a list, or a map of lists
    over a process set's instances."""
    lists = [_seq_list(program, seqs[slot], state) for slot in program.var_slots(length.name)]
    if not length.dims:
        return lists[0]
    return {"#map": [[_key(length.dims, ix), x] for ix, x in zip(_indices(length.dims), lists)]}


def state_value(program: ir.Program, state: tuple[int, ...]) -> dict[str, Any]:
    """One state as an ITF object: variable name -> value."""
    processes = {p.name for p in program.processes}
    seqs = sequences(program)
    out: dict[str, Any] = {}
    for head, vs in _group(program).items():
        # a sequence's two variables, `q.len` and `q`, are one value: a list
        vs = [v for v in vs if not _seq_part(program, v, seqs) or v.name.endswith(".len")]
        dotted = [v for v in vs if "." in v.name]
        if vs[0].name == f"{head}.len" and _seq_part(program, vs[0], seqs):
            out[head] = _seq_whole(program, vs[0], state, seqs)
        elif not dotted:
            out[head] = _whole(program, vs[0], state)
        elif (
            head not in processes
            and dotted[0].dims
            and all(v.dims == dotted[0].dims for v in dotted)
        ):
            out[head] = _record_map(program, dotted, state)
        else:
            obj: dict = {}
            for v in dotted:
                if _seq_part(program, v, seqs):
                    _nest(obj, v.name.split(".")[1:-1], _seq_whole(program, v, state, seqs))
                else:
                    _nest(obj, v.name.split(".")[1:], _whole(program, v, state))
            out[head] = obj
    return out


def to_itf(program: ir.Program, steps: tuple[Step, ...] | list[Step]) -> dict[str, Any]:
    """A trace (initial state first) as an ITF document."""
    states = []
    seqs = sequences(program)
    sets = record_sets(program)
    for i, step in enumerate(steps):
        prev = steps[i - 1] if i > 0 else None
        meta: dict[str, Any] = {
            "index": i,
            "action": step.action if step.action is not None else "Init",
            "params": {
                n: scalar(t, v) for n, v, t in param_values(program, step.action, step.params)
            },
        }
        info = step_info(program, step)
        if step.action is not None and info.instance is not None:
            meta["process"] = info.instance
            meta["label"] = info.label
        if prev is not None and step.action is not None:
            meta["writes"] = [
                {
                    "var": e.name,
                    "value": _seq_list(program, seqs[e.slot], step.state)
                    if e.slot in seqs
                    else _record_set(sets[e.slot], step.state)
                    if e.slot in sets
                    else scalar(program.var(program.slots[e.slot].var).type, step.state[e.slot]),
                    "unchanged": e.unchanged,
                    "via": e.via_names,
                }
                for e in effects(program, prev, step)
            ]
        states.append({"#meta": meta, **state_value(program, step.state)})
    return {
        "#meta": {
            "format": "ITF",
            "format-description": FORMAT_DESCRIPTION,
            "source": program.file,
            "description": f"trace of spec {program.name} produced by mmcheck",
        },
        "vars": list(_group(program)),
        "states": states,
    }


def dumps(value: Any, indent: int = 0) -> str:
    """JSON indented by two spaces per level, except that a value fitting on one line
    stays on one line: `{"#bigint": "1"}`, a short map, a whole small record."""
    flat = json.dumps(value)
    if len(flat) + indent <= WIDTH or not isinstance(value, dict | list) or not value:
        return flat
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {dumps(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    items = [inner + dumps(v, indent + 2) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + pad + "]"
