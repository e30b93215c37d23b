"""Traces in ITF, the Informal Trace Format of Apalache and Quint (ADR-015), so ITF
viewers and readers can open them.

Integers are {"#bigint": "..."} (ADR-015 allows it for every integer, and Apalache and
Quint write them so), booleans JSON booleans, enum values, labels and lock holders
strings, maps {"#map": [[key, value], ...]} (a key of several dimensions a
{"#tup": [...]}), sets {"#set": [...]}, sequences lists, options (`T?`) the variants
{"tag": "Some", "value": v} and {"tag": "None", "value": {"#tup": []}}. The values are
the spec's, as explorer.core.values puts back together what the lowering split:
record fields ("page.count") into one object, a map of records into a map of objects,
a process's pc and local variables into one object per process. The spec's constants
are the trace's "params", their values in every state beside the variables (ADR-015
asks for them in the first); "loop", the state a lasso's loop starts at, is given only
for a lasso (a property's counterexample), whose last state, the one the loop returns
to, is not repeated: what the step back does is the document's "#meta" "loop-step".

Each state after the first says in its "#meta" what the step did: "writes" lists the
elements it changed or wrote with the value they had, as the text trace names them,
each with its new value, whether it was unchanged, and the macro calls it came from.
"""

from __future__ import annotations

import json
from typing import Any

from mmcheck.explorer.core.result import Step
from mmcheck.explorer.core.values import groups, state_values
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


def _dim_value(d: ir.Dim, value: int) -> Any:
    if d.names == ("false", "true"):
        return bool(value)
    return d.show(value) if d.names else {"#bigint": str(value)}


class Itf:
    """The values of ITF, for the walk of explorer.core.values."""

    def scalar(self, t: ir.ScalarType, value: int) -> Any:
        return scalar(t, value)

    def key(self, dims: tuple[ir.Dim, ...], index: tuple[int, ...]) -> Any:
        keys = [_dim_value(d, i) for d, i in zip(dims, index)]
        return keys[0] if len(keys) == 1 else {"#tup": keys}

    def map(self, entries: list[tuple[Any, Any]]) -> Any:
        return {"#map": [[k, v] for k, v in entries]}

    def set(self, elements: list[Any]) -> Any:
        return {"#set": elements}

    def seq(self, items: list[Any]) -> Any:
        return items

    def element(self, fields: dict[str, Any]) -> Any:
        return fields


ITF = Itf()


def _record_set(group: RecordSetSlots, state: tuple[int, ...]) -> dict:
    """A set of records as ITF writes it: {"#set": [{field: value, ...}, ...]}."""
    return ITF.set(
        [ITF.element({f: _dim_value(d, v) for f, d, v in rec}) for rec in group.records(state)]
    )


def _seq_list(program: ir.Program, seq: SeqSlots, state: tuple[int, ...]) -> list:
    """A sequence as ITF writes it: a list of its elements."""
    return [scalar(program.var(program.slots[p].var).type, state[p]) for p in seq.elements(state)]


def state_value(program: ir.Program, state: tuple[int, ...]) -> dict[str, Any]:
    """One state as an ITF object: each variable, lock and process of the spec -> its
    value (explorer.core.values walked with ITF's values)."""
    return state_values(program, state, ITF)


def params(program: ir.Program) -> dict[str, Any]:
    """The spec's constants (those with a value) as ITF writes them: its parameters."""
    return {c.name: scalar(c.type, c.value) for c in program.consts if c.value is not None}


def to_itf(
    program: ir.Program, steps: tuple[Step, ...] | list[Step], loop: int | None = None
) -> dict[str, Any]:
    """A trace (initial state first) as an ITF document. For a lasso (`loop`, the index
    of the state its cycle starts at, Violation.loop), the last step returns to that
    state: ITF's states are s0..s_{n-1} and its "loop" says which the last one steps back
    to, so the repeated state is left out and the "#meta" of the document says, as
    "loop-step", what that last step does (the "#meta" a state would have, its "index"
    that of the state it returns to)."""
    consts = params(program)
    seqs = sequences(program)
    sets = record_sets(program)

    def meta(i: int, step: Step, prev: Step | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": i,
            "action": step.action if step.action is not None else "Init",
            "params": {
                n: scalar(t, v) for n, v, t in param_values(program, step.action, step.params)
            },
        }
        info = step_info(program, step)
        if step.action is not None and info.instance is not None:
            out["process"] = info.instance
            out["label"] = info.label
        if prev is not None and step.action is not None:
            out["writes"] = [
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
        return out

    shown = list(steps) if loop is None else list(steps[:-1])
    states = [
        {
            "#meta": meta(i, step, shown[i - 1] if i > 0 else None),
            **consts,
            **state_value(program, step.state),
        }
        for i, step in enumerate(shown)
    ]
    doc: dict[str, Any] = {
        "#meta": {
            "format": "ITF",
            "format-description": FORMAT_DESCRIPTION,
            "source": program.file,
            "description": f"trace of spec {program.name} produced by mmcheck",
        },
        "params": list(consts),
        "vars": list(groups(program)),
        "states": states,
    }
    if loop is not None:
        doc["#meta"]["loop-step"] = meta(loop, steps[-1], steps[-2])
        doc["loop"] = loop
    return doc


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
